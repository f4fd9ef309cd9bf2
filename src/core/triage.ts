/**
 * Triage: where a study goes on the reading worklist. Analyzers suggest a bucket per eye with their findings;
 * the study's bucket is the most urgent suggestion of its visible (assistive or integrated, not rejected)
 * findings. Ungradable images imply `recapture`, so an eye that cannot be graded never lets the study pass as
 * normal: one ungradable eye and one normal eye make a `recapture` study, not a `review-and-release` one.
 * `review-and-release` needs a confidence at or above the site's threshold; below it the study is `routine`.
 */
import type { Eye } from './eye.ts';
import type { AnalysisRecord, Finding } from './finding.ts';
import { triageBuckets, type TriageBucket, type TriageSuggestion } from './triage-suggestion.ts';

export { triageBuckets, type TriageBucket, type TriageSuggestion } from './triage-suggestion.ts';

/** One reason behind a study's triage. */
export interface TriageReason extends TriageSuggestion {
  readonly eye: Eye;
  readonly findingId: string;
  readonly analyzerId: string;
}

/** A study's place on the worklist. */
export interface StudyTriage {
  readonly studyInstanceUid: string;
  readonly bucket: TriageBucket;
  /**
   * Higher is read first: the bucket's base (stat 900, referable 700, recapture 500, routine 300,
   * review-and-release 100) plus up to 99 by confidence (the least confident first among normals to release).
   */
  readonly priority: number;
  /** Every eye's most urgent suggestion, most urgent first. */
  readonly reasons: readonly TriageReason[];
  /** The analyses the triage was computed from. */
  readonly analysisIds: readonly string[];
  readonly computedAt: Date;
}

/** Site policy for triage. */
export interface TriagePolicy {
  /** Minimum confidence for `review-and-release`; below it a normal result is `routine`. */
  readonly releaseConfidence: number;
}

const basePriority: Readonly<Record<TriageBucket, number>> = {
  stat: 900,
  referable: 700,
  recapture: 500,
  routine: 300,
  'review-and-release': 100,
};

function urgency(bucket: TriageBucket): number {
  return triageBuckets.indexOf(bucket);
}

/** The suggestion a finding makes: its own, or `recapture` for an ungradable quality verdict. */
export function suggestionOf(finding: Finding): TriageSuggestion | undefined {
  if (finding.triage !== undefined) {
    return finding.triage;
  }
  if (finding.value.kind === 'quality' && finding.value.verdict === 'ungradable') {
    return {
      bucket: 'recapture',
      reason: `ungradable (${finding.value.reasons.join(', ')})`,
      confidence: 1 - finding.value.score,
    };
  }
  return undefined;
}

/**
 * Computes a study's triage from its analyses; `undefined` when no visible finding suggests anything. Silent
 * and `off` analyses never count (their results never reach clinicians), nor do rejected findings.
 */
export function triageStudy(
  studyInstanceUid: string,
  analyses: readonly AnalysisRecord[],
  policy: TriagePolicy,
  now: Date,
): StudyTriage | undefined {
  const visible = analyses.filter(
    (analysis) =>
      analysis.status === 'succeeded' && (analysis.phase === 'assistive' || analysis.phase === 'integrated'),
  );
  const perEye = new Map<Eye, TriageReason>();
  for (const analysis of visible) {
    for (const finding of analysis.findings) {
      if (finding.status === 'rejected') {
        continue;
      }
      const suggested = suggestionOf(finding);
      if (suggested === undefined) {
        continue;
      }
      const bucket =
        suggested.bucket === 'review-and-release' && (suggested.confidence ?? 0) < policy.releaseConfidence
          ? 'routine'
          : suggested.bucket;
      const reason: TriageReason = {
        ...suggested,
        bucket,
        eye: finding.eye,
        findingId: finding.id,
        analyzerId: analysis.analyzerId,
      };
      const current = perEye.get(finding.eye);
      if (
        current === undefined ||
        urgency(bucket) < urgency(current.bucket) ||
        (bucket === current.bucket && (reason.confidence ?? 0) > (current.confidence ?? 0))
      ) {
        perEye.set(finding.eye, reason);
      }
    }
  }
  const reasons = [...perEye.values()].sort(
    (a, b) => urgency(a.bucket) - urgency(b.bucket) || (b.confidence ?? 0) - (a.confidence ?? 0),
  );
  const top = reasons[0];
  if (top === undefined) {
    return undefined;
  }
  const confidence = Math.min(1, Math.max(0, top.confidence ?? 0));
  // Within a bucket, surer findings first; among normals to release, the least sure first.
  const within = top.bucket === 'review-and-release' ? 1 - confidence : confidence;
  return {
    studyInstanceUid,
    bucket: top.bucket,
    priority: basePriority[top.bucket] + Math.round(within * 99),
    reasons,
    analysisIds: visible.map((analysis) => analysis.id).sort(),
    computedAt: now,
  };
}
