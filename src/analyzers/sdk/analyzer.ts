/**
 * The analyzer contract: a manifest, an applicability test that says why, and `analyze`, which turns a Case
 * into per-eye findings plus raw output kept for audit. Analyzers run in worker threads and never do I/O to
 * the PACS or EHR: they return findings, the pipeline writes.
 */
import type { Case, CaseInstance } from '../../core/case.ts';
import type { PatientContext } from '../../core/patient-context.ts';
import type { FindingDraft } from '../../core/finding.ts';
import type { Logger } from '../../core/logger.ts';
import type { DecodedFrame } from '../../imaging/frame.ts';
import type { AnalyzerManifest } from './manifest.ts';

/** A Case as an analyzer sees it: the study, and its priors when the manifest asks for them. */
export interface AnalysisCase extends Case {
  /** Earlier studies of the same patient and modality, newest first (empty unless `needsPriors`). */
  readonly priors: readonly Case[];
  /** What the EHR says about the patient (HbA1c, conditions, prior grades), when Fovea knows anything. */
  readonly context?: PatientContext;
}

/** Whether an analyzer applies to a Case, and why. */
export type Applicability =
  | { readonly applicable: true; readonly reason: string }
  | { readonly applicable: false; readonly reason: string };

/** Decoded pixels of the Case's instances. */
export interface PixelAccess {
  /** Frame `frameIndex` (0-based) of an instance, decoded (compressed transfer syntaxes included). */
  frame(instance: CaseInstance, frameIndex?: number): Promise<DecodedFrame>;
  /**
   * The instance's data set without pixel data, keywords as keys (dcmjs naturalized form), for measurement
   * objects such as visual fields. The host always provides it; test doubles may leave it out.
   */
  dataset?(instance: CaseInstance): Promise<Readonly<Record<string, unknown>>>;
}

/** What the host gives an analyzer for one run. */
export interface AnalyzerHelpers {
  /** Scoped to the analyzer and the run; never log patient data. */
  readonly logger: Logger;
  /** Aborted when the run times out or is cancelled; long loops must check it. */
  readonly signal: AbortSignal;
  readonly pixels: PixelAccess;
  /** A private directory removed after the run. */
  readonly tempDir: string;
}

/** What `analyze` returns. */
export interface AnalyzerOutput {
  readonly findings: readonly FindingDraft[];
  /** Everything the analyzer computed, kept for audit (JSON-serialisable). */
  readonly raw: unknown;
}

/** An analyzer plug-in. */
export interface Analyzer {
  readonly manifest: AnalyzerManifest;
  isApplicable(analysisCase: AnalysisCase): Applicability;
  analyze(analysisCase: AnalysisCase, helpers: AnalyzerHelpers): Promise<AnalyzerOutput>;
}

/** The instances of a Case (both eyes, then both-eye and unknown-eye ones) whose SOP class the manifest accepts. */
export function acceptedInstances(manifest: AnalyzerManifest, analysisCase: Case): CaseInstance[] {
  const accepted = new Set(manifest.inputs.sopClassUids);
  return [
    ...analysisCase.eyes.flatMap((eye) => eye.instances),
    ...analysisCase.bothEyes,
    ...analysisCase.unknownEye,
  ].filter((instance) => accepted.has(instance.sopClassUid));
}

/** Throws the abort reason when the signal has fired (call it inside long loops). */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
  }
}
