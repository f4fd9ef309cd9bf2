/**
 * The multi-scale line detector of Nguyen et al. (2013): for every pixel and every line length L ≤ W, the
 * largest mean of the inverted green channel along a line of length L through the pixel (over 12 directions)
 * minus the mean of the W × W window around it. Line sums grow by two samples per length, so all lengths cost
 * one pass per direction. The smallest directional mean at the longest length is kept too: it is high inside
 * round blobs (every direction stays dark) and low on vessels (the crossing direction leaves them).
 * @see https://doi.org/10.1016/j.patcog.2012.08.009 (Nguyen, Bhuiyan, Park, Ramamohanarao. An effective retinal
 *   blood vessel segmentation method using multi-scale line detection. Pattern Recognition 46(3):703–715, 2013)
 */
import type { Mask, Plane } from '../../imaging/index.ts';

/** What the detector returns (every plane has the input's size). */
export interface LineResponses {
  /** One plane per length 1, 3, …, W: max over directions of the line mean minus the window mean. */
  readonly byLength: readonly Plane[];
  /** Max over directions of the line mean at the longest length. */
  readonly maxLong: Plane;
  /** Min over directions of the line mean at the longest length. */
  readonly minLong: Plane;
  /** The W × W window mean. */
  readonly windowMean: Plane;
}

/** Number of line directions (15° apart). */
export const lineDirections = 12;

/** Box mean over a (2r+1)² window with clamped borders, via an integral image. */
export function boxMean(plane: Plane, radius: number): Plane {
  const { width, height, data } = plane;
  const stride = width + 1;
  const integral = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += data[y * width + x]!;
      integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1]! + rowSum;
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - radius);
    const y1 = Math.min(height, y + radius + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - radius);
      const x1 = Math.min(width, x + radius + 1);
      const sum =
        integral[y1 * stride + x1]! -
        integral[y0 * stride + x1]! -
        integral[y1 * stride + x0]! +
        integral[y0 * stride + x0]!;
      out[y * width + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return { width, height, data: out };
}

/**
 * Runs the detector on `plane` (vessels bright, e.g. inverted green) with window `window` (odd) over the
 * pixels of `mask`; pixels outside the mask get 0 responses.
 */
export function detectLines(plane: Plane, mask: Mask, window: number): LineResponses {
  const { width, height, data } = plane;
  const half = (window - 1) >> 1;
  const pad = half + 1;
  const paddedWidth = width + 2 * pad;
  const padded = new Float32Array(paddedWidth * (height + 2 * pad));
  for (let y = 0; y < height + 2 * pad; y++) {
    const sy = Math.min(height - 1, Math.max(0, y - pad));
    for (let x = 0; x < paddedWidth; x++) {
      const sx = Math.min(width - 1, Math.max(0, x - pad));
      padded[y * paddedWidth + x] = data[sy * width + sx]!;
    }
  }
  const windowMean = boxMean(plane, half);
  const lengths = half + 1;
  const best = Array.from({ length: lengths }, () => new Float32Array(width * height).fill(-Infinity));
  const minLong = new Float32Array(width * height).fill(Infinity);
  const offsets = new Int32Array(lengths);
  for (let direction = 0; direction < lineDirections; direction++) {
    const angle = (direction * Math.PI) / lineDirections;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    for (let k = 1; k < lengths; k++) {
      offsets[k] = Math.round(k * sin) * paddedWidth + Math.round(k * cos);
    }
    for (let y = 0; y < height; y++) {
      let p = (y + pad) * paddedWidth + pad;
      let i = y * width;
      for (let x = 0; x < width; x++, p++, i++) {
        if (mask.data[i] === 0) {
          continue;
        }
        let sum = padded[p]!;
        for (let k = 1; k < lengths; k++) {
          const offset = offsets[k]!;
          sum += padded[p + offset]! + padded[p - offset]!;
          const mean = sum / (2 * k + 1);
          const store = best[k]!;
          if (mean > store[i]!) {
            store[i] = mean;
          }
        }
        const longMean = sum / window;
        if (longMean < minLong[i]!) {
          minLong[i] = longMean;
        }
      }
    }
  }
  const byLength: Plane[] = [];
  for (let k = 0; k < lengths; k++) {
    const out = new Float32Array(width * height);
    const store = best[k]!;
    for (let i = 0; i < out.length; i++) {
      if (mask.data[i] !== 0) {
        out[i] = (k === 0 ? data[i]! : store[i]!) - windowMean.data[i]!;
      }
    }
    byLength.push({ width, height, data: out });
  }
  const maxLongPlane = new Float32Array(best[lengths - 1]!);
  for (let i = 0; i < maxLongPlane.length; i++) {
    if (mask.data[i] === 0) {
      maxLongPlane[i] = 0;
      minLong[i] = 0;
    }
  }
  return {
    byLength,
    maxLong: { width, height, data: maxLongPlane },
    minLong: { width, height, data: minLong },
    windowMean,
  };
}

/**
 * Standardises a plane by its mean and standard deviation over `mask`, over the pixels of `region` (by default
 * the mask; 0 elsewhere).
 */
export function standardise(plane: Plane, mask: Mask, region: Mask = mask): Plane {
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let i = 0; i < plane.data.length; i++) {
    if (mask.data[i] !== 0) {
      const value = plane.data[i]!;
      sum += value;
      sumSquares += value * value;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  const sd = count > 1 ? Math.sqrt(Math.max(1e-12, sumSquares / count - mean * mean)) : 1;
  const out = new Float32Array(plane.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = region.data[i] === 0 ? 0 : (plane.data[i]! - mean) / sd;
  }
  return { width: plane.width, height: plane.height, data: out };
}
