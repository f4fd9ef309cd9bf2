/**
 * Preprocessing, exactly as a manifest declares it, in pure functions so tests can compute the expected
 * tensor independently: field-of-view crop, resize (nearest, bilinear or area), colour order, scale, per-channel
 * mean/std, layout. Samples are brought to the 0–255 range first (16-bit frames are rescaled by their Bits
 * Stored); nothing is rounded between steps.
 */
import type { DecodedFrame } from '../sdk/index.ts';
import type { OnnxInputSpec, ResizeMethod } from './model-manifest.ts';

/** A rectangle of pixels: first column and row, width and height. */
export interface PixelBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** An RGB image as interleaved float samples in 0–255. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** R,G,B per pixel, row by row. */
  readonly data: Float64Array;
}

/** The source pixels and weights of each output position along one axis. */
interface AxisTaps {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

/**
 * Per-axis taps of a resize from `inSize` to `outSize` samples. Pixel centres are at i + 0.5:
 * `nearest` takes the source pixel under the output pixel's centre; `bilinear` interpolates the two nearest
 * centres (half-pixel, clamped at the borders, no antialiasing — as OpenCV INTER_LINEAR and ONNX Resize
 * `linear`/`half_pixel`); `area` averages the source area the output pixel covers, with fractional edge
 * weights (as OpenCV INTER_AREA when shrinking).
 */
export function axisTaps(inSize: number, outSize: number, method: ResizeMethod): AxisTaps {
  const ratio = inSize / outSize;
  const starts: number[] = [];
  const counts: number[] = [];
  const indices: number[] = [];
  const weights: number[] = [];
  const push = (entries: readonly (readonly [number, number])[]): void => {
    starts.push(indices.length);
    counts.push(entries.length);
    for (const [index, weight] of entries) {
      indices.push(index);
      weights.push(weight);
    }
  };
  for (let out = 0; out < outSize; out++) {
    if (method === 'nearest') {
      push([[Math.min(inSize - 1, Math.floor((out + 0.5) * ratio)), 1]]);
    } else if (method === 'bilinear') {
      const centre = Math.min(inSize - 1, Math.max(0, (out + 0.5) * ratio - 0.5));
      const low = Math.floor(centre);
      const high = Math.min(inSize - 1, low + 1);
      const fraction = centre - low;
      push(
        high === low
          ? [[low, 1]]
          : [
              [low, 1 - fraction],
              [high, fraction],
            ],
      );
    } else {
      const from = out * ratio;
      const to = (out + 1) * ratio;
      const entries: [number, number][] = [];
      for (let index = Math.floor(from); index < Math.min(inSize, Math.ceil(to)); index++) {
        const covered = Math.min(to, index + 1) - Math.max(from, index);
        if (covered > 1e-12) {
          entries.push([index, covered / ratio]);
        }
      }
      push(entries);
    }
  }
  return {
    start: Int32Array.from(starts),
    count: Int32Array.from(counts),
    index: Int32Array.from(indices),
    weight: Float64Array.from(weights),
  };
}

/** Interleaved samples to resize: a box of a larger image, `samples` per pixel (1 is read as grey). */
interface ResizeSource {
  readonly data: ArrayLike<number>;
  /** Pixels per row of `data`. */
  readonly stride: number;
  readonly samples: number;
  readonly box: PixelBox;
  /** Multiplies every sample (brings it to 0–255). */
  readonly factor: number;
}

/**
 * Resizes a box of interleaved samples to RGB (separable: along rows into a box-height × width buffer, then
 * along columns), reading the source in place so a large photograph is never copied whole.
 */
function resizeSource(source: ResizeSource, width: number, height: number, method: ResizeMethod): RgbImage {
  const { data, stride, samples, box, factor } = source;
  const xs = axisTaps(box.width, width, method);
  const ys = axisTaps(box.height, height, method);
  const green = samples === 3 ? 1 : 0;
  const blue = samples === 3 ? 2 : 0;
  const across = new Float64Array(box.height * width * 3);
  for (let row = 0; row < box.height; row++) {
    const rowStart = ((box.y + row) * stride + box.x) * samples;
    const target = row * width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let tap = xs.start[x]!, end = tap + xs.count[x]!; tap < end; tap++) {
        const at = rowStart + xs.index[tap]! * samples;
        const weight = xs.weight[tap]!;
        r += data[at]! * weight;
        g += data[at + green]! * weight;
        b += data[at + blue]! * weight;
      }
      across[target + x * 3] = r * factor;
      across[target + x * 3 + 1] = g * factor;
      across[target + x * 3 + 2] = b * factor;
    }
  }
  const out = new Float64Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    const target = y * width * 3;
    for (let tap = ys.start[y]!, end = tap + ys.count[y]!; tap < end; tap++) {
      const from = ys.index[tap]! * width * 3;
      const weight = ys.weight[tap]!;
      for (let offset = 0; offset < width * 3; offset++) {
        out[target + offset]! += across[from + offset]! * weight;
      }
    }
  }
  return { width, height, data: out };
}

