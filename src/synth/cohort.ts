/**
 * Synthetic cohorts: a deterministic mix of patients (normal, referable DR, DME, glaucoma progression,
 * critical proliferative DR with vitreous haemorrhage, ungradable images), each with a current visit and
 * optionally prior visits as earlier studies, plus a manifest of what every case should be triaged as.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Eye } from '../core/eye.ts';
import { eyes } from '../core/eye.ts';
import { synthVersion } from './dicom-modules.ts';
import type { SynthTransferSyntax } from './dicom-part10.ts';
import { isGradable } from './fundus-artefacts.ts';
import type { FundusArtefact } from './fundus-artefacts.ts';
import type { IcdrLevel } from './fundus-lesions.ts';
import { generateVisualFieldSeries } from './generate-vf.ts';
import type { FluidType } from './oct-pathology.ts';
import { writeObjects } from './objects.ts';
import type { SynthObject } from './objects.ts';
import { generatePatientStudy } from './patient-study.ts';
import type { EyeFindings, PatientStudyOptions, VisitContent } from './patient-study.ts';
import { addDays, makePatient, makeStudy } from './patients.ts';
import type { SynthPatient, SynthStudyRef } from './patients.ts';
import { Rng } from './rng.ts';
import type { Seed } from './rng.ts';

/** The kinds of case a cohort mixes. */
export const cohortCaseTypes = [
  'normal',
  'referable-dr',
  'dme',
  'glaucoma-progression',
  'critical',
  'ungradable',
] as const;

/** One kind of case. */
export type CohortCaseType = (typeof cohortCaseTypes)[number];

/** The triage bucket a case is expected to land in (design §2). */
export type ExpectedTriage = 'stat' | 'referable' | 'routine' | 'recapture';

/** What is true of one eye at the current visit. */
export interface CohortEyeTruth {
  readonly icdr: IcdrLevel;
  readonly dme: boolean;
  readonly dmeCentreInvolved: boolean;
  readonly referableDr: boolean;
  readonly gradable: boolean;
  readonly artefacts: readonly FundusArtefact[];
  readonly fluid: readonly FluidType[];
  readonly vitreousHaemorrhage: boolean;
  readonly glaucoma: boolean;
  readonly cupToDiscRatio: number | null;
  /** Target MD slope of the eye's visual field series (dB/year), if any. */
  readonly vfMdSlopeDbPerYear: number | null;
}

/** One object of a case, as listed in the manifest. */
export interface CohortObjectEntry {
  readonly fileName: string;
  readonly path: string;
  readonly kind: string;
  readonly modality: string;
  readonly eye: Eye;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly studyDate: string;
}

/** One case (patient) of the cohort. */
export interface CohortCase {
  readonly caseId: string;
  readonly type: CohortCaseType;
  readonly patientId: string;
  readonly patientName: string;
  readonly expectedTriage: ExpectedTriage;
  readonly useCases: readonly string[];
  readonly eyes: Readonly<Record<Eye, CohortEyeTruth>>;
  /** Studies oldest first; the last is the current visit. */
  readonly studies: readonly {
    readonly studyInstanceUid: string;
    readonly studyDate: string;
    readonly accessionNumber: string;
    readonly current: boolean;
  }[];
  readonly objects: readonly CohortObjectEntry[];
}

/** The cohort manifest (`manifest.json`). */
export interface CohortManifest {
  readonly schema: 'fovea-synth-cohort/1';
  readonly generator: string;
  readonly seed: string;
  readonly size: number;
  readonly visits: number;
  readonly counts: Readonly<Record<CohortCaseType, number>>;
  readonly cases: readonly CohortCase[];
}

/** Options of {@link generateCohort}. */
export interface CohortOptions {
  readonly seed: Seed;
  /** Number of patients (default 12; the first six cover every case type once). */
  readonly size?: number;
  /** Visits per patient: 1 = current only; more adds prior studies (glaucoma series use at least 5). */
  readonly visits?: number;
  /** Write the objects, truth files and manifest.json here. */
  readonly out?: string;
  /** Keep every object in memory and return it (default true; set false for large cohorts written to disk). */
  readonly retain?: boolean;
  readonly transferSyntax?: SynthTransferSyntax;
  readonly fundusSize?: { readonly width: number; readonly height: number };
  readonly octSize?: { readonly frames?: number; readonly columns?: number; readonly rows?: number };
  /** Called after each case. */
  readonly onCase?: (entry: CohortCase, index: number, total: number) => void;
}

