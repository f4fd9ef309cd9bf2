/**
 * The contract of the review station's visual-field and prior-visit views (TypeBox: validation, serialisation,
 * OpenAPI and the web's types from one source): `GET /api/studies/{uid}/visual-fields` and
 * `GET /api/studies/{uid}/prior-visit`.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3 (Visual Field Static Perimetry Measurements)
 */
import Type, { type Static } from 'typebox';

const eye = Type.Union([Type.Literal('R'), Type.Literal('L')]);

/** One test point of a field as the perimeter measured it (field coordinates, x to the patient's right). */
export const VisualFieldPointSchema = Type.Object({
  x: Type.Number({ description: 'degrees from fixation, positive to the patient’s right (PS3.3 C.8.26.3)' }),
  y: Type.Number({ description: 'degrees from fixation, positive up' }),
  sensitivityDb: Type.Union([Type.Number(), Type.Null()], { description: 'Sensitivity Value (dB)' }),
  seen: Type.Union([Type.Boolean(), Type.Null()], { description: 'Stimulus Results SEEN / NOT SEEN' }),
  blindSpot: Type.Boolean({ description: 'within 2.5° of the Blind Spot X/Y-Coordinate' }),
  totalDeviationDb: Type.Optional(Type.Number({ description: 'Age Corrected Sensitivity Deviation Value' })),
  totalDeviationP: Type.Optional(
    Type.Number({ description: 'its probability (percent; 100 = within normal limits)' }),
  ),
  patternDeviationDb: Type.Optional(
    Type.Number({ description: 'Generalized Defect Corrected Sensitivity Deviation Value' }),
  ),
  patternDeviationP: Type.Optional(Type.Number({ description: 'its probability (percent)' })),
});

/** One visual field test of the study, read from its OPV instance in the spool. */
export const VisualFieldTestSchema = Type.Object({
  sopInstanceUid: Type.String(),
  eye,
  date: Type.Union([Type.String({ description: 'YYYY-MM-DD' }), Type.Null()]),
  pattern: Type.Union(
    [Type.Literal('24-2'), Type.Literal('30-2'), Type.Literal('10-2'), Type.Literal('other')],
    { description: 'recognised from the test point coordinates' },
  ),
  points: Type.Array(VisualFieldPointSchema),
  blindSpot: Type.Union([Type.Object({ x: Type.Number(), y: Type.Number() }), Type.Null()]),
  fovealSensitivityDb: Type.Union([Type.Number(), Type.Null()]),
  device: Type.Object(
    {
      md: Type.Union([Type.Number(), Type.Null()], { description: 'Mean Deviation (DCM 111864), dB' }),
      psd: Type.Union([Type.Number(), Type.Null()], {
        description: 'Pattern Standard Deviation (DCM 111865), dB',
      }),
      vfi: Type.Union([Type.Number(), Type.Null()], { description: 'Visual Field Index, % (when reported)' }),
    },
    { description: "the perimeter's own global indices (Visual Field Global Results Index Sequence)" },
  ),
  reliability: Type.Object({
    fixationLosses: Type.Union([Type.Integer(), Type.Null()]),
    fixationChecks: Type.Union([Type.Integer(), Type.Null()]),
    falsePositivesPercent: Type.Union([Type.Number(), Type.Null()]),
    falseNegativesPercent: Type.Union([Type.Number(), Type.Null()]),
    durationSeconds: Type.Union([Type.Number(), Type.Null()]),
  }),
  aiDeviations: Type.Union(
    [
      Type.Object({
        analyzer: Type.String({ description: 'id@version of the normative model’s analyzer' }),
        aiGenerated: Type.Literal(true),
        label: Type.String(),
        points: Type.Array(
          Type.Object({
            x: Type.Number(),
            y: Type.Number(),
            totalDeviationDb: Type.Union([Type.Number(), Type.Null()]),
            totalDeviationP: Type.Union([Type.Number(), Type.Null()], {
              description: 'percent; 100 = normal',
            }),
            patternDeviationDb: Type.Union([Type.Number(), Type.Null()]),
            patternDeviationP: Type.Union([Type.Number(), Type.Null()], {
              description: 'percent; 100 = normal',
            }),
          }),
        ),
      }),
      Type.Null(),
    ],
    {
      description:
        "Fovea's total and pattern deviation per point with probability levels against vf-progression's " +
        'normative model (24-2 only; null when it cannot be computed)',
    },
  ),
  ai: Type.Union(
    [
      Type.Object({
        analyzer: Type.String({ description: 'id@version' }),
        aiGenerated: Type.Literal(true),
        label: Type.String(),
        md: Type.Number({ description: 'dB, weighted by the normative model (vf-progression README)' }),
        psd: Type.Number({ description: 'dB' }),
      }),
      Type.Null(),
    ],
    { description: "Fovea's indices of this test from the latest visible vf-progression analysis" },
  ),
});

