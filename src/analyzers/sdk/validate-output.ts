/**
 * Checks an analyzer's output against the contract before anything is stored: findings per eye (R or L),
 * for use cases and output kinds the manifest declares, about instances that were inputs of the run, with
 * finite values and unique keys per eye.
 */
import { triageBuckets } from '../../core/triage.ts';
import type { AnalysisCase, AnalyzerOutput } from './analyzer.ts';
import { acceptedInstances } from './analyzer.ts';
import type { AnalyzerManifest } from './manifest.ts';

/** Every contract violation in `output`, as readable lines; empty when the output is valid. */
export function validateOutput(
  manifest: AnalyzerManifest,
  analysisCase: AnalysisCase,
  output: AnalyzerOutput,
): string[] {
  const problems: string[] = [];
  const inputs = new Set(
    acceptedInstances(manifest, analysisCase).map((instance) => instance.sopInstanceUid),
  );
  const keys = new Set<string>();
  output.findings.forEach((finding, index) => {
    const at = `findings.${index}`;
    // Output crosses a thread boundary from plug-in code: check what the types promise.
    if (!['R', 'L'].includes(finding.eye)) {
      problems.push(`${at}.eye: must be R or L`);
    }
    if (!manifest.useCases.includes(finding.useCase)) {
      problems.push(`${at}.useCase: '${finding.useCase}' is not declared in the manifest`);
    }
    if (!manifest.outputs.includes(finding.value.kind)) {
      problems.push(`${at}.value.kind: '${finding.value.kind}' is not declared in the manifest`);
    }
    const key = `${finding.eye}:${finding.key}`;
    if (keys.has(key)) {
      problems.push(`${at}.key: '${finding.key}' is used twice for eye ${finding.eye}`);
    }
    keys.add(key);
    if (finding.sourceSopInstanceUids.length === 0) {
      problems.push(`${at}.sourceSopInstanceUids: empty`);
    }
    for (const uid of finding.sourceSopInstanceUids) {
      if (!inputs.has(uid)) {
        problems.push(`${at}.sourceSopInstanceUids: ${uid} is not an input of this run`);
      }
    }
    const value = finding.value;
    const numbers: number[] =
      value.kind === 'quality'
        ? [value.score, ...Object.values(value.components)]
        : value.kind === 'measurement'
          ? [value.value]
          : value.kind === 'classification'
            ? value.confidence === undefined
              ? []
              : [value.confidence]
            : [...value.points];
    if (numbers.some((number) => !Number.isFinite(number))) {
      problems.push(`${at}.value: every number must be finite`);
    }
    if (value.kind === 'quality') {
      if (value.score < 0 || value.score > 1) {
        problems.push(`${at}.value.score: must be in [0, 1]`);
      }
      if ((value.verdict === 'ungradable') !== value.reasons.length > 0) {
        problems.push(`${at}.value.reasons: an ungradable verdict needs reasons, a gradable one none`);
      }
    }
    const triage = finding.triage;
    if (triage !== undefined) {
      if (!(triageBuckets as readonly string[]).includes(triage.bucket)) {
        problems.push(`${at}.triage.bucket: '${triage.bucket}' is not one of ${triageBuckets.join(', ')}`);
      }
      if (typeof triage.reason !== 'string' || triage.reason.trim() === '') {
        problems.push(`${at}.triage.reason: must say why`);
      }
      if (
        triage.confidence !== undefined &&
        !(Number.isFinite(triage.confidence) && triage.confidence >= 0 && triage.confidence <= 1)
      ) {
        problems.push(`${at}.triage.confidence: must be in [0, 1]`);
      }
      if (triage.bucket === 'review-and-release' && triage.confidence === undefined) {
        problems.push(`${at}.triage.confidence: review-and-release needs a confidence`);
      }
    }
  });
  try {
    JSON.stringify(output.raw);
  } catch {
    problems.push('raw: must be JSON-serialisable');
  }
  return problems;
}