/** A generated cohort. */
export interface Cohort {
  readonly manifest: CohortManifest;
  /** Every object (empty when `retain` is false). */
  readonly objects: SynthObject[];
}

const typeWeights: readonly (readonly [CohortCaseType, number])[] = [
  ['normal', 0.4],
  ['referable-dr', 0.2],
  ['dme', 0.12],
  ['glaucoma-progression', 0.12],
  ['critical', 0.06],
  ['ungradable', 0.1],
];

/** The case type of the i-th patient: each type once, then a weighted draw. */
export function cohortCaseType(rng: Rng, index: number): CohortCaseType {
  if (index < cohortCaseTypes.length) {
    return cohortCaseTypes[index]!;
  }
  let u = rng.float();
  for (const [type, weight] of typeWeights) {
    u -= weight;
    if (u < 0) {
      return type;
    }
  }
  return 'normal';
}

interface CasePlan {
  readonly findings: Record<Eye, EyeFindings>;
  readonly content: VisitContent;
  readonly vfSlopes: Partial<Record<Eye, { slope: number; arcuate: 'superior' | 'inferior' | 'none' }>>;
  readonly useCases: readonly string[];
}

function planCase(type: CohortCaseType, rng: Rng): CasePlan {
  const worse: Eye = rng.chance(0.5) ? 'R' : 'L';
  const other: Eye = worse === 'R' ? 'L' : 'R';
  const findings = { R: {}, L: {} } as Record<Eye, EyeFindings>;
  switch (type) {
    case 'normal':
      findings.R = { icdr: 0 };
      findings.L = { icdr: 0 };
      return {
        findings,
        content: { fundus: true, octVolume: rng.chance(0.3) },
        vfSlopes: {},
        useCases: ['dr-screening'],
      };
    case 'referable-dr': {
      const level: IcdrLevel = rng.chance(0.5) ? 2 : 3;
      findings[worse] = { icdr: level };
      findings[other] = { icdr: rng.pick([0, 1, level === 3 ? 2 : 1] as const) };
      return { findings, content: { fundus: true }, vfSlopes: {}, useCases: ['dr-screening'] };
    }
    case 'dme': {
      const centreInvolved = rng.chance(0.6);
      findings[worse] = {
        icdr: rng.chance(0.6) ? 2 : 3,
        dme: true,
        dmeCentreInvolved: centreInvolved,
        fluid: rng.chance(0.4) ? ['irf', 'srf'] : ['irf'],
      };
      findings[other] = { icdr: rng.pick([0, 1, 2] as const) };
      return {
        findings,
        content: { fundus: true, octVolume: true },
        vfSlopes: {},
        useCases: ['dr-screening', 'dme-quantification'],
      };
    }
    case 'glaucoma-progression':
      findings[worse] = {
        icdr: 0,
        cupToDiscRatio: rng.range(0.75, 0.85),
        inferiorRnflLoss: rng.range(0.4, 0.6),
        superiorRnflLoss: rng.range(0, 0.15),
      };
      findings[other] = {
        icdr: 0,
        cupToDiscRatio: rng.range(0.5, 0.65),
        inferiorRnflLoss: rng.range(0, 0.15),
      };
      return {
        findings,
        content: { fundus: true, octCircleScan: true },
        // Inferior RNFL loss shows as a superior arcuate field defect.
        vfSlopes: {
          [worse]: { slope: -rng.range(1.0, 1.8), arcuate: 'superior' },
          [other]: { slope: 0, arcuate: 'none' },
        },
        useCases: ['glaucoma-progression'],
      };
    case 'critical':
      findings[worse] = {
        icdr: 4,
        proliferative: {
          nvd: rng.chance(0.6),
          nve: true,
          preretinalHaemorrhage: rng.chance(0.5),
          vitreousHaemorrhage: true,
        },
      };
      findings[other] = { icdr: 3 };
      return {
        findings,
        content: { fundus: true },
        vfSlopes: {},
        useCases: ['dr-screening', 'critical-triage'],
      };
    case 'ungradable': {
      const artefacts = rng.pick<readonly FundusArtefact[]>([
        ['defocus'],
        ['small-pupil', 'eyelash-shadow'],
        ['under-exposure'],
        ['over-exposure'],
        ['defocus', 'small-pupil'],
      ]);
      findings[worse] = { icdr: rng.pick([0, 1, 2] as const), artefacts };
      findings[other] = rng.chance(0.5)
        ? { icdr: findings[worse].icdr ?? 0, artefacts: ['eyelash-shadow'] }
        : {
            icdr: findings[worse].icdr ?? 0,
            artefacts: rng.pick<readonly FundusArtefact[]>([['defocus'], ['under-exposure']]),
          };
      return {
        findings,
        content: { fundus: true },
        vfSlopes: {},
        useCases: ['dr-screening', 'image-quality'],
      };
    }
  }
}

