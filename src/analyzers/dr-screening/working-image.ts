/**
 * The working image: the field of view of a colour fundus photograph found on a coarse copy, then its bounding
 * box resampled (box filter, never enlarged) so that the field spans a fixed number of pixels. Every later
 * step therefore sees the retina at one scale whatever the camera's resolution, and every position maps back
 * to source pixels through `scale` and the offset.
 */
import {
  downsampleFrame,
  downsamplePlane,
  fitSize,
  type DecodedFrame,
  type Mask,
  type Plane,
} from '../../imaging/index.ts';
import { parameters } from './parameters.ts';

/** The circular field of view in source pixels. */
export interface FieldOfView {
  readonly centreX: number;
  readonly centreY: number;
  readonly radius: number;
  /** Share of the field's circle that lies inside the frame. */
  readonly visibleFraction: number;
}

/** The retina resampled to a working scale, with the map back to the source frame. */
export interface WorkingImage {
  readonly red: Plane;
  readonly green: Plane;
  readonly blue: Plane;
  /** The field of view at the working scale (the circle, shrunk by the rim margin, inside the frame). */
  readonly mask: Mask;
  /** Working pixels per source pixel. */
  readonly scale: number;
  /** Source position of the working image's origin (left edge of its first pixel). */
  readonly offsetX: number;
  readonly offsetY: number;
  /** The field in working pixels. */
  readonly centreX: number;
  readonly centreY: number;
  readonly radius: number;
}

/** The p-quantile (p in [0, 1]) of samples in [0, 1], from a 1024-bin histogram. */
function quantile(values: Float32Array, p: number): number {
  const bins = 1024;
  const counts = new Int32Array(bins);
  for (let i = 0; i < values.length; i++) {
    counts[Math.min(bins - 1, Math.max(0, Math.floor(values[i]! * bins)))]!++;
  }
  const target = p * values.length;
  let seen = 0;
  for (let bin = 0; bin < bins; bin++) {
    seen += counts[bin]!;
    if (seen >= target) {
      return (bin + 0.5) / bins;
    }
  }
  return 1;
}

/** Brightness (max of the channels) of a list of planes. */
function brightness(planes: readonly Plane[]): Plane {
  const first = planes[0]!;
  const data = new Float32Array(first.data);
  for (const plane of planes.slice(1)) {
    for (let i = 0; i < data.length; i++) {
      data[i] = Math.max(data[i]!, plane.data[i]!);
    }
  }
  return { width: first.width, height: first.height, data };
}

/**
 * Finds the field of view: lit pixels (brightness above the dark surround by a share of the retina's level),
 * its horizontal extent as the diameter unless the frame cuts it, its centre row where the lit rows are widest.
 */
export function findFieldOfView(frame: DecodedFrame): FieldOfView {
  const size = fitSize(frame.columns, frame.rows, parameters.field.coarseSize);
  const coarse = brightness(downsampleFrame(frame, size.width, size.height));
  const { width, height, data } = coarse;
  const factor = frame.columns / width;
  const background = quantile(data, parameters.field.backgroundPercentile);
  const retina = quantile(data, parameters.field.retinaPercentile);
  const threshold = background + Math.max(0.02, parameters.field.relativeStep * (retina - background));
  const rowWidth = new Int32Array(height);
  const columnHeight = new Int32Array(width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x]! > threshold) {
        rowWidth[y]!++;
        columnHeight[x]!++;
      }
    }
  }
  const extent = (counts: Int32Array, across: number): [number, number] => {
    const minimum = Math.max(1, 0.02 * across);
    let first = 0;
    while (first < counts.length - 1 && counts[first]! < minimum) {
      first++;
    }
    let last = counts.length - 1;
    while (last > first && counts[last]! < minimum) {
      last--;
    }
    return [first, last + 1];
  };
  const [left, right] = extent(columnHeight, height);
  const [top, bottom] = extent(rowWidth, width);
  const widest = Math.max(...rowWidth);
  let rowSum = 0;
  let rowCount = 0;
  for (let y = 0; y < height; y++) {
    if (rowWidth[y]! >= 0.98 * widest) {
      rowSum += y + 0.5;
      rowCount++;
    }
  }
  const horizontalCut = left <= 1 || right >= width - 1;
  const radiusCoarse = horizontalCut ? Math.max(right - left, bottom - top) / 2 : (right - left) / 2;
  const centreXCoarse = horizontalCut && bottom - top > right - left ? width / 2 : (left + right) / 2;
  const centreYCoarse = rowCount > 0 ? rowSum / rowCount : (top + bottom) / 2;
  const radius = Math.max(1, radiusCoarse * factor);
  const centreX = centreXCoarse * factor;
  const centreY = centreYCoarse * factor;
  let inside = 0;
  let total = 0;
  const step = radius / 40;
  for (let dy = -radius; dy <= radius; dy += step) {
    for (let dx = -radius; dx <= radius; dx += step) {
      if (dx * dx + dy * dy <= radius * radius) {
        total++;
        const x = centreX + dx;
        const y = centreY + dy;
        if (x >= 0 && y >= 0 && x < frame.columns && y < frame.rows) {
          inside++;
        }
      }
    }
  }
  return { centreX, centreY, radius, visibleFraction: total > 0 ? inside / total : 0 };
}

