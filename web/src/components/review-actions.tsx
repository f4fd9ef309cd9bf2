/**
 * The review controls of one AI finding in the AI panel: its review state (not reviewed, or the latest decision
 * with the reviewer, the reviewer's value or reason, and when), and accept / modify / reject against
 * `POST /api/studies/{uid}/findings/{id}/review`. Modify offers the editor the value takes (`review-values.ts`):
 * the five ICDR levels for a DR grade, a number for a measurement, the verdict for image quality; regions and
 * other classifications are accepted or rejected. A rejection needs a reason. A refused request shows the
 * gateway's problem details. A later decision replaces the earlier one (reviews are appended, the latest
 * counts). While another reader has claimed the study ({@link ClaimContext}) the controls are disabled and say
 * who holds it; a decision first claims the study for the reader (or renews their claim).
 */
import { useContext, useState } from 'react';
import {
  reviewFinding,
  type FindingView,
  type RejectReasonCode,
  type ReviewRequest,
  type ReviewView,
} from '../api.ts';
import { summaryOf } from '../findings.ts';
import {
  amountOf,
  editorOf,
  icdrLevelOf,
  icdrLevels,
  rejectReasonLabels,
  ungradableReasons,
  unitOf,
  withIcdrLevel,
  withMeasurement,
  withQuality,
} from '../review-values.ts';
import { ClaimContext } from '../claim-context.tsx';
import { LockIcon } from './claim-badge.tsx';
import { ProblemAlert } from './problem-alert.tsx';

/** What a successful review answers. */
export interface Reviewed {
  readonly finding: FindingView;
  readonly review: ReviewView;
}

const statusNames: Readonly<Record<string, string>> = {
  preliminary: 'Not reviewed',
  accepted: 'Accepted',
  modified: 'Modified',
  rejected: 'Rejected',
};

function ReviewState({ finding, review }: { readonly finding: FindingView; readonly review?: ReviewView }) {
  return (
    <div className="review-state" data-testid="review-status" data-status={finding.status}>
      <span className={`review-badge review-${finding.status}`}>
        {statusNames[finding.status] ?? finding.status}
      </span>
      {review === undefined ? null : (
        <span className="review-by">
          {' '}
          by {review.reviewer}, {new Date(review.reviewedAt).toLocaleString()}
        </span>
      )}
      {review?.decision === 'modify' && review.value !== undefined ? (
        <div className="review-value" data-testid="review-value">
          Reviewer&apos;s value: {summaryOf({ ...finding, value: { ...review.value } })}
        </div>
      ) : null}
      {review?.decision === 'reject' && review.reason !== undefined ? (
        <div className="review-reason" data-testid="review-reason" data-reason-code={review.reasonCode}>
          Reason: {reasonText(review)}
        </div>
      ) : null}
    </div>
  );
}

/** A rejection's reason as shown: the code's meaning, then the reviewer's words when they add to it. */
function reasonText(review: ReviewView): string {
  const meaning = review.reasonCode === undefined ? undefined : rejectReasonLabels[review.reasonCode];
  if (meaning === undefined || review.reason === meaning) {
    return review.reason ?? '';
  }
  return review.reasonCode === 'other' ? (review.reason ?? '') : `${meaning}: ${review.reason ?? ''}`;
}

/** The coded reasons of a rejection, as the select offers them (none chosen first). */
const rejectOptions: readonly { readonly value: RejectReasonCode | ''; readonly label: string }[] = [
  { value: '', label: 'Choose a reason…' },
  ...Object.entries(rejectReasonLabels).map(([code, meaning]) => ({
    value: code as RejectReasonCode,
    label: meaning,
  })),
];

