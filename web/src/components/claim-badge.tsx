/**
 * The lock badge of a claimed study on the worklist: a padlock and the reader who holds it (text and symbol,
 * never colour alone), with since when in its title; and the padlock itself, drawn as SVG (an emoji needs a font
 * the reading room's machines may not have).
 */
import type { WorklistEntry } from '../api.ts';

/** A small padlock in the current text colour. */
export function LockIcon() {
  return (
    <svg
      className="lock-icon"
      viewBox="0 0 12 14"
      width="10"
      height="12"
      aria-hidden="true"
      focusable="false"
    >
      <path d="M3 6V4a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <rect x="1" y="6" width="10" height="7.5" rx="1.5" fill="currentColor" />
    </svg>
  );
}

/** The claim of a worklist row, as the worklist answers it. */
export type WorklistClaim = NonNullable<WorklistEntry['claim']>;

/** The badge of one claim. */
export function ClaimBadge({ claim }: { readonly claim: WorklistClaim }) {
  const since = new Date(claim.claimedAt).toLocaleString();
  return (
    <span
      className="badge claim-badge"
      data-testid="claim-badge"
      data-reader={claim.reader}
      title={`Claimed by ${claim.reader} since ${since}`}
    >
      <LockIcon /> {claim.reader}
    </span>
  );
}
