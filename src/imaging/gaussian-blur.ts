/**
 * Separable Gaussian blur of a plane with clamped edges: an exact sampled kernel for small sigmas, three box
 * passes (running sums, cost independent of sigma) for large ones.
 */
import type { Mask, Plane } from './plane.ts';

/** Above this sigma (pixels) three box passes replace the sampled kernel. */
const exactSigmaLimit = 4;

function kernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const weights = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const weight = Math.exp(-(i * i) / (2 * sigma * sigma));
    weights[i + radius] = weight;
    sum += weight;
  }
  for (let i = 0; i < weights.length; i++) {
    weights[i] = weights[i]! / sum;
  }
  return weights;
}

/** Copies row `y` of `source` into `padded` with `radius` clamped copies of the edge values on each side. */
function padRow(source: Float32Array, y: number, width: number, radius: number, padded: Float32Array): void {
  const start = y * width;
  padded.set(source.subarray(start, start + width), radius);
  const first = source[start]!;
  const last = source[start + width - 1]!;
  for (let k = 0; k < radius; k++) {
    padded[k] = first;
    padded[radius + width + k] = last;
  }
}

/** Convolves every row with `weights` (odd length), edges clamped. */
function convolveRows(
  source: Float32Array,
  target: Float32Array,
  width: number,
  height: number,
  weights: Float32Array,
): void {
  const radius = (weights.length - 1) / 2;
  const padded = new Float32Array(width + 2 * radius);
  for (let y = 0; y < height; y++) {
    padRow(source, y, width, radius, padded);
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) {
        sum += weights[k]! * padded[x + k]!;
      }
      target[row + x] = sum;
    }
  }
}

/** Convolves every column with `weights`, row by row so that memory is read in order; edges clamped. */
function convolveColumns(
  source: Float32Array,
  target: Float32Array,
  width: number,
  height: number,
  weights: Float32Array,
): void {
  const radius = (weights.length - 1) / 2;
  const sums = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    for (let k = -radius; k <= radius; k++) {
      const weight = weights[k + radius]!;
      const from = Math.min(height - 1, Math.max(0, y + k)) * width;
      for (let x = 0; x < width; x++) {
        sums[x] = sums[x]! + weight * source[from + x]!;
      }
    }
    target.set(sums, y * width);
  }
}

/** Box-averages every row over `2·radius + 1` pixels (running sum, edges clamped). */
function boxRows(
  source: Float32Array,
  target: Float32Array,
  width: number,
  height: number,
  radius: number,
): void {
  const padded = new Float32Array(width + 2 * radius + 1);
  const scale = 1 / (2 * radius + 1);
  for (let y = 0; y < height; y++) {
    padRow(source, y, width, radius, padded);
    padded[width + 2 * radius] = padded[width + 2 * radius - 1]!;
    let sum = 0;
    for (let k = 0; k <= 2 * radius; k++) {
      sum += padded[k]!;
    }
    const row = y * width;
    for (let x = 0; x < width; x++) {
      target[row + x] = sum * scale;
      sum += padded[x + 2 * radius + 1]! - padded[x]!;
    }
  }
}

/** Box-averages every column over `2·radius + 1` pixels with a running row of sums (edges clamped). */
function boxColumns(
  source: Float32Array,
  target: Float32Array,
  width: number,
  height: number,
  radius: number,
): void {
  const sums = new Float64Array(width);
  const scale = 1 / (2 * radius + 1);
  for (let k = -radius; k <= radius; k++) {
    const from = Math.min(height - 1, Math.max(0, k)) * width;
    for (let x = 0; x < width; x++) {
      sums[x] = sums[x]! + source[from + x]!;
    }
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const add = Math.min(height - 1, y + radius + 1) * width;
    const remove = Math.max(0, y - radius) * width;
    for (let x = 0; x < width; x++) {
      target[row + x] = sums[x]! * scale;
      sums[x] = sums[x]! + source[add + x]! - source[remove + x]!;
    }
  }
}

/** Box radii of three passes whose combined variance approximates sigma² (Kovesi's construction). */
function boxRadii(sigma: number): number[] {
  const passes = 3;
  const ideal = Math.sqrt((12 * sigma * sigma) / passes + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) {
    lower--;
  }
  const upper = lower + 2;
  const lowerPasses = Math.round(
    (12 * sigma * sigma - passes * lower * lower - 4 * passes * lower - 3 * passes) / (-4 * lower - 4),
  );
  return Array.from({ length: passes }, (_, pass) => ((pass < lowerPasses ? lower : upper) - 1) / 2);
}

/** Gaussian blur with standard deviation `sigma` in pixels (returns a copy when sigma ≤ 0). */
export function gaussianBlur(plane: Plane, sigma: number): Plane {
  const { width, height } = plane;
  const out = new Float32Array(plane.data);
  if (!(sigma > 0)) {
    return { width, height, data: out };
  }
  const scratch = new Float32Array(out.length);
  if (sigma <= exactSigmaLimit) {
    const weights = kernel(sigma);
    convolveRows(plane.data, scratch, width, height, weights);
    convolveColumns(scratch, out, width, height, weights);
    return { width, height, data: out };
  }
  for (const radius of boxRadii(sigma)) {
    if (radius < 1) {
      continue;
    }
    boxRows(out, scratch, width, height, radius);
    boxColumns(scratch, out, width, height, radius);
  }
  return { width, height, data: out };
}

/**
 * Gaussian blur restricted to a mask (normalised convolution): values outside the mask do not leak in, and
 * pixels outside the mask get the nearby inside mean (0 where no inside pixel is near).
 */
export function maskedGaussianBlur(plane: Plane, mask: Mask, sigma: number): Plane {
  const { width, height } = plane;
  const weighted = new Float32Array(plane.data.length);
  const weights = new Float32Array(plane.data.length);
  for (let i = 0; i < weighted.length; i++) {
    const inside = mask.data[i]!;
    weighted[i] = inside === 0 ? 0 : plane.data[i]!;
    weights[i] = inside === 0 ? 0 : 1;
  }
  const numerator = gaussianBlur({ width, height, data: weighted }, sigma).data;
  const denominator = gaussianBlur({ width, height, data: weights }, sigma).data;
  for (let i = 0; i < numerator.length; i++) {
    const weight = denominator[i]!;
    numerator[i] = weight > 1e-6 ? numerator[i]! / weight : 0;
  }
  return { width, height, data: numerator };
}
