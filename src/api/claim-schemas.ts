/**
 * The wire form of worklist claims (TypeBox: validation, serialisation and OpenAPI from one source), shared by
 * the claim routes and the worklist.
 */
import Type, { type Static } from 'typebox';
import type { StudyClaim } from '../core/study-claim.ts';

/** An active claim: who holds the study (the signed-in user's name) and since when. */
export const ClaimViewSchema = Type.Object({
  reader: Type.String(),
  claimedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

/** `GET /api/studies/{uid}/claim` and what claiming answers: the claim as the caller sees it. */
export const StudyClaimSchema = Type.Object({
  claim: Type.Union([
    Type.Object({
      ...ClaimViewSchema.properties,
      /** The caller holds it. */
      mine: Type.Boolean(),
    }),
    Type.Null(),
  ]),
  /** The caller may claim the study now (it is free or theirs, and the caller reads). */
  mayClaim: Type.Boolean(),
  /** The caller may break another reader's claim (admin). */
  mayBreak: Type.Boolean(),
});

/** An active claim on the wire. */
export type ClaimView = Static<typeof ClaimViewSchema>;
/** A study's claim as the caller sees it. */
export type StudyClaimView = Static<typeof StudyClaimSchema>;

/** A claim for the API. */
export function claimView(claim: StudyClaim): ClaimView {
  return {
    reader: claim.reader,
    claimedAt: claim.claimedAt.toISOString(),
    expiresAt: claim.expiresAt.toISOString(),
  };
}
