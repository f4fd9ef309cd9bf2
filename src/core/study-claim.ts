/**
 * Worklist claims: a reader claims a study before reading it, so two readers do not review the same study at
 * once. A claim names its reader (the signed-in user's name, never patient data), lasts a configured time and is
 * renewed by claiming again; the reader releases it, an admin may break it, and an expired claim is free for the
 * next reader. While a study is claimed, reviews and sign-off by anyone else are refused. Implemented in
 * `store/`; the API (`api/routes/claims.ts`) audits every claim, release and break.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part04/sect_CC.1.html (the analogue: a UPS workitem claimed IN PROGRESS by one performer)
 */

/** An active claim of one study. */
export interface StudyClaim {
  readonly studyInstanceUid: string;
  /** The signed-in user who holds it. */
  readonly reader: string;
  /** When the reader first claimed it (a renewal keeps it). */
  readonly claimedAt: Date;
  /** When it ends unless renewed. */
  readonly expiresAt: Date;
}

/** What claiming answers: the claim taken (or renewed), or the other reader's claim that holds the study. */
export type ClaimOutcome =
  | { readonly claimed: true; readonly claim: StudyClaim }
  | { readonly claimed: false; readonly holder: StudyClaim };

/** Where claims are kept. Times are the database's, so several processes agree on expiry. */
export interface ClaimStore {
  /** Claims a study for `reader` for `seconds`, or renews the reader's own claim; refused while another holds it. */
  claim(studyInstanceUid: string, reader: string, seconds: number): Promise<ClaimOutcome>;
  /**
   * Ends a claim: the reader's own, or anyone's when `reader` is undefined (an admin breaking it).
   * @returns the claim ended, or undefined when there was none to end.
   */
  release(studyInstanceUid: string, reader: string | undefined): Promise<StudyClaim | undefined>;
  /** The study's active claim. */
  getClaim(studyInstanceUid: string): Promise<StudyClaim | undefined>;
  /** The active claims of the given studies, by Study Instance UID. */
  listClaims(studyInstanceUids: readonly string[]): Promise<Map<string, StudyClaim>>;
}

/** Whether a study claimed as `claim` may be reviewed or signed by `reader` (free, or the reader's own). */
export function mayActOn(claim: StudyClaim | undefined, reader: string): boolean {
  return claim === undefined || claim.reader === reader;
}
