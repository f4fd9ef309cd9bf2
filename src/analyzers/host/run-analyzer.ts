/**
 * Runs one analyzer on one Case in the current thread: applicability, analysis with a scoped logger, abort
 * signal, pixel access and a private temporary directory, then the output contract check. The worker
 * threads call it; so do the contract tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FoveaError, toFoveaError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import {
  validateOutput,
  type AnalysisCase,
  type Analyzer,
  type AnalyzerRunOutcome,
  type PixelAccess,
} from '../sdk/index.ts';

/** Applicability, then analysis; the output is checked against the contract. */
export async function runAnalyzer(
  analyzer: Analyzer,
  analysisCase: AnalysisCase,
  context: { readonly logger: Logger; readonly signal: AbortSignal; readonly pixels: PixelAccess },
): Promise<AnalyzerRunOutcome> {
  const applicability = analyzer.isApplicable(analysisCase);
  if (!applicability.applicable) {
    return { applicability };
  }
  const tempDir = await mkdtemp(join(tmpdir(), `fovea-${analyzer.manifest.id}-`));
  try {
    let output;
    try {
      output = await analyzer.analyze(analysisCase, { ...context, tempDir });
    } catch (error) {
      if (context.signal.aborted) {
        throw new FoveaError('FOVEA_ANALYZER_TIMEOUT', {
          detail: `${analyzer.manifest.id} was aborted`,
          cause: error,
        });
      }
      const known = toFoveaError(error);
      throw known.code === 'FOVEA_INTERNAL'
        ? new FoveaError('FOVEA_ANALYZER_FAILED', {
            detail: `${analyzer.manifest.id} failed: ${error instanceof Error ? error.message.slice(0, 200) : 'unknown error'}`,
            cause: error,
          })
        : known;
    }
    const problems = validateOutput(analyzer.manifest, analysisCase, output);
    if (problems.length > 0) {
      throw new FoveaError('FOVEA_ANALYZER_OUTPUT_INVALID', {
        detail: `${analyzer.manifest.id}: ${problems.slice(0, 5).join('; ')}`,
      });
    }
    return {
      applicability,
      output: { findings: output.findings, raw: JSON.parse(JSON.stringify(output.raw ?? null)) as unknown },
    };
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}
