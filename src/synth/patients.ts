/**
 * Synthetic patients, studies and series: clearly fake identities (`SYNTH^…`), dates and UIDs derived
 * from the seed, so a cohort regenerated from the same seed is byte-identical.
 */
import type { Seed } from './rng.ts';
import { Rng } from './rng.ts';
import { deriveUid } from './uids.ts';

/** A synthetic patient. */
export interface SynthPatient {
  /** Patient ID (0010,0020), e.g. `SYN-4821-7730`. */
  readonly patientId: string;
  /** Issuer of Patient ID (0010,0021). */
  readonly issuerOfPatientId: string;
  /** Patient's Name (0010,0010), family name always `SYNTH`. */
  readonly patientName: string;
  /** Patient's Birth Date (0010,0030), YYYYMMDD. */
  readonly birthDate: string;
  /** Patient's Sex (0010,0040). */
  readonly sex: 'F' | 'M';
  /** The key from which per-eye anatomy (vessel tree, disc) is derived, stable across visits. */
  readonly anatomySeed: string;
}

/** The study an object belongs to (one visit). */
export interface SynthStudyRef {
  readonly studyInstanceUid: string;
  /** Study Date, YYYYMMDD. */
  readonly studyDate: string;
  /** Study Time, HHMMSS. */
  readonly studyTime: string;
  readonly accessionNumber: string;
  readonly studyId: string;
  readonly studyDescription: string;
}

/** The series an object belongs to. */
export interface SynthSeriesRef {
  readonly seriesInstanceUid: string;
  readonly seriesNumber: number;
  readonly seriesDescription: string;
}

const givenNames = [
  'AMELIA',
  'BORIS',
  'CHIARA',
  'DMITRI',
  'ELIF',
  'FARID',
  'GRETA',
  'HUGO',
  'INGRID',
  'JONAS',
  'KEIKO',
  'LUCA',
  'MAYA',
  'NIKO',
  'OLGA',
  'PEDRO',
  'QUINN',
  'ROSA',
  'SAMIR',
  'TOVE',
  'URSULA',
  'VIKTOR',
  'WANDA',
  'XAVIER',
  'YARA',
  'ZORAN',
  'ADA',
  'BRUNO',
  'CLARA',
  'DEV',
  'EMIL',
  'FREYA',
] as const;

/** Formats a UTC date as YYYYMMDD. */
export function formatDicomDate(date: Date): string {
  const y = String(date.getUTCFullYear()).padStart(4, '0');
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}${m}${d}`;
}

/** Parses YYYYMMDD as a UTC date. */
export function parseDicomDate(value: string): Date {
  if (!/^\d{8}$/.test(value)) {
    throw new RangeError(`not a DICOM date: ${value}`);
  }
  return new Date(
    Date.UTC(Number(value.slice(0, 4)), Number(value.slice(4, 6)) - 1, Number(value.slice(6, 8))),
  );
}

/** Adds days to a YYYYMMDD date. */
export function addDays(value: string, days: number): string {
  const date = parseDicomDate(value);
  date.setUTCDate(date.getUTCDate() + Math.round(days));
  return formatDicomDate(date);
}

/** Years (365.25 days) between two YYYYMMDD dates. */
export function yearsBetween(from: string, to: string): number {
  return (parseDicomDate(to).getTime() - parseDicomDate(from).getTime()) / (365.25 * 86400000);
}

/** Patient's Age (0010,1010) at a date, e.g. `063Y`. */
export function patientAge(birthDate: string, atDate: string): string {
  const years = Math.max(0, Math.floor(yearsBetween(birthDate, atDate)));
  return `${String(Math.min(years, 999)).padStart(3, '0')}Y`;
}

/** Options of {@link makePatient}. */
export interface MakePatientOptions {
  readonly seed: Seed;
  /** Age range in years at the reference date (default 45–80). */
  readonly ageRange?: readonly [number, number];
  readonly sex?: 'F' | 'M';
  /** Reference date for the age (default 20250601). */
  readonly referenceDate?: string;
}

/** Makes a synthetic patient, deterministic for the seed. */
export function makePatient(options: MakePatientOptions): SynthPatient {
  const rng = new Rng(options.seed, 'patient');
  const sex = options.sex ?? (rng.chance(0.5) ? 'F' : 'M');
  const [minAge, maxAge] = options.ageRange ?? [45, 80];
  const referenceDate = options.referenceDate ?? '20250601';
  const ageDays = Math.round(rng.range(minAge, maxAge) * 365.25);
  const birthDate = addDays(referenceDate, -ageDays);
  const given = rng.pick(givenNames);
  const number = rng.int(1000, 9999);
  const check = rng.int(1000, 9999);
  return {
    patientId: `SYN-${number}-${check}`,
    issuerOfPatientId: 'FOVEA-SYNTH',
    patientName: `SYNTH^${given}^${String.fromCharCode(65 + rng.int(0, 25))}`,
    birthDate,
    sex,
    anatomySeed: `${String(options.seed)}/anatomy/${number}-${check}`,
  };
}

/** Options of {@link makeStudy}. */
export interface MakeStudyOptions {
  readonly seed: Seed;
  /** Study Date, YYYYMMDD (default: a date in 2025 derived from the seed). */
  readonly studyDate?: string;
  readonly studyDescription?: string;
  /** Extra label so several studies from one seed differ (e.g. the visit number). */
  readonly label?: string | number;
}

/** Makes a study reference (UID, date, time, accession), deterministic for the seed and label. */
export function makeStudy(options: MakeStudyOptions): SynthStudyRef {
  const label = options.label ?? 0;
  const rng = new Rng(options.seed, 'study', label);
  const studyDate = options.studyDate ?? addDays('20250106', rng.int(0, 330));
  const hour = rng.int(8, 16);
  const minute = rng.int(0, 59);
  const second = rng.int(0, 59);
  const accession = rng.int(10000000, 99999999);
  return {
    studyInstanceUid: deriveUid(options.seed, 'study', label),
    studyDate,
    studyTime: `${String(hour).padStart(2, '0')}${String(minute).padStart(2, '0')}${String(second).padStart(2, '0')}`,
    accessionNumber: `SYN${accession}`,
    studyId: `S${String(rng.int(1, 999999)).padStart(6, '0')}`,
    studyDescription: options.studyDescription ?? 'Ophthalmic imaging (synthetic)',
  };
}

/** Makes a series reference within a study. */
export function makeSeries(
  study: SynthStudyRef,
  seriesNumber: number,
  seriesDescription: string,
): SynthSeriesRef {
  return {
    seriesInstanceUid: deriveUid(study.studyInstanceUid, 'series', seriesNumber, seriesDescription),
    seriesNumber,
    seriesDescription,
  };
}
