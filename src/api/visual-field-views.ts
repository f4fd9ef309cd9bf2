/**
 * Visual fields as the review station shows them: the content of an OPV instance (its dataset in keyword form,
 * as `dicom/codec`'s reader gives it) — test points with sensitivity, total and pattern deviation and their
 * probabilities, blind spot, the perimeter's global indices and reliability — and, from the raw output of a
 * `vf-progression` analysis, Fovea's indices per test and the eye's series. Lenient read: what is absent is null.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.65 (OPV IOD)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3 (Visual Field Static Perimetry Measurements)
 */
import { visibleAnalysesLatestFirst, type AnalysisRecord } from '../core/finding.ts';
import { aiLabel } from './result-views.ts';
import type {
  FieldDeviationsView,
  VisualFieldEyeView,
  VisualFieldPointView,
  VisualFieldTestView,
} from './visual-field-schemas.ts';

/**
 * Fovea's per-point total and pattern deviation of one OPV data set with their probabilities (percent), in field
 * coordinates, or undefined when they cannot be computed (e.g. not a 24-2 test). Given by `main/`, which may use
 * the vf-progression analyzer's normative model (the API ring may not import analyzers).
 */
export type FieldDeviationsOf = (
  dataset: Readonly<Record<string, unknown>>,
) => Omit<FieldDeviationsView, 'aiGenerated' | 'label'> | undefined;

/** SOP Class UID of Ophthalmic Visual Field Static Perimetry Measurements Storage. */
export const opvSopClassUid = '1.2.840.10008.5.1.4.1.1.80.1';

type Dataset = Readonly<Record<string, unknown>>;

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function numberOf(value: unknown): number | null {
  const single = first(value);
  const parsed =
    typeof single === 'number' ? single : typeof single === 'string' ? Number(single.trim()) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : null;
}

function textOf(value: unknown): string | undefined {
  const single = first(value);
  return typeof single === 'string' && single.trim() !== '' ? single.trim() : undefined;
}

function items(value: unknown): Dataset[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((item): item is Dataset => typeof item === 'object' && item !== null);
}

function isoDate(value: string | undefined): string | null {
  const match = /^(\d{4})(\d{2})(\d{2})/u.exec(value ?? '');
  return match === null ? null : `${match[1]}-${match[2]}-${match[3]}`;
}

/** The 24-2, 30-2 or 10-2 grid, recognised from the coordinates (the Humphrey patterns, offset 3° / 1°). */
export function patternOf(points: readonly { x: number; y: number }[]): VisualFieldTestView['pattern'] {
  if (points.length === 0) {
    return 'other';
  }
  const maxX = Math.max(...points.map((point) => Math.abs(point.x)));
  const maxY = Math.max(...points.map((point) => Math.abs(point.y)));
  const onGrid = (step: number, offset: number) =>
    points.every(
      (point) =>
        Math.abs(((Math.abs(point.x) - offset) / step) % 1) < 0.05 &&
        Math.abs(((Math.abs(point.y) - offset) / step) % 1) < 0.05,
    );
  if (maxX <= 9.5 && maxY <= 9.5 && onGrid(2, 1) && points.length >= 60) {
    return '10-2';
  }
  if (onGrid(6, 3) && maxX <= 27.5 && maxY <= 21.5 && points.length >= 50 && points.length <= 54) {
    return '24-2';
  }
  if (onGrid(6, 3) && maxX <= 27.5 && maxY <= 27.5 && points.length >= 70 && points.length <= 76) {
    return '30-2';
  }
  return 'other';
}

/** Whether a point lies in the physiological blind spot (an ellipse 3° wide and 5° tall about its centre). */
function inBlindSpot(point: { x: number; y: number }, centre: { x: number; y: number } | null): boolean {
  if (centre === null) {
    return false;
  }
  return ((point.x - centre.x) / 3) ** 2 + ((point.y - centre.y) / 5) ** 2 <= 1;
}

function globalIndex(dataset: Dataset, match: (code: string, meaning: string) => boolean): number | null {
  for (const entry of items(dataset.VisualFieldGlobalResultsIndexSequence)) {
    for (const observation of items(entry.DataObservationSequence)) {
      const concept = items(observation.ConceptNameCodeSequence)[0];
      if (
        concept !== undefined &&
        match(textOf(concept.CodeValue) ?? '', textOf(concept.CodeMeaning) ?? '')
      ) {
        return numberOf(observation.NumericValue);
      }
    }
  }
  return null;
}

