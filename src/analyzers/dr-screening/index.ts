/**
 * The `dr-screening` analyzer: per eye, the ICDR level of diabetic retinopathy with its confidence, DME
 * suspicion, the lesions found (positions in source pixels) and a triage suggestion (stat for PDR, referable
 * for moderate NPDR or worse or DME, review-and-release for none or mild with a confidence). A classical
 * image-analysis algorithm; its parameters are hashed into the manifest's model hash. An eye whose photographs
 * fail this analyzer's own gradability checks gets an ungradable quality finding (recapture), never level 0;
 * the `fundus-quality` analyzer's verdict cannot be read here (analyzers never import each other), so the
 * pipeline combines the two (see README).
 * @see https://doi.org/10.1016/S0161-6420(03)00475-5 (ICDR scale)
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
import { analyzePhotograph, type PhotographAnalysis } from './analyze-photograph.ts';
import { icdrCodes, lesionCodes, macularEdemaCode, macularEdemaConcept, severityConcept } from './codes.ts';
import { gradeEye, gradePatient, type EyeGrade, type GradeOptions } from './grade.ts';
import type { LesionType } from './lesions.ts';
import { parameters } from './parameters.ts';

export { analyzePhotograph } from './analyze-photograph.ts';
export type { PhotographAnalysis, PhotographWorkings, SourceLesion } from './analyze-photograph.ts';
export {
  defaultFollowUpTable,
  dmeCategoryOf,
  gradeEye,
  gradePatient,
  icdrLevelOf,
  quadrants,
  severeCriteriaOf,
} from './grade.ts';
export type {
  DmeCategory,
  EyeEvidence,
  EyeGrade,
  FollowUpRule,
  FollowUpTable,
  GradeOptions,
  IcdrLevel,
  PatientGrade,
  QualityInput,
  Quadrant,
} from './grade.ts';
export type { LesionType } from './lesions.ts';
export { icdrCodes, lesionCodes, macularEdemaCode } from './codes.ts';
export { parameters } from './parameters.ts';

/** SOP Class UID of Ophthalmic Photography 8 Bit Image Storage. */
export const ophthalmicPhotography8BitSopClassUid = '1.2.840.10008.5.1.4.1.1.77.1.5.1';

/** SHA-256 (hex) of the JSON of every parameter of the algorithm. */
export const modelHash = createHash('sha256').update(JSON.stringify(parameters)).digest('hex');

/** The grading options the analyzer uses (the detector's haemorrhage recall for the 4-2-1 rule). */
export const gradeOptions: GradeOptions = { haemorrhageRecall: parameters.grading.haemorrhageRecall };

/** The analyzer's manifest. */
export const manifest: AnalyzerManifest = {
  id: 'dr-screening',
  version: '0.4.2',
  displayName: 'Diabetic retinopathy screening (classical lesion detection)',
  intendedUse:
    'Suggests, for review by a qualified grader, the ICDR diabetic retinopathy level and diabetic macular ' +
    'oedema suspicion of each eye from colour fundus photographs, with the lesions found and a worklist ' +
    'priority; it does not replace grading by a clinician.',
  useCases: ['dr-screening'],
  inputs: { sopClassUids: [ophthalmicPhotography8BitSopClassUid], modalities: ['OP'] },
  outputs: ['classification', 'region', 'quality'],
  timeoutMs: 120_000,
  reviewRequired: true,
  modelHash,
};

/** A colour fundus photograph: greyscale OP images (an OCT's infrared SLO, red-free photographs) are not graded. */
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
  if (byEye.length === 0) {
    return { applicable: false, reason: 'no colour fundus photograph (OP) with a known eye (R or L)' };
  }
  const counts = byEye.map((entry) => `${entry.eye} ${entry.instances.length}`).join(', ');
  return { applicable: true, reason: `colour fundus photographs (OP) with a known eye: ${counts}` };
}

interface ImageResult {
  readonly instance: CaseInstance;
  readonly analysis?: PhotographAnalysis;
}

const lesionTypes: readonly LesionType[] = [
  'microaneurysm',
  'haemorrhage',
  'hard-exudate',
  'cotton-wool-spot',
  'new-vessels-disc',
  'new-vessels-elsewhere',
  'preretinal-haemorrhage',
];

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The eye's image that decides: a gradable one with the most lesion evidence, else the best-resolved one. */
function decidingImage(results: readonly ImageResult[]): ImageResult | undefined {
  const analysed = results.filter((result) => result.analysis !== undefined);
  const gradable = analysed.filter((result) => result.analysis!.ownQuality.verdict === 'gradable');
  const pool = gradable.length > 0 ? gradable : analysed;
  return [...pool].sort(
    (a, b) =>
      gradeEye(b.analysis!.evidence, undefined, gradeOptions).icdr! -
        gradeEye(a.analysis!.evidence, undefined, gradeOptions).icdr! ||
      b.analysis!.vesselFraction - a.analysis!.vesselFraction,
  )[0];
}

