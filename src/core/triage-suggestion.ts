/**
 * The worklist buckets and what an analyzer suggests with a finding (see `triage.ts` for how a study's bucket
 * follows from them).
 */

/** The worklist buckets, most urgent first. */
export const triageBuckets = ['stat', 'referable', 'recapture', 'routine', 'review-and-release'] as const;

/** A worklist bucket. */
export type TriageBucket = (typeof triageBuckets)[number];

/** What an analyzer suggests for the eye a finding is about. */
export interface TriageSuggestion {
  readonly bucket: TriageBucket;
  /** Why, in words a clinician reads on the worklist (no PHI). */
  readonly reason: string;
  /** In [0, 1]: the analyzer's confidence in the suggestion (needed for `review-and-release`). */
  readonly confidence?: number;
}