/** One eye's fields and the analysis of its series. */
export const VisualFieldEyeSchema = Type.Object({
  eye,
  tests: Type.Array(VisualFieldTestSchema),
  progression: Type.Union([
    Type.Object({
      analyzer: Type.String({ description: 'id@version' }),
      aiGenerated: Type.Literal(true),
      label: Type.String(),
      verdict: Type.String(),
      mdSlopeDbPerYear: Type.Union([Type.Number(), Type.Null()]),
      mdSlopeP: Type.Union([Type.Number(), Type.Null()]),
      poplrP: Type.Union([Type.Number(), Type.Null()]),
      series: Type.Array(
        Type.Object({
          date: Type.String(),
          sopInstanceUid: Type.Union([Type.String(), Type.Null()]),
          md: Type.Number(),
          psd: Type.Number(),
        }),
      ),
      trendPlot: Type.String({ description: 'URL of the SVG trend plot of this eye' }),
    }),
    Type.Null(),
  ]),
});

/** A study's visual fields per eye, right eye first. */
export const VisualFieldsSchema = Type.Object({
  studyInstanceUid: Type.String(),
  eyes: Type.Array(VisualFieldEyeSchema),
});

const measureValue = Type.Object({
  studyInstanceUid: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()], {
    description: 'a measurement (null for a classification)',
  }),
  code: Type.Union(
    [Type.Object({ value: Type.String(), scheme: Type.String(), meaning: Type.String() }), Type.Null()],
    { description: 'a classification’s coded answer (null for a measurement)' },
  ),
  analyzer: Type.String({ description: 'id@version' }),
  aiGenerated: Type.Literal(true),
  label: Type.String(),
});

/** One key measure of one eye at the current and the prior visit. */
export const PriorVisitMeasureSchema = Type.Object({
  eye,
  key: Type.String({ description: 'md, cst, irf-volume, srf-volume, central-fluid-volume, icdr' }),
  name: Type.String(),
  unit: Type.Union([Type.String(), Type.Null()], { description: 'UCUM' }),
  current: Type.Union([measureValue, Type.Null()]),
  prior: Type.Union([measureValue, Type.Null()]),
  change: Type.Union([Type.Number(), Type.Null()], {
    description: 'current − prior, in the unit (measurements with both values)',
  }),
  changed: Type.Union([Type.Boolean(), Type.Null()], { description: 'for classifications with both values' }),
});

const visit = Type.Object({
  studyInstanceUid: Type.String(),
  studyDate: Type.Union([Type.String({ description: 'YYYYMMDD' }), Type.Null()]),
  modalities: Type.Array(Type.String()),
});

/** A study and the same patient's previous study of the same modality, with the change of the key measures. */
export const PriorVisitSchema = Type.Object({
  studyInstanceUid: Type.String(),
  current: visit,
  prior: Type.Union([visit, Type.Null()]),
  intervalDays: Type.Union([Type.Integer(), Type.Null()]),
  measures: Type.Array(PriorVisitMeasureSchema),
});

export type VisualFieldPointView = Static<typeof VisualFieldPointSchema>;
export type VisualFieldTestView = Static<typeof VisualFieldTestSchema>;
export type FieldDeviationsView = NonNullable<VisualFieldTestView['aiDeviations']>;
export type VisualFieldEyeView = Static<typeof VisualFieldEyeSchema>;
export type VisualFieldsView = Static<typeof VisualFieldsSchema>;
export type PriorVisitMeasureView = Static<typeof PriorVisitMeasureSchema>;
export type PriorVisitView = Static<typeof PriorVisitSchema>;