function triageOf(grade: EyeGrade): FindingDraft['triage'] {
  if (grade.urgent) {
    return {
      bucket: 'stat',
      reason: 'proliferative diabetic retinopathy suspected',
      confidence: grade.confidence,
    };
  }
  if (grade.referable) {
    const why = grade.icdr !== undefined && grade.icdr >= 2 ? `ICDR level ${grade.icdr}` : 'DME suspected';
    return {
      bucket: 'referable',
      reason: `referable diabetic retinopathy (${why})`,
      confidence: grade.confidence,
    };
  }
  return {
    bucket: 'review-and-release',
    reason: grade.icdr === 1 ? 'mild NPDR (microaneurysms only)' : 'no apparent diabetic retinopathy',
    confidence: grade.confidence,
  };
}

function eyeFindings(
  eye: Eye,
  results: readonly ImageResult[],
): { findings: FindingDraft[]; grade: EyeGrade } {
  const deciding = decidingImage(results);
  const uids = [
    ...(deciding === undefined ? [] : [deciding.instance.sopInstanceUid]),
    ...results
      .map((result) => result.instance.sopInstanceUid)
      .filter((uid) => uid !== deciding?.instance.sopInstanceUid),
  ];
  const analysis = deciding?.analysis;
  const reasons = (analysis?.ownQuality.reasons ?? ['unreadable']) as UngradableReason[];
  const grade = gradeEye(
    analysis?.evidence,
    analysis === undefined
      ? { verdict: 'ungradable', reasons }
      : { verdict: analysis.ownQuality.verdict, reasons },
    gradeOptions,
  );
  if (!grade.gradable || analysis === undefined || deciding === undefined) {
    return {
      grade,
      findings: [
        {
          eye,
          useCase: 'dr-screening',
          key: 'gradability',
          value: { kind: 'quality', verdict: 'ungradable', score: 0, reasons, components: {} },
          sourceSopInstanceUids: uids,
          triage: { bucket: 'recapture', reason: `ungradable for DR screening (${reasons.join(', ')})` },
        },
      ],
    };
  }
  const findings: FindingDraft[] = [
    {
      eye,
      useCase: 'dr-screening',
      key: 'icdr',
      value: {
        kind: 'classification',
        concept: severityConcept(eye),
        value: icdrCodes[grade.icdr!],
        confidence: grade.confidence,
      },
      sourceSopInstanceUids: uids,
      triage: triageOf(grade),
    },
  ];
  if (grade.dme !== 'none') {
    findings.push({
      eye,
      useCase: 'dr-screening',
      key: 'dme',
      value: {
        kind: 'classification',
        concept: macularEdemaConcept(eye),
        value: macularEdemaCode,
        confidence: grade.confidence,
      },
      sourceSopInstanceUids: [deciding.instance.sopInstanceUid],
    });
  }
  for (const type of lesionTypes) {
    const lesions = analysis.lesions.filter((lesion) => lesion.type === type);
    if (lesions.length === 0) {
      continue;
    }
    findings.push({
      eye,
      useCase: 'dr-screening',
      key: `lesions-${type}`,
      value: {
        kind: 'region',
        concept: lesionCodes[type],
        sopInstanceUid: deciding.instance.sopInstanceUid,
        frame: 1,
        graphicType: 'MULTIPOINT',
        points: lesions.flatMap((lesion) => [round(lesion.x), round(lesion.y)]),
        confidence: lesions.reduce((sum, lesion) => sum + lesion.confidence, 0) / lesions.length,
      },
      sourceSopInstanceUids: [deciding.instance.sopInstanceUid],
    });
  }
  return { grade, findings };
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? Math.round(value * 1e3) / 1e3 : null;
  }
  if (Array.isArray(value)) {
    return value.map(jsonSafe);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, jsonSafe(entry)]));
  }
  return value;
}

async function analyze(analysisCase: AnalysisCase, helpers: AnalyzerHelpers): Promise<AnalyzerOutput> {
  const findings: FindingDraft[] = [];
  const grades: EyeGrade[] = [];
  const images: unknown[] = [];
  for (const { eye, instances } of photographsByEye(analysisCase)) {
    const results: ImageResult[] = [];
    for (const instance of instances) {
      throwIfAborted(helpers.signal);
      try {
        const frame = await helpers.pixels.frame(instance, 0);
        throwIfAborted(helpers.signal);
        results.push({ instance, analysis: analyzePhotograph(frame) });
      } catch (error) {
        if (!isDecodeFailure(error)) {
          throw error;
        }
        results.push({ instance });
      }
    }
    const eyeResult = eyeFindings(eye, results);
    findings.push(...eyeResult.findings);
    grades.push(eyeResult.grade);
    images.push(
      ...results.map((result) => ({
        sopInstanceUid: result.instance.sopInstanceUid,
        eye,
        analysis: result.analysis ?? 'unreadable',
      })),
    );
  }
  return {
    findings,
    raw: jsonSafe({
      analyzer: `${manifest.id}@${manifest.version}`,
      modelHash,
      patient: gradePatient(grades),
      eyes: grades,
      images,
    }),
  };
}

/** The analyzer the registry loads. */
export const analyzer: Analyzer = { manifest, isApplicable, analyze };
