/**
 * The 4-neighbour Laplacian and its variance inside a mask, a classical focus measure (Pech-Pacheco 2000).
 */
import type { Mask, Plane } from './plane.ts';

/** The discrete Laplacian `4·p − (left + right + up + down)` with clamped edges. */
export function laplacian(plane: Plane): Plane {
  const { width, height, data } = plane;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const up = y === 0 ? 0 : -width;
    const down = y === height - 1 ? 0 : width;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const left = x === 0 ? 0 : -1;
      const right = x === width - 1 ? 0 : 1;
      out[i] = 4 * data[i]! - data[i + left]! - data[i + right]! - data[i + up]! - data[i + down]!;
    }
  }
  return { width, height, data: out };
}

/** Variance of the Laplacian over the pixels of `mask` (0 when the mask is empty). */
export function laplacianVariance(plane: Plane, mask: Mask): number {
  const response = laplacian(plane).data;
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let i = 0; i < response.length; i++) {
    if (mask.data[i] !== 0) {
      const value = response[i]!;
      sum += value;
      sumSquares += value * value;
      count++;
    }
  }
  if (count === 0) {
    return 0;
  }
  const mean = sum / count;
  return Math.max(0, sumSquares / count - mean * mean);
}
