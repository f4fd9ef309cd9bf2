/**
 * Peripapillary circle scans of a Case: single-frame Ophthalmic Tomography images whose B-scan path on the
 * reference (SLO) image is NONLINEAR (PS3.3 C.8.17.10, Ophthalmic Frame Location), segmented into global
 * and regional RNFL thickness. Line scans and volumes are left to other analyzers.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.10
 */
import { throwIfAborted, type AnalyzerHelpers, type CaseInstance } from '../sdk/index.ts';
import type { Eye } from '../sdk/index.ts';
import { rnflParameters, segmentCircleScan, type RnflThickness } from './rnfl-circle-scan.ts';

/** SOP Class UID of Ophthalmic Tomography Image Storage. */
export const optSopClassUid = '1.2.840.10008.5.1.4.1.1.77.1.5.4';

/** A circle scan measured. */
export interface CircleScanMeasurement extends RnflThickness {
  readonly eye: Eye;
  readonly sopInstanceUid: string;
  /** ISO date of the acquisition. */
  readonly date: string;
  readonly contrast: number;
}

/** The outcome of reading one candidate instance. */
export type CircleScanReading =
  | { readonly ok: true; readonly measurement: CircleScanMeasurement }
  | { readonly ok: false; readonly sopInstanceUid: string; readonly problem: string };

/** Whether an instance may be a circle scan (a single-frame OCT image); the data set decides. */
export function isCircleScanCandidate(instance: CaseInstance): boolean {
  return (
    instance.sopClassUid === optSopClassUid &&
    (instance.modality === undefined || instance.modality === 'OPT') &&
    (instance.numberOfFrames ?? 1) === 1
  );
}

function firstItem(value: unknown): Readonly<Record<string, unknown>> | undefined {
  const item: unknown = Array.isArray(value) ? value[0] : value;
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : undefined;
}

function isoDate(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim() : '';
  const match = /^(\d{4})(\d{2})(\d{2})/.exec(text);
  return match === null ? undefined : `${match[1]}-${match[2]}-${match[3]}`;
}

/** The scan's orientation on its reference image, from the first Ophthalmic Frame Location item. */
function frameOrientation(dataset: Readonly<Record<string, unknown>>): string | undefined {
  const perFrame = firstItem(dataset['PerFrameFunctionalGroupsSequence']);
  const location =
    firstItem(perFrame?.['OphthalmicFrameLocationSequence']) ??
    firstItem(dataset['OphthalmicFrameLocationSequence']);
  const orientation = location?.['OphthalmicImageOrientation'];
  return typeof orientation === 'string' ? orientation.trim() : undefined;
}

/** Reads and segments one candidate circle scan of eye `eye`. */
export async function readCircleScan(
  instance: CaseInstance,
  eye: Eye,
  helpers: AnalyzerHelpers,
): Promise<CircleScanReading> {
  const fail = (problem: string): CircleScanReading => ({
    ok: false,
    sopInstanceUid: instance.sopInstanceUid,
    problem,
  });
  const dataset = helpers.pixels.dataset === undefined ? {} : await helpers.pixels.dataset(instance);
  const orientation = frameOrientation(dataset);
  if (orientation !== 'NONLINEAR') {
    return fail(`not a circle scan (Ophthalmic Image Orientation ${orientation ?? 'absent'})`);
  }
  const date =
    isoDate(dataset['AcquisitionDateTime']) ??
    isoDate(dataset['ContentDate']) ??
    isoDate(dataset['StudyDate']) ??
    isoDate(dataset['SeriesDate']);
  if (date === undefined) {
    return fail('no acquisition, content or study date');
  }
  throwIfAborted(helpers.signal);
  const frame = await helpers.pixels.frame(instance, 0);
  if (frame.samplesPerPixel !== 1) {
    return fail('the B-scan is not greyscale');
  }
  const axialMm = frame.pixelSpacing?.[0];
  if (axialMm === undefined || !(axialMm > 0)) {
    return fail('no axial pixel spacing (Pixel Measures)');
  }
  let pixels: Uint8Array;
  if (frame.bitsAllocated === 8) {
    pixels = frame.data as Uint8Array;
  } else {
    const shift = Math.max(0, (frame.bitsStored ?? 16) - 8);
    pixels = Uint8Array.from(frame.data, (value) => value >> shift);
  }
  const scan = segmentCircleScan(pixels, frame.rows, frame.columns, axialMm * 1000, eye);
  if (scan.contrast < rnflParameters.minContrast) {
    return fail(`retina not visible (contrast ${scan.contrast.toFixed(1)} < ${rnflParameters.minContrast})`);
  }
  return {
    ok: true,
    measurement: {
      eye,
      sopInstanceUid: instance.sopInstanceUid,
      date,
      globalUm: scan.globalUm,
      quadrants: scan.quadrants,
      sectors: scan.sectors,
      clockHours: scan.clockHours,
      contrast: scan.contrast,
    },
  };
}
