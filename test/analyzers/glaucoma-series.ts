/**
 * A synthetic glaucoma patient for tests: yearly visits, each a study with a peripapillary circle scan per eye
 * (and its SLO) and a 24-2 visual field per eye. The right eye progresses — inferior nerve-fibre loss growing
 * by `lossPerYear` of the bundle and a superior arcuate field defect deepening at `mdSlope` dB/yr — the left
 * eye is stable. The truth's global RNFL per scan gives the true RNFL slope.
 */
import {
  generatePatientStudy,
  generateVisualFieldSeries,
  makePatient,
  makeStudy,
  addDays,
  writeObjects,
} from '../../src/synth/index.ts';
import type { SynthObject, SynthStudyRef } from '../../src/synth/index.ts';
import type { CircleScanTruth } from '../../src/synth/truth.ts';
import type { AnalysisCase } from '../../src/analyzers/sdk/index.ts';
import type { Case } from '../../src/core/case.ts';
import { assembleCase } from '../../src/pipeline/assemble.ts';
import { readInstanceFiles } from '../../src/pipeline/offline-analysis.ts';

/** The generated series. */
export interface GlaucomaSeries {
  readonly patientId: string;
  /** Studies oldest first; the last is the current visit. */
  readonly studies: readonly SynthStudyRef[];
  readonly objects: readonly SynthObject[];
  /** Per eye: global RNFL truth per visit (µm) and the visit dates. */
  readonly rnflTruth: Readonly<Record<'R' | 'L', readonly { date: string; globalUm: number }[]>>;
}

/** Generates the series (deterministic for the seed). */
export async function generateGlaucomaSeries(options: {
  readonly seed: string;
  readonly visits: number;
  readonly lossPerYear?: number;
  readonly mdSlope?: number;
  /** With visual fields (default true). */
  readonly fields?: boolean;
}): Promise<GlaucomaSeries> {
  const lossPerYear = options.lossPerYear ?? 0.08;
  const patient = makePatient({ seed: options.seed, ageRange: [60, 75] });
  const current = makeStudy({ seed: options.seed, label: 'current', studyDate: '20250610' });
  const studies: SynthStudyRef[] = [];
  for (let back = options.visits - 1; back >= 1; back--) {
    studies.push(
      makeStudy({
        seed: options.seed,
        label: `prior-${back}`,
        studyDate: addDays(current.studyDate, -Math.round(back * 365.25)),
      }),
    );
  }
  studies.push(current);
  const objects: SynthObject[] = [];
  const rnflTruth: Record<'R' | 'L', { date: string; globalUm: number }[]> = { R: [], L: [] };
  for (const [index, study] of studies.entries()) {
    const back = studies.length - 1 - index;
    const visit = await generatePatientStudy({
      seed: options.seed,
      patient,
      study,
      visitLabel: back === 0 ? 'current' : `prior-${back}`,
      findings: {
        R: { icdr: 0, inferiorRnflLoss: Math.max(0, 0.55 - lossPerYear * back), cupToDiscRatio: 0.8 },
        L: { icdr: 0, inferiorRnflLoss: 0.1, cupToDiscRatio: 0.55 },
      },
      content: { octCircleScan: true },
    });
    objects.push(...visit.objects);
    for (const object of visit.objects) {
      if (object.kind === 'oct-circle-scan') {
        const truth = object.truth as unknown as CircleScanTruth;
        rnflTruth[object.eye as 'R' | 'L'].push({ date: study.studyDate, globalUm: truth.rnfl.averageUm });
      }
    }
  }
  if (options.fields !== false) {
    for (const [eye, slope, arcuate] of [
      ['R', options.mdSlope ?? -1.2, 'superior'],
      ['L', 0, 'none'],
    ] as const) {
      objects.push(
        ...generateVisualFieldSeries({
          seed: options.seed,
          eye,
          patient,
          visits: studies.length,
          intervalYears: 1,
          mdSlopeDbPerYear: slope,
          arcuate,
          baselineDefectDb: arcuate === 'none' ? 0 : 5,
          studies,
        }),
      );
    }
  }
  return { patientId: patient.patientId, studies, objects, rnflTruth };
}

/**
 * Writes objects (one study per visit) under `root` and assembles the newest study as an analysis Case with
 * the others as its priors, as the pipeline's Case assembly gives them (absolute paths: a spool rooted at `/`).
 */
export async function assembleNewest(root: string, objects: readonly SynthObject[]): Promise<AnalysisCase> {
  const files = (await writeObjects(root, objects)).filter((file) => file.endsWith('.dcm'));
  const records = await readInstanceFiles(files);
  const byStudy = new Map<string, typeof records>();
  for (const record of records) {
    byStudy.set(record.studyInstanceUid, [...(byStudy.get(record.studyInstanceUid) ?? []), record]);
  }
  const cases: Case[] = [...byStudy].map(([uid, instances]) =>
    assembleCase(uid, 'test', instances, new Date()),
  );
  cases.sort((a, b) => (b.studyDate ?? '').localeCompare(a.studyDate ?? ''));
  const [newest, ...priors] = cases;
  return { ...newest!, priors };
}
