/**
 * Tenengrad: the mean squared Sobel gradient magnitude inside a mask, a gradient-based focus measure.
 */
import type { Mask, Plane } from './plane.ts';

/** Mean of `Gx² + Gy²` (3 × 3 Sobel) over the interior pixels of `mask` (0 when none). */
export function tenengrad(plane: Plane, mask: Mask): number {
  const { width, height, data } = plane;
  let sum = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      if (mask.data[i] === 0) {
        continue;
      }
      const a = data[i - width - 1]!;
      const b = data[i - width]!;
      const c = data[i - width + 1]!;
      const d = data[i - 1]!;
      const f = data[i + 1]!;
      const g = data[i + width - 1]!;
      const h = data[i + width]!;
      const k = data[i + width + 1]!;
      const gx = c + 2 * f + k - a - 2 * d - g;
      const gy = g + 2 * h + k - a - 2 * b - c;
      sum += gx * gx + gy * gy;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}
