/**
 * Test support: tiny ONNX models built in code with onnx-proto (a dev dependency) whose output a test can
 * compute independently, and helpers that write a model with its manifest to a directory.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { DecodedFrame } from '../sdk/index.ts';
import type { OnnxInputSpec, ResizeMethod, TensorLayout } from './model-manifest.ts';
import type { RgbImage } from './preprocess.ts';

const { onnx } = onnxProto;

const FLOAT = 1;

function valueInfo(name: string, shape: readonly (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: {
          dim: shape.map((dimension) =>
            typeof dimension === 'number' ? { dimValue: dimension } : { dimParam: dimension },
          ),
        },
      },
    },
  };
}

function floats(
  name: string,
  dims: readonly number[],
  values: readonly number[],
): onnxProto.onnx.ITensorProto {
  return { name, dims: [...dims], dataType: FLOAT, floatData: [...values] };
}

function encode(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'fovea-test',
      opsetImport: [{ domain: '', version: 17 }],
      graph,
    }),
  ).finish();
}

function inputShape(layout: TensorLayout, width: number, height: number): (number | string)[] {
  return layout === 'NCHW' ? ['batch', 3, height, width] : ['batch', height, width, 3];
}

/**
 * A linear model on every element of the input tensor: Flatten → Gemm (`weights` (3·H·W)×classes row-major,
 * in the tensor's memory order) → Softmax when `softmax`. Its output depends on every pixel's position,
 * channel and value, so it checks the whole preprocessing. Output `probs` [1, classes].
 */
export function linearModel(options: {
  readonly layout: TensorLayout;
  readonly width: number;
  readonly height: number;
  readonly weights: readonly number[];
  readonly bias: readonly number[];
  readonly softmax: boolean;
}): Uint8Array {
  const classes = options.bias.length;
  const size = 3 * options.width * options.height;
  return encode({
    name: 'linear',
    input: [valueInfo('x', inputShape(options.layout, options.width, options.height))],
    output: [valueInfo('probs', ['batch', classes])],
    initializer: [floats('W', [size, classes], options.weights), floats('b', [classes], options.bias)],
    node: [
      {
        opType: 'Flatten',
        input: ['x'],
        output: ['flat'],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      },
      { opType: 'Gemm', input: ['flat', 'W', 'b'], output: [options.softmax ? 'logits' : 'probs'] },
      ...(options.softmax
        ? [
            {
              opType: 'Softmax',
              input: ['logits'],
              output: ['probs'],
              attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
            },
          ]
        : []),
    ],
  });
}

/**
 * A linear classifier on the channel means: [Transpose for NHWC] → GlobalAveragePool → Flatten → Gemm
 * (`weights` 3×classes row-major, `bias`) → Softmax when `softmax`. Output `probs` [1, classes].
 */
export function channelMeanModel(options: {
  readonly layout: TensorLayout;
  readonly width: number;
  readonly height: number;
  readonly weights: readonly number[];
  readonly bias: readonly number[];
  readonly softmax: boolean;
}): Uint8Array {
  const classes = options.bias.length;
  const nodes: onnxProto.onnx.INodeProto[] = [];
  let tensor = 'x';
  if (options.layout === 'NHWC') {
    nodes.push({
      opType: 'Transpose',
      input: ['x'],
      output: ['nchw'],
      attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 3, 1, 2] }],
    });
    tensor = 'nchw';
  }
  nodes.push(
    { opType: 'GlobalAveragePool', input: [tensor], output: ['pooled'] },
    {
      opType: 'Flatten',
      input: ['pooled'],
      output: ['flat'],
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    },
    {
      opType: 'Gemm',
      input: ['flat', 'W', 'b'],
      output: [options.softmax ? 'logits' : 'probs'],
    },
  );
  if (options.softmax) {
    nodes.push({
      opType: 'Softmax',
      input: ['logits'],
      output: ['probs'],
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    });
  }
  return encode({
    name: 'channel-mean-classifier',
    input: [valueInfo('x', inputShape(options.layout, options.width, options.height))],
    output: [valueInfo('probs', ['batch', classes])],
    initializer: [floats('W', [3, classes], options.weights), floats('b', [classes], options.bias)],
    node: nodes,
  });
}

/** SHA-256 (hex) of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes `model.onnx` and `model.json` (the manifest, with the model's hash unless given) to `directory`. */
export function writeModel(
  directory: string,
  model: Uint8Array,
  manifest: Record<string, unknown>,
  name = 'model',
): string {
  writeFileSync(join(directory, `${name}.onnx`), model);
  const path = join(directory, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({ model: { file: `${name}.onnx`, sha256: sha256(model) }, ...manifest }, null, 2),
  );
  return path;
}

/** The value of resized pixel (x, y), channel c (0–2 of the source), computed directly in 2-D. */
export function referencePixel(
  image: RgbImage,
  width: number,
  height: number,
  method: ResizeMethod,
  x: number,
  y: number,
  c: number,
): number {
  const sx = image.width / width;
  const sy = image.height / height;
  const at = (column: number, row: number): number => image.data[(row * image.width + column) * 3 + c]!;
  if (method === 'nearest') {
    return at(
      Math.min(image.width - 1, Math.floor((x + 0.5) * sx)),
      Math.min(image.height - 1, Math.floor((y + 0.5) * sy)),
    );
  }
  if (method === 'bilinear') {
    const cx = Math.min(image.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    const cy = Math.min(image.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const x0 = Math.floor(cx);
    const y0 = Math.floor(cy);
    const x1 = Math.min(image.width - 1, x0 + 1);
    const y1 = Math.min(image.height - 1, y0 + 1);
    const fx = cx - x0;
    const fy = cy - y0;
    return (
      at(x0, y0) * (1 - fx) * (1 - fy) +
      at(x1, y0) * fx * (1 - fy) +
      at(x0, y1) * (1 - fx) * fy +
      at(x1, y1) * fx * fy
    );
  }
  const [left, right, top, bottom] = [x * sx, (x + 1) * sx, y * sy, (y + 1) * sy];
  let sum = 0;
  for (let row = 0; row < image.height; row++) {
    for (let column = 0; column < image.width; column++) {
      const overlapX = Math.max(0, Math.min(right, column + 1) - Math.max(left, column));
      const overlapY = Math.max(0, Math.min(bottom, row + 1) - Math.max(top, row));
      sum += at(column, row) * overlapX * overlapY;
    }
  }
  return sum / (sx * sy);
}

/**
 * The input tensor of an 8-bit RGB frame as the manifest declares it, computed independently of
 * `preprocess.ts` (no field-of-view crop): per element from the 2-D reference pixel.
 */
export function referenceTensor(frame: DecodedFrame, input: OnnxInputSpec): Float64Array {
  const image: RgbImage = { width: frame.columns, height: frame.rows, data: Float64Array.from(frame.data) };
  const { width, height } = input;
  const out = new Float64Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let channel = 0; channel < 3; channel++) {
        const source = input.colourOrder === 'RGB' ? channel : 2 - channel;
        const value = referencePixel(image, width, height, input.resize, x, y, source);
        const at =
          input.layout === 'NCHW' ? channel * width * height + y * width + x : (y * width + x) * 3 + channel;
        out[at] = (value * input.scale - input.mean[channel]!) / input.std[channel]!;
      }
    }
  }
  return out;
}
