/**
 * Triage: where a study goes on the reading worklist. Analyzers suggest a bucket per eye with their findings;
 * the study's bucket is the most urgent suggestion of its visible (assistive or integrated, not rejected)
 * findings. Ungradable images imply `recapture`, so an eye that cannot be graded never lets the study pass as
 * normal: one ungradable eye and one normal eye make a `recapture` study, not a `review-and-release` one.
 * `review-and-release` needs a confidence at or above the site's threshold; below it the study is `routine`.
 * Besides what analyzers suggest, the site's measurement rules (configuration `triage.measurementRules`) turn
 * a measurement beyond a threshold into a suggestion, e.g. fluid in the central subfield → `referable`.
 */
import type { Eye } from './eye.ts';
import { isVisibleAnalysis, type AnalysisRecord, type Finding } from './finding.ts';
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
  /** Measurement thresholds that suggest a bucket (empty when absent). */
  readonly measurementRules?: readonly MeasurementTriageRule[];
}

/** A bucket suggested when a measurement finding's value reaches a threshold. */
export interface MeasurementTriageRule {
  /** The measured concept (code value and coding scheme designator), e.g. 99FOVEA `CSF-FLUID`. */
  readonly concept: { readonly value: string; readonly scheme: string };
  /** The rule fires at values ≥ this (in the finding's unit)… */
  readonly atLeast?: number;
  /** …and/or ≤ this. */
  readonly atMost?: number;
  /** The finding's unit (UCUM code) the thresholds are in; a finding in another unit is not compared. */
  readonly unit: string;
  readonly bucket: TriageBucket;
  /** Shown on the worklist, followed by the measured value (no PHI). */
  readonly reason: string;
}

/** The suggestions the rules make for a finding (none for other kinds of findings). */
export function ruleSuggestions(
  finding: Finding,
  rules: readonly MeasurementTriageRule[],
): TriageSuggestion[] {
  const value = finding.value;
  if (value.kind !== 'measurement') {
    return [];
  }
  return rules
    .filter(
      (rule) =>
        rule.concept.value === value.concept.value &&
        rule.concept.scheme === value.concept.scheme &&
        rule.unit === value.unit.value &&
        (rule.atLeast !== undefined || rule.atMost !== undefined) &&
        (rule.atLeast === undefined || value.value >= rule.atLeast) &&
        (rule.atMost === undefined || value.value <= rule.atMost),
    )
    .map((rule) => ({ bucket: rule.bucket, reason: `${rule.reason} (${value.value} ${value.unit.value})` }));
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
  const visible = analyses.filter(isVisibleAnalysis);
  const perEye = new Map<Eye, TriageReason>();
  for (const analysis of visible) {
    for (const finding of analysis.findings) {
      if (finding.status === 'rejected') {
        continue;
      }
      const own = suggestionOf(finding);
      const suggestions = [
        ...(own === undefined ? [] : [own]),
        ...ruleSuggestions(finding, policy.measurementRules ?? []),
      ];
      for (const suggested of suggestions) {
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