/** Resizes an RGB image. */
export function resizeRgb(image: RgbImage, width: number, height: number, method: ResizeMethod): RgbImage {
  return resizeSource(
    {
      data: image.data,
      stride: image.width,
      samples: 3,
      box: { x: 0, y: 0, width: image.width, height: image.height },
      factor: 1,
    },
    width,
    height,
    method,
  );
}

/** Resizes `box` of a frame to RGB in 0–255 (greyscale is repeated in the three channels). */
export function resizeFrameRegion(
  frame: DecodedFrame,
  box: PixelBox,
  width: number,
  height: number,
  method: ResizeMethod,
): RgbImage {
  return resizeSource(
    {
      data: frame.data,
      stride: frame.columns,
      samples: frame.samplesPerPixel,
      box,
      factor: 255 / fullScale(frame),
    },
    width,
    height,
    method,
  );
}

/** Full scale of a frame's samples (2^BitsStored − 1). */
function fullScale(frame: DecodedFrame): number {
  return 2 ** (frame.bitsStored ?? frame.bitsAllocated) - 1;
}

/**
 * The bounding box of the camera's field of view: pixels whose brightest channel exceeds `threshold` × full
 * scale. The whole frame when no pixel does.
 */
export function fieldOfViewBox(frame: DecodedFrame, threshold: number): PixelBox {
  const limit = threshold * fullScale(frame);
  const samples = frame.samplesPerPixel;
  let left = frame.columns;
  let right = -1;
  let top = frame.rows;
  let bottom = -1;
  for (let row = 0; row < frame.rows; row++) {
    for (let column = 0; column < frame.columns; column++) {
      const at = (row * frame.columns + column) * samples;
      let brightest = frame.data[at]!;
      for (let sample = 1; sample < samples; sample++) {
        brightest = Math.max(brightest, frame.data[at + sample]!);
      }
      if (brightest > limit) {
        left = Math.min(left, column);
        right = Math.max(right, column);
        top = Math.min(top, row);
        bottom = Math.max(bottom, row);
      }
    }
  }
  if (right < 0) {
    return { x: 0, y: 0, width: frame.columns, height: frame.rows };
  }
  return { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

/** Channel order, scale, mean/std and layout: the resized image becomes the input tensor's data. */
export function toTensorData(image: RgbImage, input: OnnxInputSpec): Float32Array {
  const plane = image.width * image.height;
  const tensor = new Float32Array(plane * 3);
  const sourceChannel = input.colourOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let pixel = 0; pixel < plane; pixel++) {
    for (let channel = 0; channel < 3; channel++) {
      const value =
        (image.data[pixel * 3 + sourceChannel[channel]!]! * input.scale - input.mean[channel]!) /
        input.std[channel]!;
      tensor[input.layout === 'NCHW' ? channel * plane + pixel : pixel * 3 + channel] = value;
    }
  }
  return tensor;
}

/** The input tensor's shape for a manifest. */
export function tensorShape(input: OnnxInputSpec): [number, number, number, number] {
  return input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
}

/** The whole preprocessing of one frame: its tensor data and the box it was taken from. */
export function preprocessFrame(
  frame: DecodedFrame,
  input: OnnxInputSpec,
): { readonly data: Float32Array; readonly box: PixelBox } {
  const box =
    input.fieldOfViewCrop === undefined
      ? { x: 0, y: 0, width: frame.columns, height: frame.rows }
      : fieldOfViewBox(frame, input.fieldOfViewCrop.threshold);
  const resized = resizeFrameRegion(frame, box, input.width, input.height, input.resize);
  return { data: toTensorData(resized, input), box };
}
