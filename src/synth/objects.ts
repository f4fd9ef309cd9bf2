/**
 * Synthetic DICOM objects as the library returns them: the Part 10 bytes, the identity, and the ground
 * truth. Also how an object finds its patient, study and series when the caller gives none, and how
 * objects are written to a folder (`<file>.dcm` beside `<file>.truth.json`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Eye } from '../core/eye.ts';
import { makePatient, makeSeries, makeStudy } from './patients.ts';
import type { SynthPatient, SynthSeriesRef, SynthStudyRef } from './patients.ts';
import type { Seed } from './rng.ts';
import { truthToJson } from './truth.ts';
import type { TruthHeader, TruthKind, TruthObjectRef } from './truth.ts';

/** One generated DICOM object and its truth. */
export interface SynthObject<T extends TruthHeader = TruthHeader> {
  readonly kind: TruthKind;
  readonly modality: 'OP' | 'OPT' | 'OPV';
  readonly eye: Eye;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly patientId: string;
  readonly studyDate: string;
  readonly transferSyntaxUid: string;
  /** Suggested file name (`.dcm`); the truth file adds `.truth.json` to its stem. */
  readonly fileName: string;
  readonly part10: Buffer;
  readonly truth: T;
}

/** Series numbers used within a synthetic study (one series per object kind and eye). */
export const seriesNumbers = {
  fundus: { R: 1, L: 2 },
  octVolume: { R: 3, L: 4 },
  sloMacula: { R: 5, L: 6 },
  octCircle: { R: 7, L: 8 },
  sloDisc: { R: 9, L: 10 },
  visualField: { R: 11, L: 12 },
} as const satisfies Record<string, Record<Eye, number>>;

/** Where an object belongs; anything not given is derived from the seed. */
export interface SynthContext {
  readonly patient?: SynthPatient;
  readonly study?: SynthStudyRef;
  /** The series; default a new series per object kind and eye. */
  readonly series?: SynthSeriesRef;
  readonly instanceNumber?: number;
  /** Content time, HHMMSS (default: the study time). */
  readonly contentTime?: string;
}

/** The patient, study and series of an object, with defaults. */
export function resolveContext(
  seed: Seed,
  context: SynthContext,
  seriesNumber: number,
  seriesDescription: string,
): { readonly patient: SynthPatient; readonly study: SynthStudyRef; readonly series: SynthSeriesRef } {
  const patient = context.patient ?? makePatient({ seed });
  const study = context.study ?? makeStudy({ seed });
  const series = context.series ?? makeSeries(study, seriesNumber, seriesDescription);
  return { patient, study, series };
}

/** A file name for an object: modality, eye, kind and a short UID suffix. */
export function objectFileName(modality: string, eye: Eye, kind: TruthKind, sopInstanceUid: string): string {
  return `${modality}_${eye}_${kind}_${sopInstanceUid.slice(-12)}.dcm`;
}

/** The truth of an object with its DICOM identity filled in. */
export function attachObjectRef<T extends TruthHeader>(truth: T, ref: TruthObjectRef): T {
  return { ...truth, object: ref };
}

/** Writes objects and their truth files into a folder; returns the paths written. */
export async function writeObjects(directory: string, objects: readonly SynthObject[]): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const written: string[] = [];
  for (const object of objects) {
    const dicomPath = join(directory, object.fileName);
    const truthPath = join(directory, object.fileName.replace(/\.dcm$/, '.truth.json'));
    await writeFile(dicomPath, object.part10);
    await writeFile(truthPath, truthToJson(object.truth));
    written.push(dicomPath, truthPath);
  }
  return written;
}
