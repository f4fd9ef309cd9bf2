/**
 * Converter from the content of an Ophthalmic Visual Field Static Perimetry Measurements (OPV) instance — its
 * dataset in DICOM keyword form, as dcmjs' `naturalizeDataset` gives it — to a typed 24-2 test. Pure: the
 * caller reads and parses the file (the analyzer SDK gives analyzers pixels, not datasets; see README).
 * Lenient read: missing optional attributes leave fields out; every problem is reported.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.65 (OPV IOD)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3 (Visual Field Static Perimetry Measurements)
 */
import { locationAt, locationCount, locations242 } from './locations.ts';
import { sortTests, type VfSeries, type VfTest } from './series.ts';

/** An OPV dataset in keyword form (`{ SOPInstanceUID: '…', VisualFieldTestPointSequence: [{…}], … }`). */
export type OpvDataset = Readonly<Record<string, unknown>>;

/** The global indices the device reported, when present. */
export interface OpvDeviceIndices {
  /** Mean Deviation (DCM 111864), dB. */
  readonly md?: number;
  /** Pattern Standard Deviation (DCM 111865), dB. */
  readonly psd?: number;
}

/** The outcome of converting one OPV dataset. */
export type OpvConversion =
  | {
      readonly ok: true;
      readonly patientId?: string;
      readonly eye: 'R' | 'L';
      readonly test: VfTest;
      readonly deviceIndices: OpvDeviceIndices;
      /** Conformance notes (lenient read), e.g. test points outside the 24-2 pattern that were ignored. */
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly problem: string };

/** SOP Class UID of Ophthalmic Visual Field Static Perimetry Measurements Storage. */
export const opvSopClassUid = '1.2.840.10008.5.1.4.1.1.80.1';

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function numberOf(value: unknown): number | undefined {
  const single = first(value);
  const parsed =
    typeof single === 'number' ? single : typeof single === 'string' ? Number(single.trim()) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : undefined;
}

function textOf(value: unknown): string | undefined {
  const single = first(value);
  return typeof single === 'string' && single.trim() !== '' ? single.trim() : undefined;
}

function items(value: unknown): Readonly<Record<string, unknown>>[] {
  if (!Array.isArray(value)) {
    return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
  }
  return value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null);
}

/** DICOM DA (`YYYYMMDD`, or the first 8 characters of a DT) → ISO date. */
function isoDate(value: string | undefined): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})/.exec(value ?? '');
  return match === null ? undefined : `${match[1]}-${match[2]}-${match[3]}`;
}

/** DICOM TM → `HH:MM:SS`. */
function isoTime(value: string | undefined): string | undefined {
  const match = /^(\d{2})(\d{2})?(\d{2})?/.exec(value ?? '');
  return match === null ? undefined : `${match[1]}:${match[2] ?? '00'}:${match[3] ?? '00'}`;
}

