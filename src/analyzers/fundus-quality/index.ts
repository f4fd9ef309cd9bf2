/**
 * The `fundus-quality` analyzer: per eye, whether the study's colour fundus photographs can be graded, and if
 * not why (field of view, exposure, contrast, focus, optic disc or macula not visible). The eye's best image
 * decides. A classical image-analysis algorithm; its parameters are hashed into the manifest's model hash.
 */
import { createHash } from 'node:crypto';
import { isDecodeFailure } from '../../imaging/index.ts';
import {
  throwIfAborted,
  type AnalysisCase,
  type Analyzer,
  type AnalyzerHelpers,
  type AnalyzerManifest,
  type AnalyzerOutput,
  type Applicability,
  type CaseInstance,
  type Eye,
  type FindingDraft,
  type UngradableReason,
} from '../sdk/index.ts';
import { assessFundusQuality, type QualityAssessment } from './assess-fundus-quality.ts';
import { parameters } from './parameters.ts';

export { assessFundusQuality, rampScore } from './assess-fundus-quality.ts';
export type { QualityAssessment, QualityMeasures, SourcePoint } from './assess-fundus-quality.ts';
export { parameters } from './parameters.ts';

/** SOP Class UID of Ophthalmic Photography 8 Bit Image Storage (colour fundus photographs). */
export const ophthalmicPhotography8BitSopClassUid = '1.2.840.10008.5.1.4.1.1.77.1.5.1';

/** SHA-256 (hex) of the JSON of every threshold and parameter of the algorithm. */
export const modelHash = createHash('sha256').update(JSON.stringify(parameters)).digest('hex');

/** The analyzer's manifest. */
export const manifest: AnalyzerManifest = {
  id: 'fundus-quality',
  version: '1.0.0',
  displayName: 'Fundus photograph gradability',
  intendedUse:
    'Assesses whether colour fundus photographs of each eye are of sufficient quality to be graded, and ' +
    'gives the reasons when they are not, so that ungradable eyes can be re-imaged; it does not detect disease.',
  useCases: ['image-quality'],
  inputs: { sopClassUids: [ophthalmicPhotography8BitSopClassUid], modalities: ['OP'] },
  outputs: ['quality'],
  timeoutMs: 60_000,
  reviewRequired: true,
  modelHash,
};

/** Fixed order of the reasons in a finding. */
const reasonOrder: readonly UngradableReason[] = [
  'unreadable',
  'field-of-view',
  'underexposed',
  'overexposed',
  'low-contrast',
  'blur',
  'optic-disc-not-visible',
  'macula-not-visible',
];

/** One assessed (or unreadable) image. */
interface ImageResult {
  readonly instance: CaseInstance;
  readonly eye: Eye;
  readonly assessment?: QualityAssessment;
  readonly durationMs: number;
  readonly rows?: number;
  readonly columns?: number;
}

/** A colour fundus photograph: OP 8 Bit, and not a greyscale image such as the infrared SLO of an OCT. */
function isPhotograph(instance: CaseInstance): boolean {
  return (
    instance.sopClassUid === ophthalmicPhotography8BitSopClassUid &&
    (instance.modality === undefined || instance.modality === 'OP') &&
    instance.samplesPerPixel !== 1
  );
}

function photographsByEye(analysisCase: AnalysisCase): { eye: Eye; instances: CaseInstance[] }[] {
  return analysisCase.eyes
    .map((caseEye) => ({ eye: caseEye.eye, instances: caseEye.instances.filter(isPhotograph) }))
    .filter((entry) => entry.instances.length > 0);
}

function isApplicable(analysisCase: AnalysisCase): Applicability {
  const byEye = photographsByEye(analysisCase);
  const withoutEye = [...analysisCase.unknownEye, ...analysisCase.bothEyes].filter(isPhotograph).length;
  if (byEye.length === 0) {
    return {
      applicable: false,
      reason:
        withoutEye > 0
          ? `${withoutEye} colour fundus photograph(s) (OP) but none with a known eye (R or L)`
          : 'no colour fundus photograph (OP) in the study',
    };
  }
  const counts = byEye.map((entry) => `${entry.eye} ${entry.instances.length}`).join(', ');
  return { applicable: true, reason: `colour fundus photographs (OP) with a known eye: ${counts}` };
}

