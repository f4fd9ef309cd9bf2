/**
 * The study page's claim bar: who holds the study on the worklist and the actions the reader has — "Claim" when
 * it is free, "Release" when it is theirs, "Break claim" for an admin when another reader holds it — and, while
 * another reader holds it, why the review controls are disabled. A refused action shows the gateway's problem.
 */
import type { StudyClaim } from '../claim-context.tsx';
import { LockIcon } from './claim-badge.tsx';
import { ProblemAlert } from './problem-alert.tsx';

function timeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The claim bar of a study. */
export function ClaimBar({ claim }: { readonly claim: StudyClaim }) {
  const view = claim.view;
  if (view === undefined) {
    return <ProblemAlert error={claim.error} />;
  }
  const holder = view.claim;
  const state = holder === null ? 'free' : holder.mine ? 'mine' : 'other';
  return (
    <section
      className={`claim-bar claim-${state}`}
      data-testid="claim-bar"
      data-claim={state}
      aria-live="polite"
    >
      {holder === null ? (
        <span>
          Nobody is reading this study.{' '}
          {view.mayClaim ? 'Claim it so that no other reader reviews it at the same time.' : ''}
        </span>
      ) : holder.mine ? (
        <span data-testid="claim-mine">
          <LockIcon /> You are reading this study (claimed at {timeOf(holder.claimedAt)}, until{' '}
          {timeOf(holder.expiresAt)} unless you review or claim again).
        </span>
      ) : (
        <span data-testid="claim-other" data-reader={holder.reader}>
          <LockIcon /> <strong>{holder.reader}</strong> is reading this study (claimed at{' '}
          {timeOf(holder.claimedAt)}). Reviews and sign-off are disabled until they release it or the claim
          ends at {timeOf(holder.expiresAt)}.
        </span>
      )}
      <span className="claim-actions">
        {view.mayClaim && holder === null ? (
          <button type="button" data-testid="claim-button" disabled={claim.busy} onClick={claim.claim}>
            Claim
          </button>
        ) : null}
        {holder?.mine === true ? (
          <button type="button" data-testid="release-button" disabled={claim.busy} onClick={claim.release}>
            Release
          </button>
        ) : null}
        {view.mayBreak ? (
          <button
            type="button"
            data-testid="break-claim-button"
            disabled={claim.busy}
            onClick={claim.release}
          >
            Break claim
          </button>
        ) : null}
      </span>
      <ProblemAlert error={claim.error} />
    </section>
  );
}
