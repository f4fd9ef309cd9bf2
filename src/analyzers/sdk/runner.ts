/**
 * The host side of the contract: how the pipeline asks for an analyzer to run, without knowing how analyzers
 * are loaded or where they run (worker threads in production, the same thread in contract tests).
 */
import type { AnalysisCase, AnalyzerOutput, Applicability } from './analyzer.ts';
import type { AnalyzerManifest } from './manifest.ts';

/** One run's outcome. */
export type AnalyzerRunOutcome =
  | { readonly applicability: Applicability & { applicable: false } }
  | { readonly applicability: Applicability & { applicable: true }; readonly output: AnalyzerOutput };

/** Runs registered analyzers. */
export interface AnalyzerRunner {
  /** The manifests of every registered analyzer. */
  readonly manifests: readonly AnalyzerManifest[];
  /**
   * Tests applicability and, when applicable, analyzes. Rejects with FOVEA_ANALYZER_TIMEOUT after the
   * manifest's timeout, FOVEA_ANALYZER_FAILED when the analyzer throws, FOVEA_ANALYZER_OUTPUT_INVALID when its
   * output breaks the contract.
   */
  run(analyzerId: string, analysisCase: AnalysisCase, signal?: AbortSignal): Promise<AnalyzerRunOutcome>;
  close(): Promise<void>;
}
