/**
 * Clinician review: accept, modify or reject each AI finding (`POST /api/studies/{uid}/findings/{id}/review`,
 * graders and ophthalmologists), the study's reviews and draft report (`GET /api/studies/{uid}/report`), and
 * sign-off (`POST /api/studies/{uid}/sign`, ophthalmologists), which makes the reviewed results final and
 * replaces the preliminary objects through the outbox. Silent-phase findings cannot be reviewed (they are never
 * shown). The audit hook records every request with its caller, and for a review the finding, its kind and
 * concept, the decision, the reviewer's value or reason. While another reader has claimed the study, reviews and
 * sign-off answer 409 `FOVEA_CLAIM_HELD`; the claim routes (`claims.ts`) are registered here when a claim store is
 * given. The review station's OCT fluid overlay (`oct-fluid.ts`) is registered here too: it reads the same
 * result store.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import type { FindingValue } from '../../core/finding.ts';
import type { InstanceIndex } from '../../core/instance-index.ts';
import type { DrFollowUpTable } from '../../core/dr-follow-up.ts';
import { draftReport } from '../../core/report-draft.ts';
import type { ResultStore } from '../../core/result-store.ts';
import {
  applyReview,
  latestReviews,
  modificationProblem,
  rejectReasonCodes,
  type FindingReview,
  type RejectReasonCode,
  type ReviewStore,
} from '../../core/review.ts';
import type { ClaimStore } from '../../core/study-claim.ts';
import { idFromName } from '../../core/uid.ts';
import { noteAudit } from '../audit-hook.ts';
import { reviewAuditDetails } from '../review-audit.ts';
import { registerClaimRoutes, requireClaimOrFree } from './claims.ts';
import { findingView, visibleFindings } from '../result-views.ts';
import { FindingViewSchema } from '../result-schemas.ts';
import { registerOctFluidRoute } from './oct-fluid.ts';
import { ProblemSchema, StudyParamsSchema } from '../schemas.ts';

/** What a sign-off does (the pipeline's `signStudy`, injected by the gateway). */
export type SignStudy = (request: {
  readonly studyInstanceUid: string;
  readonly signer: string;
  readonly signerName: string;
  readonly text: string;
  readonly at: Date;
}) => Promise<{ readonly signOff: { readonly revision: number }; readonly objects: readonly string[] }>;

/** What the review routes use. */
export interface ReviewRouteOptions {
  readonly index: InstanceIndex;
  readonly results: ResultStore;
  readonly reviews: ReviewStore;
  readonly sign: SignStudy;
  readonly now?: () => Date;
  /** Worklist claims: when given, the claim routes are offered and a study claimed by another reader is refused. */
  readonly claims?: ClaimStore;
  /** How long a claim lasts unless renewed (`review.claimMinutes`). */
  readonly claimMinutes?: number;
  /** The DR screening report's follow-up table (`review.drFollowUp`; the ADA's when absent). */
  readonly drFollowUp?: DrFollowUpTable;
}

const ReviewParamsSchema = Type.Object({
  StudyInstanceUID: Type.String({ pattern: '^[0-9.]{1,64}$' }),
  findingId: Type.String({ minLength: 1, maxLength: 64 }),
});

const ReasonCodeSchema = Type.Enum(Object.keys(rejectReasonCodes) as RejectReasonCode[], {
  description:
    "A rejection's coded reason: " +
    Object.entries(rejectReasonCodes)
      .map(([code, meaning]) => `${code} (${meaning})`)
      .join(', ') +
    '; `other` needs a `reason` in words',
});

const ReviewBodySchema = Type.Object(
  {
    decision: Type.Union([Type.Literal('accept'), Type.Literal('modify'), Type.Literal('reject')]),
    value: Type.Optional(Type.Object({}, { additionalProperties: true })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    reasonCode: Type.Optional(ReasonCodeSchema),
  },
  { additionalProperties: false },
);

const ReviewViewSchema = Type.Object({
  id: Type.String(),
  findingId: Type.String(),
  decision: Type.String(),
  value: Type.Optional(Type.Object({}, { additionalProperties: true })),
  reason: Type.Optional(Type.String()),
  reasonCode: Type.Optional(ReasonCodeSchema),
  reviewer: Type.String(),
  reviewedAt: Type.String(),
});

const ReviewResultSchema = Type.Object({ finding: FindingViewSchema, review: ReviewViewSchema });

const ReportSchema = Type.Object({
  studyInstanceUid: Type.String(),
  draft: Type.String(),
  unreviewed: Type.Integer(),
  findings: Type.Array(FindingViewSchema),
  reviews: Type.Array(ReviewViewSchema),
  signOffs: Type.Array(
    Type.Object({
      revision: Type.Integer(),
      text: Type.String(),
      signer: Type.String(),
      signerName: Type.String(),
      signedAt: Type.String(),
    }),
  ),
});

const SignBodySchema = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 20000 }),
    signerName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const SignResultSchema = Type.Object({ revision: Type.Integer(), objects: Type.Array(Type.String()) });

/** A review for the API. */
interface ReviewView {
  readonly id: string;
  readonly findingId: string;
  readonly decision: string;
  readonly value?: object;
  readonly reason?: string;
  readonly reasonCode?: RejectReasonCode;
  readonly reviewer: string;
  readonly reviewedAt: string;
}

function reviewView(review: FindingReview): ReviewView {
  return {
    id: review.id,
    findingId: review.findingId,
    decision: review.decision,
    ...(review.value === undefined ? {} : { value: JSON.parse(JSON.stringify(review.value)) as object }),
    ...(review.reason === undefined ? {} : { reason: review.reason }),
    ...(review.reasonCode === undefined ? {} : { reasonCode: review.reasonCode }),
    reviewer: review.reviewer,
    reviewedAt: review.reviewedAt.toISOString(),
  };
}