/** Whole years of age: from Patient's Age (AS, `nnnY/M/W/D`), else from the birth date to the test date. */
function ageAt(dataset: OpvDataset, date: string): number | undefined {
  const as = /^(\d{3})([DWMY])$/.exec(textOf(dataset.PatientAge) ?? '');
  if (as !== null) {
    const count = Number(as[1]);
    const perYear = { D: 365.25, W: 365.25 / 7, M: 12, Y: 1 }[as[2] as 'D' | 'W' | 'M' | 'Y'];
    return Math.floor(count / perYear);
  }
  const birth = isoDate(textOf(dataset.PatientBirthDate));
  if (birth === undefined) {
    return undefined;
  }
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = date.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

function deviceIndices(dataset: OpvDataset): OpvDeviceIndices {
  const found: { md?: number; psd?: number } = {};
  for (const index of items(dataset.VisualFieldGlobalResultsIndexSequence)) {
    for (const observation of items(index.DataObservationSequence)) {
      const code = textOf(items(observation.ConceptNameCodeSequence)[0]?.CodeValue);
      const value = numberOf(observation.NumericValue);
      if (value !== undefined && code === '111864') {
        found.md = value;
      } else if (value !== undefined && code === '111865') {
        found.psd = value;
      }
    }
  }
  return found;
}

/**
 * Converts one OPV dataset to a 24-2 test in visualFields order (right-eye format: left eyes are mirrored).
 * Every 24-2 location must be present (within 0.75°); extra points (e.g. the rest of a 30-2) are ignored and
 * noted. A point without Sensitivity Value that was NOT SEEN gets −1 dB ("not seen at the brightest stimulus").
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3
 */
export function convertOpv(dataset: OpvDataset): OpvConversion {
  const sopClass = textOf(dataset.SOPClassUID);
  if (sopClass !== undefined && sopClass !== opvSopClassUid) {
    return { ok: false, problem: `SOP Class ${sopClass} is not OPV (${opvSopClassUid})` };
  }
  const laterality =
    textOf(dataset.MeasurementLaterality) ?? textOf(dataset.Laterality) ?? textOf(dataset.ImageLaterality);
  if (laterality !== 'R' && laterality !== 'L') {
    return { ok: false, problem: `no usable eye (Measurement Laterality '${laterality ?? ''}')` };
  }
  const date =
    isoDate(textOf(dataset.AcquisitionDateTime)) ??
    isoDate(textOf(dataset.StudyDate)) ??
    isoDate(textOf(dataset.SeriesDate));
  if (date === undefined) {
    return { ok: false, problem: 'no test date (Acquisition DateTime, Study Date, Series Date)' };
  }
  const age = ageAt(dataset, date);
  if (age === undefined) {
    return { ok: false, problem: "no age (Patient's Age or Birth Date)" };
  }
  const sensitivities: (number | undefined)[] = Array.from({ length: locationCount }, () => undefined);
  const notes: string[] = [];
  for (const point of items(dataset.VisualFieldTestPointSequence)) {
    const x = numberOf(point.VisualFieldTestPointXCoordinate);
    const y = numberOf(point.VisualFieldTestPointYCoordinate);
    const k = x === undefined || y === undefined ? undefined : locationAt(x, y, laterality);
    if (k === undefined) {
      notes.push(`test point (${x ?? '?'}, ${y ?? '?'}) is not a 24-2 location: ignored`);
      continue;
    }
    const value = numberOf(point.SensitivityValue);
    const seen = textOf(point.StimulusResults);
    const sensitivity = value ?? (seen === 'NOT SEEN' ? -1 : undefined);
    if (sensitivity === undefined) {
      notes.push(`l${k + 1}: no Sensitivity Value`);
      continue;
    }
    if (sensitivities[k] !== undefined) {
      notes.push(`l${k + 1}: tested twice, the first value kept`);
      continue;
    }
    sensitivities[k] = sensitivity;
  }
  const missing = locations242.filter((l, k) => sensitivities[k] === undefined).map((l) => `l${l.index}`);
  if (missing.length > 0) {
    return { ok: false, problem: `not a complete 24-2 test: missing ${missing.join(', ')}` };
  }
  const catchTrials = items(dataset.VisualFieldCatchTrialSequence)[0];
  const fixation = items(dataset.FixationSequence)[0];
  const rate = (estimate: unknown, count: unknown, total: unknown): number | undefined => {
    const percent = numberOf(estimate);
    if (percent !== undefined) {
      return percent / 100;
    }
    const n = numberOf(count);
    const d = numberOf(total);
    return n !== undefined && d !== undefined && d > 0 ? n / d : undefined;
  };
  const fpr = rate(
    catchTrials?.FalsePositivesEstimate,
    catchTrials?.FalsePositivesQuantity,
    catchTrials?.PositiveCatchTrialsQuantity,
  );
  const fnr = rate(
    catchTrials?.FalseNegativesEstimate,
    catchTrials?.FalseNegativesQuantity,
    catchTrials?.NegativeCatchTrialsQuantity,
  );
  const fl = rate(undefined, fixation?.PatientNotProperlyFixatedQuantity, fixation?.FixationCheckedQuantity);
  const duration = numberOf(dataset.VisualFieldTestDuration);
  const time = isoTime(textOf(dataset.StudyTime));
  const sopInstanceUid = textOf(dataset.SOPInstanceUID);
  const patientId = textOf(dataset.PatientID);
  const test: VfTest = {
    date,
    ...(time === undefined ? {} : { time }),
    age,
    sensitivities: sensitivities as number[],
    ...(fpr === undefined ? {} : { falsePositiveRate: fpr }),
    ...(fnr === undefined ? {} : { falseNegativeRate: fnr }),
    ...(fl === undefined ? {} : { fixationLossRate: fl }),
    ...(duration === undefined ? {} : { durationSeconds: duration }),
    ...(sopInstanceUid === undefined ? {} : { sopInstanceUid }),
  };
  return {
    ok: true,
    ...(patientId === undefined ? {} : { patientId }),
    eye: laterality,
    test,
    deviceIndices: deviceIndices(dataset),
    notes,
  };
}

/** Groups converted OPV tests into one series per eye (right first), tests sorted by date and time. */
export function seriesFromOpv(
  conversions: readonly OpvConversion[],
  id = 'opv',
): { readonly series: VfSeries[]; readonly problems: string[] } {
  const problems: string[] = [];
  const byEye: Record<'R' | 'L', VfTest[]> = { R: [], L: [] };
  for (const conversion of conversions) {
    if (conversion.ok) {
      byEye[conversion.eye].push(conversion.test);
    } else {
      problems.push(conversion.problem);
    }
  }
  const series = (['R', 'L'] as const)
    .filter((eye) => byEye[eye].length > 0)
    .map((eye) => ({ id, eye, tests: sortTests(byEye[eye]) }));
  return { series, problems };
}
