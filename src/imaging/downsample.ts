/**
 * Box (area) downsampling: every output pixel is the mean of the block of source pixels it covers. Blocks
 * come from integer bin edges, so neighbouring blocks differ in size by at most one source pixel.
 */
import type { DecodedFrame } from './frame.ts';
import { maxSampleValue, type Plane } from './plane.ts';

/** A rectangle of a source image, in pixels. */
export interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Output size for a source of `width × height` whose longer side becomes at most `maxSide` (never enlarged). */
export function fitSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

function bins(source: number, target: number): Int32Array {
  const out = new Int32Array(source);
  for (let i = 0; i < source; i++) {
    out[i] = Math.min(target - 1, Math.floor((i * target) / source));
  }
  return out;
}

/** Block sums of one sample (`offset`) of interleaved data over `region`, then means scaled by `scale`. */
function boxDownsample(
  data: Uint8Array | Uint16Array | Float32Array,
  columns: number,
  samplesPerPixel: number,
  offset: number,
  region: Region,
  width: number,
  height: number,
  scale: number,
): Plane {
  const xBin = bins(region.width, width);
  const yBin = bins(region.height, height);
  const sums = new Float64Array(width * height);
  const rowSums = new Float64Array(width);
  for (let y = 0; y < region.height; y++) {
    rowSums.fill(0);
    let at = ((region.y + y) * columns + region.x) * samplesPerPixel + offset;
    for (let x = 0; x < region.width; x++) {
      const bin = xBin[x]!;
      rowSums[bin] = rowSums[bin]! + data[at]!;
      at += samplesPerPixel;
    }
    const base = yBin[y]! * width;
    for (let bin = 0; bin < width; bin++) {
      sums[base + bin] = sums[base + bin]! + rowSums[bin]!;
    }
  }
  const blockWidths = new Float64Array(width);
  const blockHeights = new Float64Array(height);
  for (let x = 0; x < region.width; x++) {
    blockWidths[xBin[x]!] = blockWidths[xBin[x]!]! + 1;
  }
  for (let y = 0; y < region.height; y++) {
    blockHeights[yBin[y]!] = blockHeights[yBin[y]!]! + 1;
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      out[i] = (sums[i]! / (blockWidths[x]! * blockHeights[y]!)) * scale;
    }
  }
  return { width, height, data: out };
}

function clampRegion(region: Region | undefined, columns: number, rows: number): Region {
  if (region === undefined) {
    return { x: 0, y: 0, width: columns, height: rows };
  }
  const x = Math.max(0, Math.min(columns - 1, Math.floor(region.x)));
  const y = Math.max(0, Math.min(rows - 1, Math.floor(region.y)));
  return {
    x,
    y,
    width: Math.max(1, Math.min(columns - x, Math.round(region.width))),
    height: Math.max(1, Math.min(rows - y, Math.round(region.height))),
  };
}

/**
 * Downsamples every sample of a frame (or of `region` of it) to `width × height` (never more than the
 * source), one plane per sample scaled to [0, 1].
 */
export function downsampleFrame(
  frame: DecodedFrame,
  width: number,
  height: number,
  region?: Region,
): Plane[] {
  const area = clampRegion(region, frame.columns, frame.rows);
  const outWidth = Math.max(1, Math.min(width, area.width));
  const outHeight = Math.max(1, Math.min(height, area.height));
  const scale = 1 / maxSampleValue(frame);
  return Array.from({ length: frame.samplesPerPixel }, (_, sample) =>
    boxDownsample(frame.data, frame.columns, frame.samplesPerPixel, sample, area, outWidth, outHeight, scale),
  );
}

/** Downsamples a plane to `width × height` (never more than its size) by block means. */
export function downsamplePlane(plane: Plane, width: number, height: number): Plane {
  const area = { x: 0, y: 0, width: plane.width, height: plane.height };
  return boxDownsample(
    plane.data,
    plane.width,
    1,
    0,
    area,
    Math.max(1, Math.min(width, plane.width)),
    Math.max(1, Math.min(height, plane.height)),
    1,
  );
}
