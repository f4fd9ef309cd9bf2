/**
 * A study's audit trail (`GET /api/studies/{uid}/audit`, ophthalmologists): every recorded request about the
 * study — views, review decisions, report views, sign-offs, claims, releases and broken claims — with who, when,
 * from where, the outcome and what the event records about it (for a review decision the finding, its concept,
 * the decision, the AI's value, the reviewer's new value or reason; for a claim the reader), newest first, from
 * the gateway's hash-chained audit log; and beside it the review decisions themselves (from
 * `GET /api/studies/{uid}/report`), whose history the reviews keep (what was decided, the reviewer's value or
 * reason).
 */
import { useEffect, useState } from 'react';
import { fetchAudit, fetchReport, type AuditEventView, type FindingView, type ReviewView } from '../api.ts';
import { ProblemAlert } from '../components/problem-alert.tsx';
import { StudyLinks } from '../components/study-links.tsx';
import { summaryOf } from '../findings.ts';

/** What each audited route of a study means, by method and route template. */
const stepNames: Readonly<Record<string, string>> = {
  'view /api/studies/:StudyInstanceUID': 'Viewed the study',
  'view /api/studies/:StudyInstanceUID/findings': 'Viewed the AI findings',
  'view /api/studies/:StudyInstanceUID/explain': 'Viewed the triage explanation',
  'view /api/studies/:StudyInstanceUID/report': 'Viewed the report and reviews',
  'view /api/studies/:StudyInstanceUID/audit': 'Viewed the audit trail',
  'view /api/studies/:StudyInstanceUID/trend-plot': 'Viewed the trend plot',
  'view /api/studies/:StudyInstanceUID/oct-fluid/:SOPInstanceUID': 'Viewed the AI fluid of an OCT volume',
  'view /api/studies/:StudyInstanceUID/oct-layers/:SOPInstanceUID': 'Viewed the AI layer lines of a B-scan',
  'view /api/studies/:StudyInstanceUID/oct-slo/:SOPInstanceUID': 'Viewed the SLO with the B-scan positions',
  'view /api/studies/:StudyInstanceUID/lesion-heatmap/:SOPInstanceUID': 'Viewed the AI lesion heatmap',
  'view /api/studies/:StudyInstanceUID/visual-fields': 'Viewed the visual fields',
  'view /api/studies/:StudyInstanceUID/prior-visit': 'Viewed the prior visit',
  'post /api/studies/:StudyInstanceUID/findings/:findingId/review': 'Reviewed a finding',
  'post /api/studies/:StudyInstanceUID/sign': 'Signed the report',
  'claim /api/studies/:StudyInstanceUID/claim': 'Claimed the study',
  'release /api/studies/:StudyInstanceUID/claim': 'Released the claim',
  'claim-break /api/studies/:StudyInstanceUID/claim': 'Broke the claim',
  'post /dicomweb/studies/:StudyInstanceUID': 'Sent images (STOW-RS)',
};

/** A readable name of an audit event's step. */
export function stepName(event: AuditEventView): string {
  return stepNames[`${event.action} ${event.target}`] ?? `${event.action} ${event.target}`;
}

const decisionNames: Readonly<Record<string, string>> = {
  accept: 'Accepted',
  modify: 'Modified',
  reject: 'Rejected',
};

/** What an audit event records beyond who, what and when, in words (the HTTP status is in the outcome). */
export function detailLines(event: AuditEventView): string[] {
  const details = event.details ?? {};
  const text = (key: string): string | undefined => {
    const value = details[key];
    return value === undefined ? undefined : String(value);
  };
  const lines: string[] = [];
  const decision = text('decision');
  if (decision !== undefined) {
    lines.push(
      `${decisionNames[decision] ?? decision}: ${text('concept') ?? text('findingKind') ?? 'finding'}` +
        (text('eye') === undefined ? '' : `, eye ${text('eye')}`),
    );
    if (text('aiValue') !== undefined) {
      lines.push(`AI: ${text('aiValue')}`);
    }
    if (text('newValue') !== undefined) {
      lines.push(`New value: ${text('newValue')}`);
    }
    if (text('reasonCode') !== undefined) {
      lines.push(`Reason code: ${text('reasonCode')}`);
    }
    if (text('reason') !== undefined) {
      lines.push(`Reason: ${text('reason')}`);
    }
    if (text('findingId') !== undefined) {
      lines.push(`Finding ${text('findingId')}`);
    }
  }
  if (text('heldBy') !== undefined) {
    lines.push(`Held by ${text('heldBy')}`);
  } else if (text('reader') !== undefined) {
    lines.push(
      `Reader ${text('reader')}` +
        (text('expiresAt') === undefined ? '' : ` until ${new Date(text('expiresAt')!).toLocaleString()}`),
    );
  }
  return lines;
}

