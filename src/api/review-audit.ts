/**
 * What the audit trail records about a review decision: the finding (id, eye, kind, concept), the decision, the
 * reviewer's value (modify) and reason (reject: its code and words), as flat text and numbers so the hash chain covers them. No
 * patient identifiers: findings are about an eye of a study the event already names.
 * @see https://hl7.org/fhir/R4/auditevent-definitions.html#AuditEvent.entity.detail
 */
import type { Finding, FindingValue } from '../core/finding.ts';
import type { FindingReview } from '../core/review.ts';

/** The longest reason kept in an audit event (the review itself keeps the whole text). */
const maxReasonLength = 500;

/** The value of a finding as one line: `moderate NPDR (SCT 371557003)`, `312.5 um`, `ungradable (blur)`. */
export function valueText(value: FindingValue): string {
  try {
    return textOf(value);
  } catch {
    // A reviewer's value is checked for its kind, concept and unit only; a malformed rest is not worth a 500.
    return '?';
  }
}

function textOf(value: FindingValue): string {
  switch (value.kind) {
    case 'classification':
      return `${value.value.meaning} (${value.value.scheme} ${value.value.value})`;
    case 'measurement':
      return `${value.value} ${value.unit.value}`;
    case 'quality':
      return value.reasons.length === 0 ? value.verdict : `${value.verdict} (${value.reasons.join(', ')})`;
    case 'region':
      return `${value.graphicType} of ${Math.floor(value.points.length / 2)} points`;
  }
}

function conceptText(value: FindingValue): string {
  return value.kind === 'quality'
    ? 'image quality'
    : `${value.concept.meaning} (${value.concept.scheme} ${value.concept.value})`;
}

/** The audit details of a review decision on a finding. */
export function reviewAuditDetails(
  finding: Finding,
  review: Pick<FindingReview, 'decision' | 'value' | 'reason' | 'reasonCode'>,
): Record<string, string> {
  return {
    findingId: finding.id,
    eye: finding.eye,
    findingKind: finding.value.kind,
    concept: conceptText(finding.value),
    decision: review.decision,
    aiValue: valueText(finding.value),
    ...(review.decision === 'modify' && review.value !== undefined
      ? { newValue: valueText(review.value) }
      : {}),
    ...(review.decision === 'reject' && review.reasonCode !== undefined
      ? { reasonCode: review.reasonCode }
      : {}),
    ...(review.decision === 'reject' && review.reason !== undefined
      ? { reason: review.reason.slice(0, maxReasonLength) }
      : {}),
  };
}