function eyeTruth(findings: EyeFindings, vf: CasePlan['vfSlopes'][Eye]): CohortEyeTruth {
  const icdr = findings.icdr ?? 0;
  const artefacts = findings.artefacts ?? [];
  const glaucoma = (findings.inferiorRnflLoss ?? 0) >= 0.3 || (findings.superiorRnflLoss ?? 0) >= 0.3;
  return {
    icdr,
    dme: findings.dme ?? false,
    dmeCentreInvolved: findings.dme === true && findings.dmeCentreInvolved === true,
    referableDr: icdr >= 2 || findings.dme === true,
    gradable: isGradable(artefacts),
    artefacts,
    fluid: findings.fluid ?? [],
    vitreousHaemorrhage: findings.proliferative?.vitreousHaemorrhage === true,
    glaucoma,
    cupToDiscRatio:
      findings.cupToDiscRatio === undefined ? null : Math.round(findings.cupToDiscRatio * 1000) / 1000,
    vfMdSlopeDbPerYear: vf === undefined ? null : Math.round(vf.slope * 1000) / 1000,
  };
}

function expectedTriage(type: CohortCaseType, truths: Record<Eye, CohortEyeTruth>): ExpectedTriage {
  if (type === 'critical' || eyes.some((eye) => truths[eye].vitreousHaemorrhage)) {
    return 'stat';
  }
  if (eyes.some((eye) => !truths[eye].gradable)) {
    return 'recapture';
  }
  if (type === 'glaucoma-progression' || eyes.some((eye) => truths[eye].referableDr)) {
    return 'referable';
  }
  return 'routine';
}

/** The same eye at an earlier visit: DR one level milder per year back, no DME, no artefacts. */
function priorFindings(findings: EyeFindings, yearsBack: number): EyeFindings {
  const icdr = Math.max(0, (findings.icdr ?? 0) - yearsBack) as IcdrLevel;
  return {
    icdr,
    ...(findings.cupToDiscRatio === undefined ? {} : { cupToDiscRatio: findings.cupToDiscRatio }),
  };
}

/**
 * Inferior nerve-fibre loss progresses by this share of the bundle per year in an eye whose current loss is
 * glaucomatous (≥ 0.3): about −2 µm/yr of global RNFL thickness.
 */
export const glaucomaRnflLossPerYear = 0.08;

function glaucomaPriorFindings(findings: EyeFindings, yearsBack: number): EyeFindings {
  const inferior = findings.inferiorRnflLoss ?? 0;
  const progressing = inferior >= 0.3;
  return {
    ...findings,
    inferiorRnflLoss: progressing ? Math.max(0, inferior - glaucomaRnflLossPerYear * yearsBack) : inferior,
  };
}

