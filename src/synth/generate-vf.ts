/**
 * Visual fields as DICOM Ophthalmic Visual Field Static Perimetry Measurements objects with their truth:
 * single tests, and series over years (each visit its own study, earlier visits with earlier dates).
 */
import type { Eye } from '../core/eye.ts';
import { synthDevices, synthVersion } from './dicom-modules.ts';
import { visualFieldSopClassUid, writeVisualField } from './dicom-opv.ts';
import { transferSyntaxUids } from './dicom-part10.ts';
import { attachObjectRef, objectFileName, resolveContext, seriesNumbers } from './objects.ts';
import type { SynthContext, SynthObject } from './objects.ts';
import { addDays, makePatient, makeStudy, yearsBetween } from './patients.ts';
import type { SynthPatient, SynthStudyRef } from './patients.ts';
import { Rng } from './rng.ts';
import type { Seed } from './rng.ts';
import { truthSchema } from './truth.ts';
import type { VisualFieldTruth } from './truth.ts';
import { deriveUid } from './uids.ts';
import { generateVisualFieldSeriesValues } from './vf-series.ts';
import type { VfSeriesOptions, VfSeriesTruth } from './vf-series.ts';
import { generateVisualFieldValues } from './visual-field.ts';
import type { ArcuateDefect, VfPattern, VfTestValues } from './visual-field.ts';

const coordinateConvention =
  "degrees from fixation as seen by the patient: x positive to the patient's right, y positive up; " +
  'the blind spot of a right eye is at x = +15';

/** Options of {@link generateVisualField}. */
export interface VisualFieldOptions extends SynthContext {
  readonly seed: Seed;
  readonly eye: Eye;
  readonly pattern?: VfPattern;
  /** Age at the test (default: the patient's age at the study date). */
  readonly ageYears?: number;
  readonly diffuseLossDb?: number;
  readonly defects?: readonly ArcuateDefect[];
}

function buildTruth(
  seed: Seed,
  eye: Eye,
  values: VfTestValues,
  visit: { readonly visit: number; readonly yearsFromBaseline: number } | null,
  series: VfSeriesTruth | null,
): VisualFieldTruth {
  return {
    schema: truthSchema,
    kind: 'visual-field',
    generator: `fovea-synth@${synthVersion}`,
    seed: String(seed),
    eye,
    pattern: values.pattern,
    coordinateConvention,
    ageYears: values.ageYears,
    points: values.points,
    meanDeviationDb: values.meanDeviationDb,
    patternStandardDeviationDb: values.patternStandardDeviationDb,
    trueMeanDeviationDb: values.trueMeanDeviationDb,
    truePatternStandardDeviationDb: values.truePatternStandardDeviationDb,
    meanSensitivityDb: values.meanSensitivityDb,
    reliability: values.reliability,
    visit: visit?.visit ?? null,
    yearsFromBaseline: visit?.yearsFromBaseline ?? null,
    series,
  };
}

function writeObject(
  seed: Seed,
  eye: Eye,
  values: VfTestValues,
  patient: SynthPatient,
  study: SynthStudyRef,
  context: SynthContext,
  truth: VisualFieldTruth,
): SynthObject<VisualFieldTruth> {
  const { series } = resolveContext(
    seed,
    { ...context, patient, study },
    seriesNumbers.visualField[eye],
    `Visual field ${values.pattern} ${eye === 'R' ? 'OD' : 'OS'}`,
  );
  const sopInstanceUid = deriveUid(
    seed,
    'vf',
    eye,
    study.studyInstanceUid,
    series.seriesInstanceUid,
    context.instanceNumber ?? 1,
  );
  const part10 = writeVisualField({
    identity: {
      patient,
      study,
      series,
      sopClassUid: visualFieldSopClassUid,
      sopInstanceUid,
      instanceNumber: context.instanceNumber ?? 1,
      eye,
      ...(context.contentTime === undefined ? {} : { contentTime: context.contentTime }),
    },
    device: synthDevices.perimeter,
    values,
  });
  const fileName = objectFileName('OPV', eye, 'visual-field', sopInstanceUid);
  const transferSyntaxUid = transferSyntaxUids['explicit-le'];
  return {
    kind: 'visual-field',
    modality: 'OPV',
    eye,
    sopClassUid: visualFieldSopClassUid,
    sopInstanceUid,
    seriesInstanceUid: series.seriesInstanceUid,
    studyInstanceUid: study.studyInstanceUid,
    patientId: patient.patientId,
    studyDate: study.studyDate,
    transferSyntaxUid,
    fileName,
    part10,
    truth: attachObjectRef(truth, {
      sopClassUid: visualFieldSopClassUid,
      sopInstanceUid,
      seriesInstanceUid: series.seriesInstanceUid,
      studyInstanceUid: study.studyInstanceUid,
      patientId: patient.patientId,
      studyDate: study.studyDate,
      transferSyntaxUid,
      fileName,
    }),
  };
}

