/**
 * The study header's triage reasons as reviewed: each is the AI's statement about one eye ("AI: moderate NPDR"),
 * and once a clinician has decided on the finding behind it, the decision beside it — accepted by the reviewer,
 * modified by the reviewer to the new value, or rejected by the reviewer with the reason (the AI's statement then
 * struck through) — so the header never shows an AI statement the reader overruled as if it stood. Reasons not
 * yet reviewed keep the "AI-generated — verify" label.
 */
import type { FindingView, ReviewView, StudyDetailView } from '../api.ts';
import { summaryOf } from '../findings.ts';

type TriageReason = NonNullable<StudyDetailView['triage']>['reasons'][number];

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** The reviewer's value in a few words: the grade, the number and unit, the verdict. */
export function reviewedValueText(
  finding: FindingView | undefined,
  value: Readonly<Record<string, unknown>>,
): string {
  const answer = record(value.value);
  if (value.kind === 'classification' && typeof answer?.meaning === 'string') {
    return answer.meaning;
  }
  if (value.kind === 'measurement' && typeof value.value === 'number') {
    const unit = record(value.unit);
    return `${value.value} ${typeof unit?.value === 'string' ? unit.value : ''}`.trim();
  }
  if (value.kind === 'quality' && typeof value.verdict === 'string') {
    const reasons = Array.isArray(value.reasons)
      ? value.reasons.filter((item) => typeof item === 'string')
      : [];
    return reasons.length === 0 ? value.verdict : `${value.verdict} (${reasons.join(', ')})`;
  }
  return finding === undefined ? 'a new value' : summaryOf({ ...finding, value: { ...value } });
}

function Decision({ review, finding }: { readonly review: ReviewView; readonly finding?: FindingView }) {
  if (review.decision === 'modify' && review.value !== undefined) {
    return (
      <span className="reviewed-decision">
        {' '}
        — modified by {review.reviewer} to <strong>{reviewedValueText(finding, review.value)}</strong>
      </span>
    );
  }
  if (review.decision === 'reject') {
    return (
      <span className="reviewed-decision">
        {' '}
        — rejected by {review.reviewer}
        {review.reason === undefined ? '' : `: ${review.reason}`}
      </span>
    );
  }
  return <span className="reviewed-decision"> — accepted by {review.reviewer}</span>;
}

/** The triage reasons of a study, each with the latest review of the finding behind it. */
export function TriageReasons({
  reasons,
  findings,
  latest,
}: {
  readonly reasons: readonly TriageReason[];
  readonly findings: readonly FindingView[];
  readonly latest: ReadonlyMap<string, ReviewView>;
}) {
  return (
    <ul className="triage-reasons">
      {reasons.map((reason) => {
        const review = latest.get(reason.findingId);
        const finding = findings.find((entry) => entry.id === reason.findingId);
        const decision = review?.decision ?? 'none';
        return (
          <li
            key={`${reason.eye}-${reason.findingId}`}
            data-testid="triage-reason"
            data-finding-id={reason.findingId}
            data-decision={decision}
          >
            {reason.eye}:{' '}
            <span className={decision === 'reject' || decision === 'modify' ? 'ai-overruled' : undefined}>
              AI: {reason.reason}
            </span>
            {review === undefined ? (
              <>
                {' '}
                <span className="ai-tag">AI-generated — verify</span>
              </>
            ) : (
              <Decision review={review} {...(finding === undefined ? {} : { finding })} />
            )}
          </li>
        );
      })}
    </ul>
  );
}