/** Generates a cohort, deterministic for the seed; writes it when `out` is given. */
export async function generateCohort(options: CohortOptions): Promise<Cohort> {
  const size = options.size ?? 12;
  const visits = options.visits ?? 1;
  if (!Number.isInteger(size) || size < 1 || size > 100000) {
    throw new RangeError(`cohort size must be an integer ≥ 1, got ${size}`);
  }
  if (!Number.isInteger(visits) || visits < 1 || visits > 20) {
    throw new RangeError(`visits must be an integer in [1, 20], got ${visits}`);
  }
  const retain = options.retain ?? true;
  const rng = new Rng(options.seed, 'cohort');
  const cases: CohortCase[] = [];
  const objects: SynthObject[] = [];
  const counts = Object.fromEntries(cohortCaseTypes.map((t) => [t, 0])) as Record<CohortCaseType, number>;
  if (options.out !== undefined) {
    await mkdir(options.out, { recursive: true });
  }
  for (let index = 0; index < size; index++) {
    const caseRng = rng.fork('case', index);
    const type = cohortCaseType(caseRng, index);
    counts[type] += 1;
    const plan = planCase(type, caseRng.fork('plan'));
    const caseSeed = `${String(options.seed)}/case/${index}`;
    const caseId = `case-${String(index + 1).padStart(3, '0')}-${type}`;
    const patient: SynthPatient = makePatient({
      seed: caseSeed,
      ageRange: type === 'glaucoma-progression' ? [55, 82] : [35, 78],
    });
    const current = makeStudy({
      seed: caseSeed,
      label: 'current',
      studyDescription: 'Ophthalmic imaging (synthetic)',
    });
    const priorCount = type === 'glaucoma-progression' ? Math.max(visits, 5) - 1 : visits - 1;
    const priors: SynthStudyRef[] = [];
    for (let p = priorCount; p >= 1; p--) {
      priors.push(
        makeStudy({
          seed: caseSeed,
          label: `prior-${p}`,
          studyDate: addDays(current.studyDate, -Math.round(p * 365.25) + caseRng.int(-20, 20)),
          studyDescription: 'Ophthalmic imaging (synthetic)',
        }),
      );
    }
    const common: Omit<PatientStudyOptions, 'study' | 'findings' | 'content' | 'visitLabel'> = {
      seed: caseSeed,
      patient,
      ...(options.transferSyntax === undefined ? {} : { transferSyntax: options.transferSyntax }),
      ...(options.fundusSize === undefined ? {} : { fundusSize: options.fundusSize }),
      ...(options.octSize === undefined ? {} : { octSize: options.octSize }),
    };
    const caseObjects: SynthObject[] = [];
    // Prior visits: colour photographs with milder DR earlier; glaucoma: a circle scan per visit with less
    // inferior nerve-fibre loss earlier in the worse eye (the field series follows below).
    const glaucoma = type === 'glaucoma-progression';
    const earlier = glaucoma ? glaucomaPriorFindings : priorFindings;
    for (const [p, study] of priors.entries()) {
      const yearsBack = priors.length - p;
      const visit = await generatePatientStudy({
        ...common,
        study,
        visitLabel: `prior-${yearsBack}`,
        findings: { R: earlier(plan.findings.R, yearsBack), L: earlier(plan.findings.L, yearsBack) },
        content: glaucoma ? { octCircleScan: true } : { fundus: true },
      });
      caseObjects.push(...visit.objects);
    }
    const visit = await generatePatientStudy({
      ...common,
      study: current,
      visitLabel: 'current',
      findings: plan.findings,
      content: plan.content,
    });
    caseObjects.push(...visit.objects);
    for (const eye of eyes) {
      const vf = plan.vfSlopes[eye];
      if (vf !== undefined) {
        caseObjects.push(
          ...generateVisualFieldSeries({
            seed: caseSeed,
            eye,
            patient,
            visits: priors.length + 1,
            intervalYears: 1,
            mdSlopeDbPerYear: vf.slope,
            arcuate: vf.arcuate,
            baselineDefectDb: vf.arcuate === 'none' ? 0 : caseRng.range(3, 8),
            studies: [...priors, current],
          }),
        );
      }
    }
    const truths = {
      R: eyeTruth(plan.findings.R, plan.vfSlopes.R),
      L: eyeTruth(plan.findings.L, plan.vfSlopes.L),
    };
    const caseDir = options.out === undefined ? undefined : join(options.out, caseId);
    if (caseDir !== undefined) {
      await writeObjects(caseDir, caseObjects);
    }
    const entry: CohortCase = {
      caseId,
      type,
      patientId: patient.patientId,
      patientName: patient.patientName,
      expectedTriage: expectedTriage(type, truths),
      useCases: plan.useCases,
      eyes: truths,
      studies: [...priors, current].map((study) => ({
        studyInstanceUid: study.studyInstanceUid,
        studyDate: study.studyDate,
        accessionNumber: study.accessionNumber,
        current: study === current,
      })),
      objects: caseObjects.map((object) => ({
        fileName: object.fileName,
        path: `${caseId}/${object.fileName}`,
        kind: object.kind,
        modality: object.modality,
        eye: object.eye,
        sopInstanceUid: object.sopInstanceUid,
        seriesInstanceUid: object.seriesInstanceUid,
        studyInstanceUid: object.studyInstanceUid,
        studyDate: object.studyDate,
      })),
    };
    cases.push(entry);
    if (retain) {
      objects.push(...caseObjects);
    }
    options.onCase?.(entry, index, size);
  }
  const manifest: CohortManifest = {
    schema: 'fovea-synth-cohort/1',
    generator: `fovea-synth@${synthVersion}`,
    seed: String(options.seed),
    size,
    visits,
    counts,
    cases,
  };
  if (options.out !== undefined) {
    await writeFile(join(options.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return { manifest, objects };
}
