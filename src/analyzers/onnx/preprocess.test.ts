/**
 * Preprocessing against hand-computed values and an independent reference (each output pixel computed in 2-D
 * from its own formula, not through the separable taps): resize, field-of-view crop, colour order, scale,
 * mean/std and layout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DecodedFrame } from '../sdk/index.ts';
import type { OnnxInputSpec } from './model-manifest.ts';
import { fieldOfViewBox, preprocessFrame, resizeRgb, type RgbImage } from './preprocess.ts';
import { referencePixel, referenceTensor } from './test-support.ts';

function line(values: readonly number[]): RgbImage {
  return {
    width: values.length,
    height: 1,
    data: Float64Array.from(values.flatMap((value) => [value, value, value])),
  };
}

function firstChannel(image: RgbImage): number[] {
  return Array.from({ length: image.width * image.height }, (_, pixel) => image.data[pixel * 3]!);
}

function randomImage(width: number, height: number, seed: number): RgbImage {
  let state = seed;
  const data = new Float64Array(width * height * 3);
  for (let index = 0; index < data.length; index++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    data[index] = state % 256;
  }
  return { width, height, data };
}

function rgbFrame(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): DecodedFrame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set(pixel(x, y), (y * width + x) * 3);
    }
  }
  return {
    rows: height,
    columns: width,
    samplesPerPixel: 3,
    bitsAllocated: 8,
    photometricInterpretation: 'RGB',
    data,
  };
}

const baseInput: OnnxInputSpec = {
  name: 'x',
  width: 4,
  height: 3,
  resize: 'area',
  colourOrder: 'RGB',
  layout: 'NCHW',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

describe('ONNX preprocessing', () => {
  it('resizes hand-checked lines exactly (nearest, bilinear, area)', () => {
    assert.deepEqual(firstChannel(resizeRgb(line([0, 10, 20, 30]), 2, 1, 'nearest')), [10, 30]);
    assert.deepEqual(firstChannel(resizeRgb(line([0, 100]), 4, 1, 'bilinear')), [0, 25, 75, 100]);
    assert.deepEqual(firstChannel(resizeRgb(line([0, 10, 20, 30]), 2, 1, 'area')), [5, 25]);
    const area = firstChannel(resizeRgb(line([0, 30, 60]), 2, 1, 'area'));
    assert.ok(
      Math.abs(area[0]! - 10) < 1e-12 && Math.abs(area[1]! - 50) < 1e-12,
      `area 3→2 gave ${area.join(',')}`,
    );
    assert.deepEqual(firstChannel(resizeRgb(line([7, 9, 11]), 3, 1, 'bilinear')), [7, 9, 11]);
  });

  it('matches the 2-D reference for every method, shrinking and enlarging, to 1e-9', (t) => {
    const image = randomImage(37, 23, 5);
    let worst = 0;
    for (const method of ['nearest', 'bilinear', 'area'] as const) {
      for (const [width, height] of [
        [8, 5],
        [16, 16],
        [50, 31],
      ] as const) {
        const resized = resizeRgb(image, width, height, method);
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            for (let c = 0; c < 3; c++) {
              const expected = referencePixel(image, width, height, method, x, y, c);
              worst = Math.max(worst, Math.abs(resized.data[(y * width + x) * 3 + c]! - expected));
            }
          }
        }
      }
    }
    t.diagnostic(`max abs difference vs the 2-D reference: ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-9, `max abs difference ${worst}`);
  });

  it('crops to the field of view: the bounding box of pixels brighter than the threshold', () => {
    const frame = rgbFrame(10, 8, (x, y) =>
      x >= 2 && x <= 6 && y >= 1 && y <= 5 ? [200, 20, 5] : [3, 3, 3],
    );
    assert.deepEqual(fieldOfViewBox(frame, 0.04), { x: 2, y: 1, width: 5, height: 5 });
    const dark = rgbFrame(4, 4, () => [1, 1, 1]);
    assert.deepEqual(fieldOfViewBox(dark, 0.04), { x: 0, y: 0, width: 4, height: 4 });
  });

  it('orders channels, scales, normalises and lays out exactly as declared', (t) => {
    const frame = rgbFrame(8, 6, (x, y) => [10 + x * 20, 200 - y * 30, (x * y * 7) % 256]);
    const image: RgbImage = { width: 8, height: 6, data: Float64Array.from(frame.data) };
    let worst = 0;
    for (const colourOrder of ['RGB', 'BGR'] as const) {
      for (const layout of ['NCHW', 'NHWC'] as const) {
        const input: OnnxInputSpec = { ...baseInput, colourOrder, layout };
        const { data } = preprocessFrame(frame, input);
        assert.equal(data.length, 4 * 3 * 3);
        for (let y = 0; y < 3; y++) {
          for (let x = 0; x < 4; x++) {
            for (let channel = 0; channel < 3; channel++) {
              const source = colourOrder === 'RGB' ? channel : 2 - channel;
              const value = referencePixel(image, 4, 3, 'area', x, y, source);
              const expected = (value / 255 - input.mean[channel]!) / input.std[channel]!;
              const at = layout === 'NCHW' ? channel * 12 + y * 4 + x : (y * 4 + x) * 3 + channel;
              worst = Math.max(worst, Math.abs(data[at]! - expected));
            }
          }
        }
      }
    }
    t.diagnostic(`max abs difference of the tensor (float32) vs the reference: ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5, `max abs difference ${worst}`);
  });

  it('crops to the field of view before resizing: the tensor of the crop equals the reference of the cropped image', () => {
    const frame = rgbFrame(12, 10, (x, y) =>
      x >= 3 && x <= 9 && y >= 2 && y <= 8 ? [40 + x * 10, 90 + y * 5, 17] : [0, 0, 0],
    );
    const cropped = rgbFrame(7, 7, (x, y) => [40 + (x + 3) * 10, 90 + (y + 2) * 5, 17]);
    const input: OnnxInputSpec = { ...baseInput, resize: 'bilinear', fieldOfViewCrop: { threshold: 0.04 } };
    const { data, box } = preprocessFrame(frame, input);
    assert.deepEqual(box, { x: 3, y: 2, width: 7, height: 7 });
    const expected = referenceTensor(cropped, input);
    const worst = Math.max(...Array.from(data, (value, at) => Math.abs(value - expected[at]!)));
    assert.ok(worst < 1e-5, `max abs difference ${worst}`);
  });

  it('brings 16-bit samples to 0–255 by Bits Stored before scaling', () => {
    const frame: DecodedFrame = {
      rows: 1,
      columns: 1,
      samplesPerPixel: 3,
      bitsAllocated: 16,
      bitsStored: 12,
      photometricInterpretation: 'RGB',
      data: Uint16Array.from([4095, 0, 1365]),
    };
    const { data } = preprocessFrame(frame, {
      ...baseInput,
      width: 1,
      height: 1,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      scale: 1,
    });
    assert.deepEqual(
      Array.from(data, (value) => Math.round(value * 1000) / 1000),
      [255, 0, 85],
    );
  });
});
