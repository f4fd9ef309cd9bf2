/**
 * Luminance of colour planes (ITU-R BT.601 luma weights, the ones YBR_FULL uses).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3.1.2
 */
import type { Plane } from './plane.ts';

/** Luma weights of red, green and blue. */
export const lumaWeights = [0.299, 0.587, 0.114] as const;

/** Luminance `0.299 R + 0.587 G + 0.114 B` of three planes of equal size. */
export function luminance(red: Plane, green: Plane, blue: Plane): Plane {
  const out = new Float32Array(red.data.length);
  const [wr, wg, wb] = lumaWeights;
  for (let i = 0; i < out.length; i++) {
    out[i] = wr * red.data[i]! + wg * green.data[i]! + wb * blue.data[i]!;
  }
  return { width: red.width, height: red.height, data: out };
}
