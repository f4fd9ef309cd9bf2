/**
 * Turns the bytes of one uncompressed (or already decompressed) frame into a {@link DecodedFrame}: bits masked
 * to Bits Stored, signed values offset to unsigned, MONOCHROME1 inverted, planar colour interleaved, YBR_FULL
 * and YBR_FULL_422 converted to RGB.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3.1.2 (Photometric Interpretation)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.1.1 (Pixel Data encoding)
 */
import { FoveaError } from '../core/errors.ts';
import type { DecodedFrame } from './frame.ts';
import type { PixelDescription } from './pixel-description.ts';
import { ybrFullToRgb } from './ybr.ts';

/** The layout of a frame's bytes, which may differ from the data set's after a codec has run. */
export interface FrameLayout {
  readonly photometricInterpretation: string;
  readonly planarConfiguration: 0 | 1;
}

/** Bytes one frame occupies in native encoding. */
export function nativeFrameBytes(description: PixelDescription, layout: FrameLayout): number {
  const pixels = description.rows * description.columns;
  const bytesPerSample = description.bitsAllocated / 8;
  if (layout.photometricInterpretation === 'YBR_FULL_422') {
    // Two luminance samples share one Cb and one Cr (PS3.3 C.7.6.3.1.2); an odd last column keeps its pair.
    return description.rows * Math.ceil(description.columns / 2) * 4 * bytesPerSample;
  }
  return pixels * description.samplesPerPixel * bytesPerSample;
}

function samplesOf(
  bytes: Uint8Array,
  description: PixelDescription,
  count: number,
): Uint8Array | Uint16Array {
  if (description.bitsAllocated === 8) {
    return bytes.slice(0, count);
  }
  // Copy to an aligned buffer: the source view may start at an odd byte offset.
  const aligned = new Uint8Array(count * 2);
  aligned.set(bytes.subarray(0, count * 2));
  return new Uint16Array(aligned.buffer);
}

/** Masks unused high bits and maps two's complement values onto [0, 2^bitsStored − 1] keeping their order. */
function normaliseStoredBits(samples: Uint8Array | Uint16Array, description: PixelDescription): void {
  const { bitsStored, bitsAllocated, pixelRepresentation } = description;
  const mask = bitsStored >= 16 ? 0xffff : (1 << bitsStored) - 1;
  if (pixelRepresentation === 0) {
    if (bitsStored < bitsAllocated) {
      for (let i = 0; i < samples.length; i++) {
        samples[i] = samples[i]! & mask;
      }
    }
    return;
  }
  // Flipping the sign bit of a two's complement number adds 2^(bitsStored−1).
  const sign = 1 << (bitsStored - 1);
  for (let i = 0; i < samples.length; i++) {
    samples[i] = (samples[i]! & mask) ^ sign;
  }
}

function interleave(planar: Uint8Array | Uint16Array, pixels: number): Uint8Array | Uint16Array {
  const out = planar instanceof Uint8Array ? new Uint8Array(planar.length) : new Uint16Array(planar.length);
  for (let i = 0; i < pixels; i++) {
    out[3 * i] = planar[i]!;
    out[3 * i + 1] = planar[pixels + i]!;
    out[3 * i + 2] = planar[2 * pixels + i]!;
  }
  return out;
}

/** Expands YBR_FULL_422 (Y1 Y2 Cb Cr per pixel pair) to full YBR, interleaved. */
function expandYbr422(
  packed: Uint8Array | Uint16Array,
  rows: number,
  columns: number,
): Uint8Array | Uint16Array {
  const pixels = rows * columns;
  const out = packed instanceof Uint8Array ? new Uint8Array(pixels * 3) : new Uint16Array(pixels * 3);
  let source = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x += 2) {
      const y1 = packed[source]!;
      const y2 = packed[source + 1]!;
      const cb = packed[source + 2]!;
      const cr = packed[source + 3]!;
      source += 4;
      const at = 3 * (y * columns + x);
      out[at] = y1;
      out[at + 1] = cb;
      out[at + 2] = cr;
      if (x + 1 < columns) {
        out[at + 3] = y2;
        out[at + 4] = cb;
        out[at + 5] = cr;
      }
    }
  }
  return out;
}

/** Converts one frame's native bytes to a decoded frame; throws FOVEA_IMAGING_DECODE_FAILED when too short. */
export function frameFromNativeBytes(
  bytes: Uint8Array,
  description: PixelDescription,
  layout: FrameLayout,
  pixelSpacing: readonly [number, number] | undefined,
): DecodedFrame {
  const { rows, columns, samplesPerPixel, bitsAllocated, bitsStored } = description;
  const pixels = rows * columns;
  const needed = nativeFrameBytes(description, layout);
  if (bytes.length < needed) {
    throw new FoveaError('FOVEA_IMAGING_DECODE_FAILED', {
      detail: `frame has ${bytes.length} bytes, ${needed} expected`,
    });
  }
  const photometric = layout.photometricInterpretation;
  const sampleCount = needed / (bitsAllocated / 8);
  let samples = samplesOf(bytes, description, sampleCount);
  normaliseStoredBits(samples, description);
  const maxValue = 2 ** bitsStored - 1;
  const base = {
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    ...(pixelSpacing === undefined ? {} : { pixelSpacing }),
  };
  if (samplesPerPixel === 1) {
    if (photometric === 'MONOCHROME1') {
      for (let i = 0; i < samples.length; i++) {
        samples[i] = maxValue - samples[i]!;
      }
    }
    return { ...base, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2', data: samples };
  }
  if (photometric === 'YBR_FULL_422') {
    samples = expandYbr422(samples, rows, columns);
  } else if (layout.planarConfiguration === 1) {
    samples = interleave(samples, pixels);
  }
  if (photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422') {
    ybrFullToRgb(samples, maxValue);
  }
  return { ...base, samplesPerPixel: 3, photometricInterpretation: 'RGB', data: samples };
}
