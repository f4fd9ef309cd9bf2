/**
 * YCbCr to RGB for the YBR_FULL family (full-range ITU-R BT.601 coefficients, as DICOM defines them).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3.1.2
 */

/** Converts interleaved YBR_FULL samples to RGB in place; `maxValue` is 2^BitsStored − 1. */
export function ybrFullToRgb(samples: Uint8Array | Uint16Array, maxValue: number): void {
  const half = (maxValue + 1) / 2;
  for (let i = 0; i + 2 < samples.length; i += 3) {
    const y = samples[i]!;
    const cb = samples[i + 1]! - half;
    const cr = samples[i + 2]! - half;
    samples[i] = clampRound(y + 1.402 * cr, maxValue);
    samples[i + 1] = clampRound(y - 0.344136 * cb - 0.714136 * cr, maxValue);
    samples[i + 2] = clampRound(y + 1.772 * cb, maxValue);
  }
}

function clampRound(value: number, maxValue: number): number {
  return value <= 0 ? 0 : value >= maxValue ? maxValue : Math.round(value);
}