/** Resamples the field's bounding box so that the field's diameter is `diameter` working pixels (never enlarged). */
export function makeWorkingImage(frame: DecodedFrame, field: FieldOfView, diameter: number): WorkingImage {
  const scale = Math.min(1, diameter / (2 * field.radius));
  const x0 = Math.max(0, Math.floor(field.centreX - field.radius));
  const y0 = Math.max(0, Math.floor(field.centreY - field.radius));
  const x1 = Math.min(frame.columns, Math.ceil(field.centreX + field.radius));
  const y1 = Math.min(frame.rows, Math.ceil(field.centreY + field.radius));
  const region = { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
  const width = Math.max(1, Math.round(region.width * scale));
  const height = Math.max(1, Math.round(region.height * scale));
  const planes = downsampleFrame(frame, width, height, region);
  const red = planes[0]!;
  const green = planes.length === 3 ? planes[1]! : red;
  const blue = planes.length === 3 ? planes[2]! : red;
  const scaleX = red.width / region.width;
  return withField(red, green, blue, scaleX, x0, y0, field);
}

/** The field mask and geometry of resampled planes whose origin is the source point (x0, y0). */
function withField(
  red: Plane,
  green: Plane,
  blue: Plane,
  scale: number,
  x0: number,
  y0: number,
  field: FieldOfView,
): WorkingImage {
  const centreX = (field.centreX - x0) * scale;
  const centreY = (field.centreY - y0) * scale;
  const radius = field.radius * scale;
  const inner = radius * parameters.field.rimMargin;
  const lit = brightness([red, green, blue]);
  const litThreshold = parameters.field.minLitLevel;
  const mask: Mask = { width: red.width, height: red.height, data: new Uint8Array(red.width * red.height) };
  for (let y = 0; y < red.height; y++) {
    for (let x = 0; x < red.width; x++) {
      const dx = x + 0.5 - centreX;
      const dy = y + 0.5 - centreY;
      const i = y * red.width + x;
      mask.data[i] = dx * dx + dy * dy <= inner * inner && lit.data[i]! > litThreshold ? 1 : 0;
    }
  }
  return { red, green, blue, mask, scale, offsetX: x0, offsetY: y0, centreX, centreY, radius };
}

/**
 * A coarser working image made from a finer one (box filter on its planes), so that the field spans
 * `diameter` pixels; cheaper than resampling the source frame again.
 */
export function shrinkWorkingImage(image: WorkingImage, field: FieldOfView, diameter: number): WorkingImage {
  const factor = Math.min(1, diameter / (2 * image.radius));
  const width = Math.max(1, Math.round(image.red.width * factor));
  const height = Math.max(1, Math.round(image.red.height * factor));
  const red = downsamplePlane(image.red, width, height);
  const same = image.green === image.red;
  const green = same ? red : downsamplePlane(image.green, width, height);
  const blue = same ? red : downsamplePlane(image.blue, width, height);
  return withField(
    red,
    green,
    blue,
    image.scale * (red.width / image.red.width),
    image.offsetX,
    image.offsetY,
    field,
  );
}

/** A working position in source pixels. */
export function toSource(image: WorkingImage, x: number, y: number): { x: number; y: number } {
  return { x: image.offsetX + x / image.scale, y: image.offsetY + y / image.scale };
}
