/**
 * The typed visual-field series every analysis here works on: one eye's 24-2 tests in date order, each with the
 * age at the test, the 54 sensitivities in visualFields order (right-eye format) and the reliability indices.
 */
import { locationCount } from './locations.ts';

/** One 24-2 test. */
export interface VfTest {
  /** ISO date of the test (`YYYY-MM-DD`). */
  readonly date: string;
  /** Time of day (`HH:MM:SS`) when known; orders tests of the same day. */
  readonly time?: string;
  /** Age at the test in whole years (visualFields uses the integer age for total deviation). */
  readonly age: number;
  /** Sensitivities (dB) l1…l54 in visualFields order, right-eye format; negative = not seen at the brightest stimulus. */
  readonly sensitivities: readonly number[];
  /** False-positive rate (0–1). */
  readonly falsePositiveRate?: number;
  /** False-negative rate (0–1). */
  readonly falseNegativeRate?: number;
  /** Fixation losses as a rate (0–1). */
  readonly fixationLossRate?: number;
  /** Test duration (s). */
  readonly durationSeconds?: number;
  /** Test type as exported (e.g. `ctr`, `pwg`). */
  readonly type?: string;
  /** The OPV instance the test came from, when it came from DICOM. */
  readonly sopInstanceUid?: string;
}

/** One eye's tests, oldest first. */
export interface VfSeries {
  /** Patient identifier as exported. */
  readonly id: string;
  readonly eye: 'R' | 'L';
  readonly tests: readonly VfTest[];
}

/** Orders tests by date then time (visualFields sorts by id, eye, date, time). */
export function sortTests(tests: readonly VfTest[]): VfTest[] {
  return [...tests].sort((a, b) =>
    a.date === b.date ? (a.time ?? '').localeCompare(b.time ?? '') : a.date.localeCompare(b.date),
  );
}

/** Whether every test of a series has 54 finite sensitivities. */
export function isComplete242(test: VfTest): boolean {
  return test.sensitivities.length === locationCount && test.sensitivities.every(Number.isFinite);
}