/** A labelled select of fixed options. */
function Choice<Value extends string>({
  label,
  testId,
  value,
  options,
  onChange,
}: {
  readonly label: string;
  readonly testId: string;
  readonly value: Value;
  readonly options: readonly { readonly value: Value; readonly label: string }[];
  readonly onChange: (value: Value) => void;
}) {
  return (
    <label>
      {label}
      <select
        data-testid={testId}
        value={value}
        onChange={(event) => {
          onChange(event.currentTarget.value as Value);
        }}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

const icdrOptions = icdrLevels.map((entry) => ({
  value: String(entry.level),
  label: `${entry.level} — ${entry.code.meaning}`,
}));
const verdictOptions = (['gradable', 'ungradable'] as const).map((entry) => ({ value: entry, label: entry }));
const reasonOptions = ungradableReasons.map((entry) => ({ value: entry, label: entry }));

type Quality = 'gradable' | 'ungradable';
type UngradableReason = (typeof ungradableReasons)[number];

function ModifyForm({
  finding,
  busy,
  onSubmit,
  onCancel,
}: {
  readonly finding: FindingView;
  readonly busy: boolean;
  readonly onSubmit: (value: Record<string, unknown>) => void;
  readonly onCancel: () => void;
}) {
  const editor = editorOf(finding);
  const value = finding.value as Record<string, unknown>;
  const [level, setLevel] = useState(String(icdrLevelOf(value) ?? 0));
  const [amount, setAmount] = useState(String(amountOf(value) ?? ''));
  const [verdict, setVerdict] = useState<Quality>(value.verdict === 'ungradable' ? 'gradable' : 'ungradable');
  const [reason, setReason] = useState<UngradableReason>('blur');
  const [invalid, setInvalid] = useState<string | undefined>(undefined);
  const unit = unitOf(finding);

  const submit = (): void => {
    if (editor === 'icdr') {
      onSubmit(withIcdrLevel(finding, Number(level)));
    } else if (editor === 'measurement') {
      const parsed = Number(amount);
      if (amount.trim() === '' || !Number.isFinite(parsed)) {
        setInvalid('Enter a number.');
        return;
      }
      onSubmit(withMeasurement(finding, parsed));
    } else if (editor === 'quality') {
      onSubmit(withQuality(finding, verdict, verdict === 'ungradable' ? reason : undefined));
    }
  };

  return (
    <form
      className="review-form"
      data-testid="modify-form"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      {editor === 'icdr' ? (
        <Choice
          label="New ICDR grade"
          testId="modify-icdr"
          value={level}
          options={icdrOptions}
          onChange={setLevel}
        />
      ) : null}
      {editor === 'measurement' ? (
        <label>
          New value{unit === '' ? '' : ` (${unit})`}
          <input
            type="number"
            step="any"
            data-testid="modify-number"
            value={amount}
            onChange={(event) => {
              setAmount(event.currentTarget.value);
              setInvalid(undefined);
            }}
          />
        </label>
      ) : null}
      {editor === 'quality' ? (
        <>
          <Choice
            label="Verdict"
            testId="modify-verdict"
            value={verdict}
            options={verdictOptions}
            onChange={setVerdict}
          />
          {verdict === 'ungradable' ? (
            <Choice
              label="Why"
              testId="modify-quality-reason"
              value={reason}
              options={reasonOptions}
              onChange={setReason}
            />
          ) : null}
        </>
      ) : null}
      {invalid === undefined ? null : (
        <p className="error" role="alert">
          {invalid}
        </p>
      )}
      <div className="review-buttons">
        <button type="submit" data-testid="modify-save" disabled={busy}>
          Save modification
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RejectForm({
  busy,
  onSubmit,
  onCancel,
}: {
  readonly busy: boolean;
  readonly onSubmit: (why: { reasonCode?: RejectReasonCode; reason?: string }) => void;
  readonly onCancel: () => void;
}) {
  const [reason, setReason] = useState('');
  const [code, setCode] = useState<RejectReasonCode | ''>('');
  const [invalid, setInvalid] = useState(false);
  return (
    <form
      className="review-form"
      data-testid="reject-form"
      onSubmit={(event) => {
        event.preventDefault();
        const words = reason.trim();
        if (words === '' && (code === '' || code === 'other')) {
          setInvalid(true);
          return;
        }
        onSubmit({
          ...(code === '' ? {} : { reasonCode: code }),
          ...(words === '' ? {} : { reason: words }),
        });
      }}
    >
      <Choice
        label="Reason for rejecting"
        testId="reject-reason-code"
        value={code}
        options={rejectOptions}
        onChange={(value) => {
          setCode(value);
          setInvalid(false);
        }}
      />
      <label>
        In words (required without a reason above, or with Other)
        <textarea
          data-testid="reject-reason"
          rows={2}
          maxLength={1000}
          value={reason}
          aria-invalid={invalid}
          onChange={(event) => {
            setReason(event.currentTarget.value);
            setInvalid(false);
          }}
        />
      </label>
      {invalid ? (
        <p className="error" role="alert" data-testid="reject-reason-missing">
          A rejection needs a reason.
        </p>
      ) : null}
      <div className="review-buttons">
        <button type="submit" data-testid="reject-save" disabled={busy}>
          Reject finding
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The review state and controls of one finding. */
export function ReviewActions({
  studyInstanceUid,
  finding,
  review,
  onReviewed,
  onUnauthorized,
}: {
  readonly studyInstanceUid: string;
  readonly finding: FindingView;
  /** The latest review of the finding, when there is one. */
  readonly review?: ReviewView;
  readonly onReviewed: (reviewed: Reviewed) => void;
  readonly onUnauthorized: (error: unknown) => boolean;
}) {
  const [mode, setMode] = useState<'idle' | 'modify' | 'reject'>('idle');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const canModify = editorOf(finding) !== 'none';
  const claim = useContext(ClaimContext);
  const locked = claim?.heldBy !== undefined;

  const send = (request: ReviewRequest): void => {
    setBusy(true);
    setError(undefined);
    const claimed = claim === undefined ? Promise.resolve() : claim.ensureClaim();
    claimed
      .then(() => reviewFinding(studyInstanceUid, finding.id, request))
      .then(
        (reviewed) => {
          setBusy(false);
          setMode('idle');
          onReviewed(reviewed);
        },
        (failure: unknown) => {
          setBusy(false);
          if (!onUnauthorized(failure)) {
            setError(failure);
          }
        },
      );
  };

  return (
    <div className="review-actions" data-testid="review-actions" data-finding-id={finding.id}>
      <ReviewState finding={finding} {...(review === undefined ? {} : { review })} />
      {locked ? (
        <p className="review-locked" data-testid="review-locked">
          <LockIcon /> {claim.heldBy} is reading this study: reviewing is disabled until they release it.
        </p>
      ) : null}
      {mode === 'idle' ? (
        <div className="review-buttons">
          <button
            type="button"
            data-testid="review-accept"
            disabled={busy || locked || finding.status === 'accepted'}
            onClick={() => {
              send({ decision: 'accept' });
            }}
          >
            Accept
          </button>
          <button
            type="button"
            data-testid="review-modify"
            disabled={busy || locked || !canModify}
            title={canModify ? undefined : 'This finding can be accepted or rejected only'}
            onClick={() => {
              setMode('modify');
              setError(undefined);
            }}
          >
            Modify
          </button>
          <button
            type="button"
            data-testid="review-reject"
            disabled={busy || locked}
            onClick={() => {
              setMode('reject');
              setError(undefined);
            }}
          >
            Reject
          </button>
        </div>
      ) : null}
      {mode === 'modify' ? (
        <ModifyForm
          finding={
            // Start from the value as last modified, so a second modification edits the reviewer's value.
            review?.decision === 'modify' && review.value !== undefined
              ? { ...finding, value: { ...review.value } }
              : finding
          }
          busy={busy}
          onSubmit={(value) => {
            send({ decision: 'modify', value });
          }}
          onCancel={() => {
            setMode('idle');
          }}
        />
      ) : null}
      {mode === 'reject' ? (
        <RejectForm
          busy={busy}
          onSubmit={(why) => {
            send({ decision: 'reject', ...why });
          }}
          onCancel={() => {
            setMode('idle');
          }}
        />
      ) : null}
      <ProblemAlert error={error} />
    </div>
  );
}