function ReviewHistory({
  reviews,
  findings,
}: {
  readonly reviews: readonly ReviewView[];
  readonly findings: readonly FindingView[];
}) {
  const byId = new Map(findings.map((finding) => [finding.id, finding]));
  return (
    <table className="audit-table" data-testid="review-history">
      <thead>
        <tr>
          <th>When</th>
          <th>Reviewer</th>
          <th>Decision</th>
          <th>Finding</th>
          <th>Value or reason</th>
        </tr>
      </thead>
      <tbody>
        {[...reviews].reverse().map((review) => {
          const finding = byId.get(review.findingId);
          return (
            <tr key={review.id} data-testid="review-history-row" data-decision={review.decision}>
              <td>{new Date(review.reviewedAt).toLocaleString()}</td>
              <td>{review.reviewer}</td>
              <td>{decisionNames[review.decision] ?? review.decision}</td>
              <td>{finding === undefined ? review.findingId : `${finding.eye}: ${finding.key}`}</td>
              <td>
                {review.decision === 'modify' && review.value !== undefined && finding !== undefined
                  ? summaryOf({ ...finding, value: { ...review.value } })
                  : (review.reason ?? '')}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The audit trail page. */
export function AuditPage({
  studyInstanceUid,
  onUnauthorized,
}: {
  readonly studyInstanceUid: string;
  readonly onUnauthorized: (error: unknown) => boolean;
}) {
  const [events, setEvents] = useState<AuditEventView[] | undefined>(undefined);
  const [reviews, setReviews] = useState<{ reviews: ReviewView[]; findings: FindingView[] } | undefined>(
    undefined,
  );
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    let current = true;
    fetchAudit(studyInstanceUid).then(
      (loaded) => {
        if (current) {
          setEvents(loaded);
        }
      },
      (failure: unknown) => {
        if (current && !onUnauthorized(failure)) {
          setError(failure);
        }
      },
    );
    fetchReport(studyInstanceUid).then(
      (report) => {
        if (current) {
          setReviews({ reviews: [...report.reviews], findings: [...report.findings] });
        }
      },
      () => {
        // The audit trail stands on its own; the review history is shown when the caller may read it.
      },
    );
    return () => {
      current = false;
    };
  }, [studyInstanceUid, onUnauthorized]);

  return (
    <main className="audit-page" data-testid="audit-page" data-study-uid={studyInstanceUid}>
      <StudyLinks studyInstanceUid={studyInstanceUid} current="audit" />
      <h1>Audit trail</h1>
      <ProblemAlert error={error} />
      {events === undefined ? (
        error === undefined ? (
          <p>Loading…</p>
        ) : null
      ) : (
        <table className="audit-table" data-testid="audit-trail">
          <thead>
            <tr>
              <th>#</th>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              <th>Details</th>
              <th>Outcome</th>
              <th>From</th>
              <th>Hash</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr
                key={event.seq}
                data-testid="audit-event"
                data-action={event.action}
                data-target={event.target}
                data-actor={event.actor}
                data-outcome={event.outcome}
                data-decision={event.details?.decision}
                data-finding-id={event.details?.findingId}
              >
                <td>{event.seq}</td>
                <td>{new Date(event.at).toLocaleString()}</td>
                <td>
                  {event.actor} <span className="muted">({event.actorKind})</span>
                </td>
                <td>{stepName(event)}</td>
                <td className="audit-details" data-testid="audit-details">
                  {detailLines(event).map((line) => (
                    <div key={line}>{line}</div>
                  ))}
                </td>
                <td>
                  {event.outcome}
                  {typeof event.details?.status === 'number' ? ` (${event.details.status})` : ''}
                </td>
                <td>{event.from ?? ''}</td>
                <td className="hash" title={event.hash}>
                  {event.hash.slice(0, 12)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {reviews === undefined ? null : (
        <section aria-label="Review decisions">
          <h2>Review decisions</h2>
          {reviews.reviews.length === 0 ? (
            <p>No finding has been reviewed yet.</p>
          ) : (
            <ReviewHistory reviews={reviews.reviews} findings={reviews.findings} />
          )}
        </section>
      )}
    </main>
  );
}
