/**
 * TypeBox schemas of the REST API: request validation, response serialisation and the OpenAPI document come
 * from these one definitions. `web/` imports the static types only.
 */
import Type, { type Static } from 'typebox';
import { FindingViewSchema, TriageViewSchema } from './result-schemas.ts';

const uid = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 });
const dateTime = Type.String({ format: 'date-time' });
const eye = Type.Union([Type.Literal('R'), Type.Literal('L'), Type.Literal('B'), Type.Literal('U')]);
const state = Type.Union([Type.Literal('receiving'), Type.Literal('stable'), Type.Literal('routed')]);

/** A problem details body (RFC 9457). */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
  },
  { $id: 'Problem' },
);

/** A study as listed. */
export const StudySummarySchema = Type.Object({
  studyInstanceUid: uid,
  patientId: Type.Optional(Type.String()),
  patientName: Type.Optional(Type.String()),
  patientBirthDate: Type.Optional(Type.String()),
  patientSex: Type.Optional(Type.String()),
  studyDate: Type.Optional(Type.String()),
  studyTime: Type.Optional(Type.String()),
  accessionNumber: Type.Optional(Type.String()),
  studyDescription: Type.Optional(Type.String()),
  site: Type.String(),
  state,
  modalities: Type.Array(Type.String()),
  eyes: Type.Array(eye),
  instanceCount: Type.Integer(),
  seriesCount: Type.Integer(),
  firstReceivedAt: dateTime,
  lastReceivedAt: dateTime,
  stableAt: Type.Optional(dateTime),
  routedAt: Type.Optional(dateTime),
});

/** A page of studies. */
export const StudyPageSchema = Type.Object({
  items: Type.Array(StudySummarySchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

/** Filters of `GET /api/studies`. */
export const StudyListQuerySchema = Type.Object(
  {
    patientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    accessionNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    modality: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    state: Type.Optional(state),
    site: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    studyDateFrom: Type.Optional(Type.String({ pattern: '^[0-9]{8}$' })),
    studyDateTo: Type.Optional(Type.String({ pattern: '^[0-9]{8}$' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

/** The origin of an instance. */
export const OriginSchema = Type.Object({
  protocol: Type.String(),
  peerAddress: Type.String(),
  callingAet: Type.Optional(Type.String()),
  calledAet: Type.Optional(Type.String()),
  principal: Type.Optional(Type.String()),
  requestId: Type.String(),
  site: Type.String(),
});

/** An instance in the study detail. */
export const InstanceViewSchema = Type.Object({
  sopInstanceUid: uid,
  sopClassUid: Type.String(),
  seriesInstanceUid: uid,
  transferSyntaxUid: Type.String(),
  modality: Type.Optional(Type.String()),
  seriesNumber: Type.Optional(Type.Integer()),
  seriesDescription: Type.Optional(Type.String()),
  instanceNumber: Type.Optional(Type.Integer()),
  eye,
  rows: Type.Optional(Type.Integer()),
  columns: Type.Optional(Type.Integer()),
  numberOfFrames: Type.Optional(Type.Integer()),
  manufacturer: Type.Optional(Type.String()),
  manufacturerModelName: Type.Optional(Type.String()),
  sizeBytes: Type.Integer(),
  receivedAt: dateTime,
  origin: OriginSchema,
});

const open = Type.Object({}, { additionalProperties: true });

/** One observation of the patient's EHR context (HL7 v2 or FHIR). */
export const ContextObservationSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('lab'), Type.Literal('condition'), Type.Literal('grade')]),
  system: Type.String(),
  code: Type.String(),
  display: Type.Optional(Type.String()),
  value: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  unit: Type.Optional(Type.String()),
  eye: Type.Optional(Type.Union([Type.Literal('R'), Type.Literal('L')])),
  observedAt: Type.Optional(dateTime),
  status: Type.Optional(Type.String()),
  source: Type.Object({
    protocol: Type.Union([Type.Literal('hl7v2'), Type.Literal('fhir')]),
    reference: Type.Optional(Type.String()),
  }),
  receivedAt: dateTime,
});

/** `GET /api/studies/{StudyInstanceUID}`. */
export const StudyDetailSchema = Type.Object({
  study: StudySummarySchema,
  instancesByEye: Type.Object({
    R: Type.Array(InstanceViewSchema),
    L: Type.Array(InstanceViewSchema),
    B: Type.Array(InstanceViewSchema),
    U: Type.Array(InstanceViewSchema),
  }),
  case: Type.Union([open, Type.Null()]),
  route: Type.Union([open, Type.Null()]),
  /** The study's AI findings that clinicians may see (silent-phase ones never), labelled AI-generated. */
  findings: Type.Array(FindingViewSchema),
  triage: Type.Union([TriageViewSchema, Type.Null()]),
  /** The patient's EHR context (HbA1c, conditions, prior grades), newest first. */
  context: Type.Array(ContextObservationSchema),
});

/** `GET /api/studies/{StudyInstanceUID}/explain`. */
export const ExplainSchema = Type.Object({
  studyInstanceUid: uid,
  state,
  /** `routed`: the decision recorded when the study was routed; `preview`: the rules applied now. */
  basis: Type.Union([Type.Literal('routed'), Type.Literal('preview')]),
  evaluatedAt: dateTime,
  useCases: Type.Array(
    Type.Object({
      useCase: Type.String(),
      analyzers: Type.Array(Type.String()),
      ruleIds: Type.Array(Type.String()),
      sopInstanceUids: Type.Array(Type.String()),
    }),
  ),
  rules: Type.Array(
    Type.Object({
      ruleId: Type.String(),
      matched: Type.Boolean(),
      matchedInstances: Type.Array(Type.String()),
      reasons: Type.Array(Type.String()),
      useCases: Type.Array(Type.String()),
    }),
  ),
});

/** `GET /api/health`. */
export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  checks: Type.Record(
    Type.String(),
    Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) }),
  ),
});

/** The StudyInstanceUID path parameter. */
export const StudyParamsSchema = Type.Object({ StudyInstanceUID: uid });

export type StudySummaryView = Static<typeof StudySummarySchema>;
export type StudyPageView = Static<typeof StudyPageSchema>;
export type StudyDetailView = Static<typeof StudyDetailSchema>;
export type ContextObservationView = Static<typeof ContextObservationSchema>;
export type InstanceView = Static<typeof InstanceViewSchema>;
export type ExplainView = Static<typeof ExplainSchema>;
export type HealthView = Static<typeof HealthSchema>;