/** Registers the review routes. */
export function reviewRoutes(options: ReviewRouteOptions): FastifyPluginAsync {
  const now = options.now ?? (() => new Date());
  return async (base) => {
    registerOctFluidRoute(base, { results: options.results });
    if (options.claims !== undefined) {
      registerClaimRoutes(base, {
        index: options.index,
        claims: options.claims,
        ...(options.claimMinutes === undefined ? {} : { claimMinutes: options.claimMinutes }),
      });
    }
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/api/studies/:StudyInstanceUID/findings/:findingId/review',
      {
        config: { role: 'grader' },
        schema: {
          tags: ['results'],
          summary: 'Accepts, modifies (with a new value) or rejects (with a reason) one AI finding',
          params: ReviewParamsSchema,
          body: ReviewBodySchema,
          response: { 200: ReviewResultSchema, 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
        },
      },
      async (request) => {
        const { StudyInstanceUID: uid, findingId } = request.params;
        const finding = visibleFindings(await options.results.listAnalyses(uid)).find(
          (entry) => entry.id === findingId,
        );
        if (finding === undefined) {
          throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such finding in this study' });
        }
        const { decision, reason, reasonCode } = request.body;
        const value = request.body.value as FindingValue | undefined;
        // A coded rejection without words keeps the code's meaning as its words (every reader of a review shows those).
        const words = reason ?? (reasonCode === undefined ? undefined : rejectReasonCodes[reasonCode]);
        const why = {
          ...(words === undefined ? {} : { reason: words }),
          ...(reasonCode === undefined ? {} : { reasonCode }),
        };
        noteAudit(request, { details: reviewAuditDetails(finding, { decision, ...why }) });
        if (decision === 'reject' && reason === undefined && (reasonCode ?? 'other') === 'other') {
          throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', {
            detail:
              reasonCode === undefined
                ? 'a rejection needs a reason (a reasonCode, or a reason in words)'
                : 'a rejection for another reason needs the reason in words',
            path: 'reason',
          });
        }
        if (decision !== 'reject' && reasonCode !== undefined) {
          throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', {
            detail: 'only a rejection carries a reasonCode',
            path: 'reasonCode',
          });
        }
        if (decision === 'modify') {
          const problem =
            value === undefined ? 'a modification needs a value' : modificationProblem(finding.value, value);
          if (problem !== undefined) {
            throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', { detail: problem, path: 'value' });
          }
        } else if (value !== undefined) {
          throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', {
            detail: 'only a modification carries a value',
            path: 'value',
          });
        }
        if (decision === 'modify' && value !== undefined) {
          // Validated above: the value has the finding's kind and concept.
          noteAudit(request, { details: reviewAuditDetails(finding, { decision, value }) });
        }
        const reviewer = request.principal?.name ?? 'unknown';
        await requireClaimOrFree(options.claims, uid, reviewer);
        const reviewedAt = now();
        const review: FindingReview = {
          id: `rv-${idFromName(`${findingId}:${reviewer}:${reviewedAt.toISOString()}:${decision}`)}`,
          findingId,
          analysisId: finding.analysisId,
          studyInstanceUid: uid,
          decision,
          ...(decision === 'modify' && value !== undefined ? { value } : {}),
          ...why,
          reviewer,
          reviewedAt,
        };
        if (!(await options.reviews.recordReview(review))) {
          throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such finding in this study' });
        }
        return { finding: findingView(applyReview(finding, review)), review: reviewView(review) };
      },
    );

    app.get(
      '/api/studies/:StudyInstanceUID/report',
      {
        config: { role: 'grader' },
        schema: {
          tags: ['results'],
          summary: "The study's reviewed findings, their reviews, the draft report text and the sign-offs",
          params: StudyParamsSchema,
          response: { 200: ReportSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const uid = request.params.StudyInstanceUID;
        if ((await options.index.getStudy(uid)) === undefined) {
          throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such study' });
        }
        const reviews = await options.reviews.listReviews(uid);
        const latest = latestReviews(reviews);
        const findings = visibleFindings(await options.results.listAnalyses(uid)).map((finding) =>
          applyReview(finding, latest.get(finding.id)),
        );
        return {
          studyInstanceUid: uid,
          draft: draftReport(findings, options.drFollowUp),
          unreviewed: findings.filter((finding) => !latest.has(finding.id)).length,
          findings: findings.map(findingView),
          reviews: reviews.map(reviewView),
          signOffs: (await options.reviews.listSignOffs(uid)).map((signOff) => ({
            revision: signOff.revision,
            text: signOff.text,
            signer: signOff.signer,
            signerName: signOff.signerName,
            signedAt: signOff.signedAt.toISOString(),
          })),
        };
      },
    );

    app.post(
      '/api/studies/:StudyInstanceUID/sign',
      {
        config: { role: 'ophthalmologist' },
        schema: {
          tags: ['results'],
          summary: 'Signs the report: the reviewed results become final and replace the preliminary ones',
          params: StudyParamsSchema,
          body: SignBodySchema,
          response: { 200: SignResultSchema, 404: ProblemSchema, 409: ProblemSchema },
        },
      },
      async (request) => {
        const signer = request.principal?.name ?? 'unknown';
        await requireClaimOrFree(options.claims, request.params.StudyInstanceUID, signer);
        const outcome = await options.sign({
          studyInstanceUid: request.params.StudyInstanceUID,
          signer,
          signerName: request.body.signerName ?? signer,
          text: request.body.text,
          at: now(),
        });
        return { revision: outcome.signOff.revision, objects: [...outcome.objects] };
      },
    );
  };
}