/** Generates one visual field test (OPV) with its truth, deterministic for the seed. */
export function generateVisualField(options: VisualFieldOptions): SynthObject<VisualFieldTruth> {
  const patient = options.patient ?? makePatient({ seed: options.seed });
  const study = options.study ?? makeStudy({ seed: options.seed });
  const values = generateVisualFieldValues(
    {
      pattern: options.pattern ?? '24-2',
      eye: options.eye,
      ageYears: options.ageYears ?? yearsBetween(patient.birthDate, study.studyDate),
      ...(options.diffuseLossDb === undefined ? {} : { diffuseLossDb: options.diffuseLossDb }),
      ...(options.defects === undefined ? {} : { defects: options.defects }),
    },
    new Rng(options.seed, 'visual-field', options.eye, study.studyInstanceUid),
  );
  return writeObject(
    options.seed,
    options.eye,
    values,
    patient,
    study,
    options,
    buildTruth(options.seed, options.eye, values, null, null),
  );
}

/** Options of {@link generateVisualFieldSeries}. */
export interface VisualFieldSeriesOptions extends Omit<VfSeriesOptions, 'startAgeYears'> {
  readonly seed: Seed;
  readonly patient?: SynthPatient;
  /** Date of the last (most recent) test, YYYYMMDD (default derived from the seed). */
  readonly lastTestDate?: string;
  /** Studies to use per visit (oldest first); default one new study per visit. */
  readonly studies?: readonly SynthStudyRef[];
}

/**
 * Generates a visual field series: one test per visit, each in its own study dated `intervalYears` apart
 * and ending at `lastTestDate`. Every test's truth carries the series' true slopes.
 */
export function generateVisualFieldSeries(
  options: VisualFieldSeriesOptions,
): SynthObject<VisualFieldTruth>[] {
  const visits = options.visits ?? 6;
  const interval = options.intervalYears ?? 1;
  const patient = options.patient ?? makePatient({ seed: options.seed });
  const last = options.lastTestDate ?? makeStudy({ seed: options.seed }).studyDate;
  const studies =
    options.studies ??
    Array.from({ length: visits }, (_, visit) =>
      makeStudy({
        seed: options.seed,
        label: `vf-visit-${visit + 1}`,
        studyDate: addDays(last, -Math.round((visits - 1 - visit) * interval * 365.25)),
        studyDescription: 'Visual field (synthetic)',
      }),
    );
  if (studies.length !== visits) {
    throw new RangeError(`need ${visits} studies, got ${studies.length}`);
  }
  const { tests, truth } = generateVisualFieldSeriesValues(
    {
      ...options,
      visits,
      intervalYears: interval,
      startAgeYears: yearsBetween(patient.birthDate, studies[0]!.studyDate),
    },
    new Rng(options.seed, 'visual-field-series', options.eye),
  );
  return tests.map((test, index) =>
    writeObject(
      options.seed,
      options.eye,
      test,
      patient,
      studies[index]!,
      {},
      buildTruth(
        options.seed,
        options.eye,
        test,
        { visit: test.visit, yearsFromBaseline: test.yearsFromBaseline },
        truth,
      ),
    ),
  );
}
