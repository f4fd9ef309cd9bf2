/**
 * Worklist claims: `GET /api/studies/{uid}/claim` (who holds the study; role integration),
 * `POST /api/studies/{uid}/claim` (claim it, or renew one's own claim; graders and ophthalmologists) and
 * `DELETE /api/studies/{uid}/claim` (release one's own claim; an admin breaks anyone's). A claim lasts
 * `review.claimMinutes`; while another reader holds a study, claiming it, reviewing its findings and signing its
 * report answer 409 `FOVEA_CLAIM_HELD` naming that reader (the user name, no patient data). The audit trail
 * records each as `claim`, `release` or `claim-break` with the reader; the worklist's live updates announce them
 * (the store notifies the worklist channel).
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part04/sect_CC.1.html (the analogue: a UPS
 * workitem claimed IN PROGRESS by one performer)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import type { InstanceIndex } from '../../core/instance-index.ts';
import { roleAllows } from '../../core/roles.ts';
import { mayActOn, type ClaimStore, type StudyClaim } from '../../core/study-claim.ts';
import { noteAudit } from '../audit-hook.ts';
import { claimView, StudyClaimSchema, type StudyClaimView } from '../claim-schemas.ts';
import { ProblemSchema, StudyParamsSchema } from '../schemas.ts';

/** What the claim routes use. */
export interface ClaimRouteOptions {
  readonly index: InstanceIndex;
  readonly claims: ClaimStore;
  /** How long a claim lasts unless renewed (`review.claimMinutes`, default 30). */
  readonly claimMinutes?: number;
}

/** The refusal while another reader holds a study. */
export function claimHeld(holder: StudyClaim): FoveaError {
  return new FoveaError('FOVEA_CLAIM_HELD', {
    detail: `${holder.reader} has claimed this study since ${holder.claimedAt.toISOString()} (until ${holder.expiresAt.toISOString()} unless released)`,
  });
}

/**
 * Refuses (409) a decision about a study that another reader holds; a free study, or the caller's own claim,
 * lets it through.
 */
export async function requireClaimOrFree(
  claims: ClaimStore | undefined,
  studyInstanceUid: string,
  reader: string,
): Promise<void> {
  if (claims === undefined) {
    return;
  }
  const claim = await claims.getClaim(studyInstanceUid);
  if (!mayActOn(claim, reader)) {
    throw claimHeld(claim!);
  }
}

function callerOf(request: FastifyRequest): { name: string; reads: boolean; admin: boolean } {
  const principal = request.principal;
  return {
    name: principal?.name ?? 'unknown',
    reads: principal !== undefined && roleAllows(principal.roles, 'grader'),
    admin: principal?.roles.includes('admin') === true,
  };
}

function studyClaimView(claim: StudyClaim | undefined, request: FastifyRequest): StudyClaimView {
  const caller = callerOf(request);
  const mine = claim?.reader === caller.name;
  return {
    claim: claim === undefined ? null : { ...claimView(claim), mine },
    mayClaim: caller.reads && (claim === undefined || mine),
    mayBreak: caller.admin && claim !== undefined && !mine,
  };
}

/** Registers the claim routes on an app (called by the review routes, which share the claim checks). */
export function registerClaimRoutes(base: FastifyInstance, options: ClaimRouteOptions): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const seconds = (options.claimMinutes ?? 30) * 60;
  const requireStudy = async (uid: string): Promise<void> => {
    if ((await options.index.getStudy(uid)) === undefined) {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such study' });
    }
  };

  app.get(
    '/api/studies/:StudyInstanceUID/claim',
    {
      config: { role: 'integration' },
      schema: {
        tags: ['results'],
        summary:
          'Who holds the study on the worklist (the reader and since when), and what the caller may do',
        params: StudyParamsSchema,
        response: { 200: StudyClaimSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const uid = request.params.StudyInstanceUID;
      await requireStudy(uid);
      return studyClaimView(await options.claims.getClaim(uid), request);
    },
  );

  app.post(
    '/api/studies/:StudyInstanceUID/claim',
    {
      config: { role: 'grader' },
      schema: {
        tags: ['results'],
        summary:
          'Claims the study for the caller (or renews their claim) for review.claimMinutes; 409 while another ' +
          'reader holds it',
        params: StudyParamsSchema,
        response: { 200: StudyClaimSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => {
      const uid = request.params.StudyInstanceUID;
      noteAudit(request, { action: 'claim' });
      await requireStudy(uid);
      const reader = callerOf(request).name;
      const outcome = await options.claims.claim(uid, reader, seconds);
      if (!outcome.claimed) {
        noteAudit(request, { details: { heldBy: outcome.holder.reader } });
        throw claimHeld(outcome.holder);
      }
      noteAudit(request, {
        details: {
          reader,
          claimedAt: outcome.claim.claimedAt.toISOString(),
          expiresAt: outcome.claim.expiresAt.toISOString(),
        },
      });
      return studyClaimView(outcome.claim, request);
    },
  );

  app.delete(
    '/api/studies/:StudyInstanceUID/claim',
    {
      config: { role: 'grader' },
      schema: {
        tags: ['results'],
        summary:
          "Releases the caller's claim; an admin breaks another reader's claim. 404 without an active claim, 409 " +
          "for another reader's claim",
        params: StudyParamsSchema,
        response: { 204: Type.Null(), 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const uid = request.params.StudyInstanceUID;
      const caller = callerOf(request);
      noteAudit(request, { action: 'release' });
      const claim = await options.claims.getClaim(uid);
      if (claim === undefined) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'the study is not claimed' });
      }
      const breaking = claim.reader !== caller.name;
      if (breaking) {
        noteAudit(request, { action: 'claim-break', details: { reader: claim.reader } });
        if (!caller.admin) {
          throw claimHeld(claim);
        }
      }
      const ended = await options.claims.release(uid, breaking ? undefined : caller.name);
      if (ended === undefined) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'the study is not claimed' });
      }
      noteAudit(request, { details: { reader: ended.reader, claimedAt: ended.claimedAt.toISOString() } });
      return reply.code(204).send(null);
    },
  );
}