function percentOf(estimateFlag: unknown, estimate: unknown, count: unknown, trials: unknown): number | null {
  if (textOf(estimateFlag) === 'YES' && numberOf(estimate) !== null) {
    return numberOf(estimate);
  }
  const n = numberOf(count);
  const of = numberOf(trials);
  return n !== null && of !== null && of > 0 ? (100 * n) / of : null;
}

function pointOf(
  item: Dataset,
  blindSpot: { x: number; y: number } | null,
): VisualFieldPointView | undefined {
  const x = numberOf(item.VisualFieldTestPointXCoordinate);
  const y = numberOf(item.VisualFieldTestPointYCoordinate);
  if (x === null || y === null) {
    return undefined;
  }
  const result = textOf(item.StimulusResults);
  const normals = items(item.VisualFieldTestPointNormalsSequence)[0];
  const td = normals === undefined ? null : numberOf(normals.AgeCorrectedSensitivityDeviationValue);
  const tdP =
    normals === undefined ? null : numberOf(normals.AgeCorrectedSensitivityDeviationProbabilityValue);
  const pdFlag =
    normals === undefined ? undefined : textOf(normals.GeneralizedDefectCorrectedSensitivityDeviationFlag);
  const pd =
    normals === undefined || pdFlag !== 'YES'
      ? null
      : numberOf(normals.GeneralizedDefectCorrectedSensitivityDeviationValue);
  const pdP =
    normals === undefined || pdFlag !== 'YES'
      ? null
      : numberOf(normals.GeneralizedDefectCorrectedSensitivityDeviationProbabilityValue);
  return {
    x,
    y,
    sensitivityDb: numberOf(item.SensitivityValue),
    seen: result === 'SEEN' ? true : result === 'NOT SEEN' ? false : null,
    blindSpot: inBlindSpot({ x, y }, blindSpot),
    ...(td === null ? {} : { totalDeviationDb: td }),
    ...(tdP === null ? {} : { totalDeviationP: tdP }),
    ...(pd === null ? {} : { patternDeviationDb: pd }),
    ...(pdP === null ? {} : { patternDeviationP: pdP }),
  };
}

/**
 * One OPV test as the station shows it (without Fovea's indices: see {@link withAiIndices}).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3
 */
export function visualFieldTestView(
  dataset: Dataset,
  sopInstanceUid: string,
  eye: 'R' | 'L',
): VisualFieldTestView {
  const coordinates = items(dataset.VisualFieldTestPointSequence).flatMap((item) => {
    const x = numberOf(item.VisualFieldTestPointXCoordinate);
    const y = numberOf(item.VisualFieldTestPointYCoordinate);
    return x === null || y === null ? [] : [{ x, y }];
  });
  const pattern = patternOf(coordinates);
  const bx = numberOf(dataset.BlindSpotXCoordinate);
  const by = numberOf(dataset.BlindSpotYCoordinate);
  // Without the perimeter's blind spot, the anatomical one: 15° temporal, 1.5° below (outside a 10-2 grid).
  const blindSpot =
    bx !== null && by !== null
      ? { x: bx, y: by }
      : pattern === '24-2' || pattern === '30-2'
        ? { x: eye === 'R' ? 15 : -15, y: -1.5 }
        : null;
  const fixation = items(dataset.FixationSequence)[0];
  const catchTrials = items(dataset.VisualFieldCatchTrialSequence)[0];
  return {
    sopInstanceUid,
    eye,
    date: isoDate(
      textOf(dataset.AcquisitionDateTime) ?? textOf(dataset.StudyDate) ?? textOf(dataset.SeriesDate),
    ),
    pattern,
    points: items(dataset.VisualFieldTestPointSequence).flatMap((item) => pointOf(item, blindSpot) ?? []),
    blindSpot,
    fovealSensitivityDb:
      textOf(dataset.FovealSensitivityMeasured) === 'NO' ? null : numberOf(dataset.FovealSensitivity),
    device: {
      md: globalIndex(dataset, (code) => code === '111864'),
      psd: globalIndex(dataset, (code) => code === '111865'),
      vfi: globalIndex(dataset, (_code, meaning) => /visual field index/iu.test(meaning)),
    },
    reliability: {
      fixationLosses: fixation === undefined ? null : numberOf(fixation.PatientNotProperlyFixatedQuantity),
      fixationChecks: fixation === undefined ? null : numberOf(fixation.FixationCheckedQuantity),
      falsePositivesPercent:
        catchTrials === undefined
          ? null
          : percentOf(
              catchTrials.FalsePositivesEstimateFlag,
              catchTrials.FalsePositivesEstimate,
              catchTrials.FalsePositivesQuantity,
              catchTrials.PositiveCatchTrialsQuantity,
            ),
      falseNegativesPercent:
        catchTrials === undefined
          ? null
          : percentOf(
              catchTrials.FalseNegativesEstimateFlag,
              catchTrials.FalseNegativesEstimate,
              catchTrials.FalseNegativesQuantity,
              catchTrials.NegativeCatchTrialsQuantity,
            ),
      durationSeconds: numberOf(dataset.VisualFieldTestDuration),
    },
    aiDeviations: null,
    ai: null,
  };
}

