/**
 * Histograms and percentiles of plane values inside a mask.
 */
import type { Mask, Plane } from './plane.ts';

/** A histogram over `[min, max]` with equal-width bins; values outside are counted in the end bins. */
export interface Histogram {
  readonly min: number;
  readonly max: number;
  readonly counts: Float64Array;
  readonly total: number;
}

/** Histogram of the values of `plane` where `mask` is set (all pixels when no mask is given). */
export function histogram(plane: Plane, mask: Mask | undefined, bins = 1024, min = 0, max = 1): Histogram {
  const counts = new Float64Array(bins);
  const scale = bins / (max - min);
  let total = 0;
  for (let i = 0; i < plane.data.length; i++) {
    if (mask !== undefined && mask.data[i] === 0) {
      continue;
    }
    const bin = Math.floor((plane.data[i]! - min) * scale);
    counts[bin < 0 ? 0 : bin >= bins ? bins - 1 : bin]! += 1;
    total++;
  }
  return { min, max, counts, total };
}

/** The value below which fraction `p` (0–1) of the histogram lies, interpolated within the bin. */
export function percentile(hist: Histogram, p: number): number {
  const { counts, total, min, max } = hist;
  if (total === 0) {
    return Number.NaN;
  }
  const width = (max - min) / counts.length;
  const target = Math.min(1, Math.max(0, p)) * total;
  let cumulative = 0;
  for (let bin = 0; bin < counts.length; bin++) {
    const count = counts[bin]!;
    if (count > 0 && cumulative + count >= target) {
      return min + (bin + (target - cumulative) / count) * width;
    }
    cumulative += count;
  }
  return max;
}

/** Percentiles (fractions 0–1) of the masked values of a plane whose values lie in `[min, max]`. */
export function maskedPercentiles(
  plane: Plane,
  mask: Mask | undefined,
  fractions: readonly number[],
  min = 0,
  max = 1,
): number[] {
  const hist = histogram(plane, mask, 2048, min, max);
  return fractions.map((fraction) => percentile(hist, fraction));
}

/** Mean and standard deviation of the masked values (NaN when the mask is empty). */
export function maskedMeanStd(
  plane: Plane,
  mask: Mask | undefined,
): { mean: number; std: number; count: number } {
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let i = 0; i < plane.data.length; i++) {
    if (mask !== undefined && mask.data[i] === 0) {
      continue;
    }
    const value = plane.data[i]!;
    sum += value;
    sumSquares += value * value;
    count++;
  }
  if (count === 0) {
    return { mean: Number.NaN, std: Number.NaN, count };
  }
  const mean = sum / count;
  return { mean, std: Math.sqrt(Math.max(0, sumSquares / count - mean * mean)), count };
}