async function assessInstance(
  instance: CaseInstance,
  eye: Eye,
  helpers: AnalyzerHelpers,
): Promise<ImageResult> {
  const started = performance.now();
  let frame;
  try {
    frame = await helpers.pixels.frame(instance, 0);
  } catch (error) {
    if (isDecodeFailure(error)) {
      return { instance, eye, durationMs: performance.now() - started };
    }
    throw error;
  }
  throwIfAborted(helpers.signal);
  const assessment = assessFundusQuality(frame);
  return {
    instance,
    eye,
    assessment,
    durationMs: performance.now() - started,
    rows: frame.rows,
    columns: frame.columns,
  };
}

function scoreOf(result: ImageResult): number {
  return result.assessment?.score ?? -1;
}

function reasonsOf(result: ImageResult): readonly UngradableReason[] {
  return result.assessment?.reasons ?? ['unreadable'];
}

/** The eye's finding: its best image decides; an all-ungradable eye gets every reason its images had. */
function eyeFinding(eye: Eye, results: readonly ImageResult[]): FindingDraft {
  const ranked = [...results].sort((a, b) => scoreOf(b) - scoreOf(a));
  const best = ranked[0]!;
  const gradable = best.assessment?.verdict === 'gradable';
  const reasons = gradable
    ? []
    : reasonOrder.filter((reason) => ranked.some((result) => reasonsOf(result).includes(reason)));
  return {
    eye,
    useCase: 'image-quality',
    key: 'quality',
    value: {
      kind: 'quality',
      verdict: gradable ? 'gradable' : 'ungradable',
      score: Math.max(0, scoreOf(best)),
      reasons,
      components: best.assessment?.components ?? {},
    },
    sourceSopInstanceUids: ranked.map((result) => result.instance.sopInstanceUid),
  };
}

/** A JSON-safe copy: numbers rounded to 4 decimals, non-finite numbers as null. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? Math.round(value * 1e4) / 1e4 : null;
  }
  if (Array.isArray(value)) {
    return value.map(jsonSafe);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, jsonSafe(entry)]));
  }
  return value;
}

function rawImage(result: ImageResult): unknown {
  const { instance, eye, assessment, durationMs } = result;
  if (assessment === undefined) {
    return { sopInstanceUid: instance.sopInstanceUid, eye, verdict: 'ungradable', reasons: ['unreadable'] };
  }
  return jsonSafe({
    sopInstanceUid: instance.sopInstanceUid,
    eye,
    frame: 0,
    rows: result.rows,
    columns: result.columns,
    verdict: assessment.verdict,
    score: assessment.score,
    reasons: assessment.reasons,
    components: assessment.components,
    measures: assessment.measures,
    fieldOfView: assessment.fieldOfView,
    opticDisc: assessment.opticDisc,
    macula: assessment.macula,
    durationMs,
  });
}

async function analyze(analysisCase: AnalysisCase, helpers: AnalyzerHelpers): Promise<AnalyzerOutput> {
  const findings: FindingDraft[] = [];
  const images: ImageResult[] = [];
  for (const { eye, instances } of photographsByEye(analysisCase)) {
    const results: ImageResult[] = [];
    for (const instance of instances) {
      throwIfAborted(helpers.signal);
      results.push(await assessInstance(instance, eye, helpers));
    }
    throwIfAborted(helpers.signal);
    findings.push(eyeFinding(eye, results));
    images.push(...results);
  }
  const notAssigned = [...analysisCase.unknownEye, ...analysisCase.bothEyes]
    .filter(isPhotograph)
    .map((instance) => instance.sopInstanceUid);
  return {
    findings,
    raw: {
      analyzer: `${manifest.id}@${manifest.version}`,
      modelHash,
      images: images.map(rawImage),
      notAssignedToAnEye: notAssigned,
    },
  };
}

/** The analyzer the registry loads. */
export const analyzer: Analyzer = { manifest, isApplicable, analyze };
