/**
 * The contract every analyzer must pass (built-in or third-party), as a reusable check: the manifest is
 * valid; applicability is decided with a reason; on an applicable Case the output keeps the contract (per-eye
 * findings, declared use cases and kinds, inputs only, finite values, JSON raw output) and is deterministic;
 * a Case without accepted inputs is declined; an aborted run stops with an error instead of returning.
 * `test/analyzers/contract.test.ts` runs it for every registered analyzer.
 */
import { silentLogger } from '../../core/logger.ts';
import type { AnalysisCase, Analyzer, PixelAccess } from './analyzer.ts';
import { acceptedInstances } from './analyzer.ts';
import { validateManifest } from './manifest.ts';
import { validateOutput } from './validate-output.ts';

/** Cases to check an analyzer against. */
export interface ContractCases {
  /** A Case with inputs the analyzer accepts (both eyes). */
  readonly applicable: AnalysisCase;
  /** A Case with none of its inputs. */
  readonly notApplicable: AnalysisCase;
  readonly pixels: PixelAccess;
  readonly tempDir: string;
}

/** Every contract violation of `analyzer` on `cases`; empty when it passes. */
export async function checkAnalyzerContract(analyzer: Analyzer, cases: ContractCases): Promise<string[]> {
  const problems = validateManifest(analyzer.manifest).map((problem) => `manifest.${problem}`);
  const helpers = (signal: AbortSignal) => ({
    logger: silentLogger,
    signal,
    pixels: cases.pixels,
    tempDir: cases.tempDir,
  });
  const declined = analyzer.isApplicable(cases.notApplicable);
  if (declined.applicable) {
    problems.push('isApplicable: accepted a Case without any accepted input');
  }
  if (declined.reason.trim() === '') {
    problems.push('isApplicable: a decline must say why');
  }
  if (acceptedInstances(analyzer.manifest, cases.applicable).length === 0) {
    problems.push('cases: the applicable Case holds no input the manifest accepts');
    return problems;
  }
  const applicability = analyzer.isApplicable(cases.applicable);
  if (!applicability.applicable) {
    problems.push(`isApplicable: declined the applicable Case (${applicability.reason})`);
    return problems;
  }
  if (applicability.reason.trim() === '') {
    problems.push('isApplicable: an acceptance must say why');
  }
  const first = await analyzer.analyze(cases.applicable, helpers(new AbortController().signal));
  problems.push(
    ...validateOutput(analyzer.manifest, cases.applicable, first).map((problem) => `output.${problem}`),
  );
  if (first.findings.length === 0) {
    problems.push('output: no finding on an applicable Case with both eyes');
  }
  const second = await analyzer.analyze(cases.applicable, helpers(new AbortController().signal));
  if (JSON.stringify(first.findings) !== JSON.stringify(second.findings)) {
    problems.push('output: two runs on the same Case gave different findings');
  }
  const aborted = new AbortController();
  aborted.abort(new Error('contract: aborted'));
  try {
    await analyzer.analyze(cases.applicable, helpers(aborted.signal));
    problems.push('abort: an aborted run returned output instead of stopping');
  } catch {
    // Stopping with an error is the contract.
  }
  return problems;
}