/** The test with Fovea's deviations of its data set, when `deviationsOf` is given and can compute them. */
export function withAiDeviations(
  test: VisualFieldTestView,
  dataset: Dataset,
  deviationsOf: FieldDeviationsOf | undefined,
): VisualFieldTestView {
  const deviations = deviationsOf?.(dataset);
  return deviations === undefined
    ? test
    : { ...test, aiDeviations: { ...deviations, aiGenerated: true, label: aiLabel } };
}

/** One eye's entry of a vf-progression analysis's raw output (what `analyzer.ts` `rawOf` writes). */
interface RawEye {
  readonly eye?: unknown;
  readonly verdict?: unknown;
  readonly mdTrend?: { slope?: unknown; pLeft?: unknown } | null;
  readonly poplr?: { p?: unknown } | null;
  readonly tests?: readonly { date?: unknown; sopInstanceUid?: unknown; md?: unknown; psd?: unknown }[];
}

function rawEye(analysis: AnalysisRecord, eye: 'R' | 'L'): RawEye | undefined {
  const eyes = (analysis.raw as { eyes?: unknown } | null | undefined)?.eyes;
  return Array.isArray(eyes) ? (eyes as RawEye[]).find((entry) => entry.eye === eye) : undefined;
}

const finite = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** The latest succeeded, visible (assistive or integrated) analysis of an analyzer, if any. */
export function latestVisibleAnalysis(
  analyses: readonly AnalysisRecord[],
  analyzerId: string,
): AnalysisRecord | undefined {
  return visibleAnalysesLatestFirst(analyses).find((analysis) => analysis.analyzerId === analyzerId);
}

/** The eye's tested series in a vf-progression analysis: date, SOP Instance UID, Fovea's MD and PSD. */
export function seriesOf(
  analysis: AnalysisRecord,
  eye: 'R' | 'L',
): NonNullable<VisualFieldEyeView['progression']>['series'] {
  return (rawEye(analysis, eye)?.tests ?? []).flatMap((test) => {
    const md = finite(test.md);
    const psd = finite(test.psd);
    return typeof test.date === 'string' && md !== null && psd !== null
      ? [
          {
            date: test.date,
            sopInstanceUid: typeof test.sopInstanceUid === 'string' ? test.sopInstanceUid : null,
            md,
            psd,
          },
        ]
      : [];
  });
}

/** The tests with Fovea's MD and PSD from the analysis, matched by SOP Instance UID. */
export function withAiIndices(
  tests: readonly VisualFieldTestView[],
  analysis: AnalysisRecord | undefined,
): VisualFieldTestView[] {
  if (analysis === undefined) {
    return [...tests];
  }
  return tests.map((test) => {
    const entry = seriesOf(analysis, test.eye).find((row) => row.sopInstanceUid === test.sopInstanceUid);
    return entry === undefined
      ? test
      : {
          ...test,
          ai: {
            analyzer: `${analysis.analyzerId}@${analysis.analyzerVersion}`,
            aiGenerated: true as const,
            label: aiLabel,
            md: entry.md,
            psd: entry.psd,
          },
        };
  });
}

/** The eye's progression summary from the analysis (null without one, or when it has no series for the eye). */
export function progressionOf(
  analysis: AnalysisRecord | undefined,
  eye: 'R' | 'L',
  studyInstanceUid: string,
): VisualFieldEyeView['progression'] {
  const entry = analysis === undefined ? undefined : rawEye(analysis, eye);
  if (analysis === undefined || entry === undefined) {
    return null;
  }
  return {
    analyzer: `${analysis.analyzerId}@${analysis.analyzerVersion}`,
    aiGenerated: true,
    label: aiLabel,
    verdict: typeof entry.verdict === 'string' ? entry.verdict : 'insufficient-data',
    mdSlopeDbPerYear: finite(entry.mdTrend?.slope),
    mdSlopeP: finite(entry.mdTrend?.pLeft),
    poplrP: finite(entry.poplr?.p),
    series: seriesOf(analysis, eye),
    trendPlot: `/api/studies/${studyInstanceUid}/trend-plot?eye=${eye}`,
  };
}
