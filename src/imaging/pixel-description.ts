/**
 * The Image Pixel module attributes that say how to read a frame, taken from a naturalized data set.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3 (Image Pixel Module)
 */
import { FoveaError } from '../core/errors.ts';

/** How the pixel data of an instance is laid out. */
export interface PixelDescription {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: 1 | 3;
  readonly bitsAllocated: 8 | 16;
  readonly bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: 0 | 1;
  /** As stored (before any decoding), upper case without padding. */
  readonly photometricInterpretation: string;
  /** 0 interleaved (R,G,B per pixel), 1 planar (all R, then all G, then all B). */
  readonly planarConfiguration: 0 | 1;
  readonly numberOfFrames: number;
}

/** Photometric interpretations Fovea decodes. */
const supportedPhotometric = new Set([
  'MONOCHROME1',
  'MONOCHROME2',
  'RGB',
  'YBR_FULL',
  'YBR_FULL_422',
  'YBR_ICT',
  'YBR_RCT',
]);

function first(value: unknown): unknown {
  return Array.isArray(value) ? (value as unknown[])[0] : value;
}

/** Reads a numeric attribute (US, IS or DS) of a naturalized data set; `undefined` when absent or invalid. */
export function numberOf(dataset: Readonly<Record<string, unknown>>, keyword: string): number | undefined {
  const value = first(dataset[keyword]);
  const number = typeof value === 'string' ? Number(value.trim()) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

function failed(detail: string): FoveaError {
  return new FoveaError('FOVEA_IMAGING_DECODE_FAILED', { detail });
}

/** Reads and checks the Image Pixel module; throws FOVEA_IMAGING_DECODE_FAILED when it cannot be decoded. */
export function describePixels(dataset: Readonly<Record<string, unknown>>): PixelDescription {
  const rows = numberOf(dataset, 'Rows');
  const columns = numberOf(dataset, 'Columns');
  if (rows === undefined || columns === undefined || !(rows >= 1) || !(columns >= 1)) {
    throw failed('Rows or Columns missing or invalid');
  }
  const samplesPerPixel = numberOf(dataset, 'SamplesPerPixel') ?? 1;
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) {
    throw failed(`Samples per Pixel ${samplesPerPixel} is not supported`);
  }
  const bitsAllocated = numberOf(dataset, 'BitsAllocated');
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw failed(`Bits Allocated ${String(bitsAllocated)} is not supported (8 or 16)`);
  }
  const storedValue = numberOf(dataset, 'BitsStored');
  const bitsStored =
    storedValue !== undefined && storedValue >= 1 && storedValue <= bitsAllocated
      ? storedValue
      : bitsAllocated;
  const photometricRaw = first(dataset.PhotometricInterpretation);
  const photometricInterpretation =
    typeof photometricRaw === 'string'
      ? photometricRaw.trim().toUpperCase()
      : samplesPerPixel === 3
        ? 'RGB'
        : 'MONOCHROME2';
  if (!supportedPhotometric.has(photometricInterpretation)) {
    throw failed(`Photometric Interpretation ${photometricInterpretation} is not supported`);
  }
  const frames = numberOf(dataset, 'NumberOfFrames');
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    pixelRepresentation: numberOf(dataset, 'PixelRepresentation') === 1 ? 1 : 0,
    photometricInterpretation,
    planarConfiguration: samplesPerPixel === 3 && numberOf(dataset, 'PlanarConfiguration') === 1 ? 1 : 0,
    numberOfFrames: frames !== undefined && frames >= 1 ? Math.floor(frames) : 1,
  };
}

function spacingOf(value: unknown): readonly [number, number] | undefined {
  if (!Array.isArray(value) || value.length < 2) {
    return undefined;
  }
  const [row, column] = (value as unknown[]).map((entry) =>
    typeof entry === 'string' ? Number(entry.trim()) : entry,
  );
  return typeof row === 'number' && typeof column === 'number' && row > 0 && column > 0
    ? [row, column]
    : undefined;
}

/** The items of a naturalized sequence (dcmjs may give a lone item as an object). */
function itemsOf(sequence: unknown): readonly Record<string, unknown>[] {
  if (Array.isArray(sequence)) {
    return sequence as Record<string, unknown>[];
  }
  return typeof sequence === 'object' && sequence !== null ? [sequence as Record<string, unknown>] : [];
}

function pixelMeasuresSpacing(groups: unknown, index: number): readonly [number, number] | undefined {
  const group = itemsOf(groups)[index];
  return spacingOf(itemsOf(group?.PixelMeasuresSequence)[0]?.PixelSpacing);
}

/**
 * Pixel Spacing in mm (row, column): the top-level attribute (for ophthalmic photographs it belongs to the
 * Ophthalmic Photography Image module), else the frame's or the shared Pixel Measures functional group.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.2 (OP Image Module)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.16.2.1 (Pixel Measures)
 */
export function pixelSpacingOf(
  dataset: Readonly<Record<string, unknown>>,
  frameIndex: number,
): readonly [number, number] | undefined {
  return (
    spacingOf(dataset.PixelSpacing) ??
    pixelMeasuresSpacing(dataset.PerFrameFunctionalGroupsSequence, frameIndex) ??
    pixelMeasuresSpacing(dataset.SharedFunctionalGroupsSequence, 0)
  );
}
