/**
 * TypeBox schemas of findings, analyses, jobs and deliveries in the REST API.
 */
import Type, { type Static } from 'typebox';
import { ClaimViewSchema } from './claim-schemas.ts';

const dateTime = Type.String({ format: 'date-time' });
const open = Type.Object({}, { additionalProperties: true });

/** Provenance of a finding. */
export const ProvenanceSchema = Type.Object({
  analyzer: Type.String({ description: 'id@version' }),
  modelHash: Type.String(),
  inputSopInstanceUids: Type.Array(Type.String()),
  startedAt: dateTime,
  finishedAt: dateTime,
});

/** A finding as the API shows it: always labelled AI-generated, with its review status. */
export const FindingViewSchema = Type.Object({
  id: Type.String(),
  eye: Type.Union([Type.Literal('R'), Type.Literal('L')]),
  useCase: Type.String(),
  key: Type.String(),
  value: open,
  sourceSopInstanceUids: Type.Array(Type.String()),
  status: Type.String(),
  aiGenerated: Type.Literal(true),
  label: Type.String(),
  provenance: ProvenanceSchema,
  triage: Type.Optional(
    Type.Object({
      bucket: Type.String(),
      reason: Type.String(),
      confidence: Type.Optional(Type.Number()),
    }),
  ),
});

const bucket = Type.Union([
  Type.Literal('stat'),
  Type.Literal('referable'),
  Type.Literal('recapture'),
  Type.Literal('routine'),
  Type.Literal('review-and-release'),
]);

/** A study's triage: its worklist bucket, priority and the reasons per eye (AI-generated). */
export const TriageViewSchema = Type.Object({
  bucket,
  priority: Type.Integer(),
  reasons: Type.Array(
    Type.Object({
      eye: Type.Union([Type.Literal('R'), Type.Literal('L')]),
      bucket: Type.String(),
      reason: Type.String(),
      confidence: Type.Optional(Type.Number()),
      findingId: Type.String(),
      analyzer: Type.String(),
    }),
  ),
  computedAt: dateTime,
  aiGenerated: Type.Literal(true),
});

/** `GET /api/worklist` query. */
export const WorklistQuerySchema = Type.Object({
  bucket: Type.Optional(bucket),
  site: Type.Optional(Type.String({ maxLength: 64 })),
  /** A use case of one of the analyses behind the triage (`dr-screening`, `dme-quantification` …). */
  useCase: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' })),
  /** `unsigned`: no report signed yet; `signed`: at least one revision signed. */
  status: Type.Optional(Type.Union([Type.Literal('unsigned'), Type.Literal('signed')])),
  /** First study date, inclusive. */
  studyDateFrom: Type.Optional(Type.String({ format: 'date' })),
  /** Last study date, inclusive. */
  studyDateTo: Type.Optional(Type.String({ format: 'date' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

/** `GET /api/worklist`: triaged studies, most urgent first. */
export const WorklistSchema = Type.Object({
  entries: Type.Array(
    Type.Object({
      studyInstanceUid: Type.String(),
      site: Type.String(),
      accessionNumber: Type.Optional(Type.String()),
      studyDate: Type.Optional(Type.String()),
      lastReceivedAt: dateTime,
      triage: TriageViewSchema,
      /** The reader holding the study, while one does (`POST /api/studies/{uid}/claim`). */
      claim: Type.Optional(ClaimViewSchema),
      /** The latest signed report revision, absent while no report is signed. */
      signedRevision: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
  ),
  /** How many studies match the filters, all pages together. */
  total: Type.Integer({ minimum: 0 }),
});

/** `GET /api/studies/{StudyInstanceUID}/findings`. */
export const FindingListSchema = Type.Object({
  studyInstanceUid: Type.String(),
  findings: Type.Array(FindingViewSchema),
});

/** An analysis (governance view: includes silent-phase ones). */
export const AnalysisViewSchema = Type.Object({
  id: Type.String(),
  analyzer: Type.String(),
  useCase: Type.String(),
  phase: Type.String(),
  status: Type.String(),
  reason: Type.Optional(Type.String()),
  findings: Type.Array(FindingViewSchema),
  raw: Type.Unknown(),
  provenance: ProvenanceSchema,
});

/** A job. */
export const JobViewSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  key: Type.String(),
  studyInstanceUid: Type.Optional(Type.String()),
  state: Type.String(),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  runAt: dateTime,
  lockedBy: Type.Optional(Type.String()),
  lockedUntil: Type.Optional(dateTime),
  lastError: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  createdAt: dateTime,
  updatedAt: dateTime,
});

/** A page of jobs. */
export const JobPageSchema = Type.Object({
  items: Type.Array(JobViewSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

/** Filters of `GET /api/jobs`. */
export const JobListQuerySchema = Type.Object(
  {
    state: Type.Optional(
      Type.Union([
        Type.Literal('queued'),
        Type.Literal('running'),
        Type.Literal('succeeded'),
        Type.Literal('dead'),
      ]),
    ),
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    studyInstanceUid: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

/** A delivery. */
export const DeliveryViewSchema = Type.Object({
  id: Type.String(),
  sopInstanceUid: Type.String(),
  destination: Type.String(),
  protocol: Type.String(),
  state: Type.String(),
  attempts: Type.Integer(),
  lastError: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  createdAt: dateTime,
  deliveredAt: Type.Optional(dateTime),
});

/** A result object Fovea wrote. */
export const ResultObjectViewSchema = Type.Object({
  sopInstanceUid: Type.String(),
  sopClassUid: Type.String(),
  seriesInstanceUid: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  analysisId: Type.String(),
  createdAt: dateTime,
});

/** `GET /api/studies/{StudyInstanceUID}/deliveries`. */
export const DeliveryListSchema = Type.Object({
  studyInstanceUid: Type.String(),
  objects: Type.Array(ResultObjectViewSchema),
  deliveries: Type.Array(DeliveryViewSchema),
});

/** The job id path parameter. */
export const JobParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export type FindingView = Static<typeof FindingViewSchema>;
export type JobView = Static<typeof JobViewSchema>;
export type DeliveryView = Static<typeof DeliveryViewSchema>;
export type AnalysisView = Static<typeof AnalysisViewSchema>;
export type ResultObjectView = Static<typeof ResultObjectViewSchema>;

export type TriageView = Static<typeof TriageViewSchema>;
export type WorklistView = Static<typeof WorklistSchema>;
export type WorklistQueryView = Static<typeof WorklistQuerySchema>;

/** A rejection's coded reason, as the review API takes and gives it (`core/review.ts`). */
export type { RejectReasonCode } from '../core/review.ts';
