/**
 * The numeric kernels on planes and masks made in code, checked against values worked out by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractChannel, extractGreen } from './channel.ts';
import { fillHoles, largestComponent } from './connected-components.ts';
import { downsampleFrame, downsamplePlane, fitSize } from './downsample.ts';
import type { DecodedFrame } from './frame.ts';
import { gaussianBlur, maskedGaussianBlur } from './gaussian-blur.ts';
import { histogram, maskedMeanStd, maskedPercentiles, percentile } from './histogram.ts';
import { laplacian, laplacianVariance } from './laplacian.ts';
import { luminance } from './luminance.ts';
import { dilateMask, erodeMask, openMask } from './morphology.ts';
import { countMask, type Mask, type Plane } from './plane.ts';
import { tenengrad } from './tenengrad.ts';

function plane(width: number, height: number, value: (x: number, y: number) => number): Plane {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data[y * width + x] = value(x, y);
    }
  }
  return { width, height, data };
}

function mask(width: number, height: number, inside: (x: number, y: number) => boolean): Mask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data[y * width + x] = inside(x, y) ? 1 : 0;
    }
  }
  return { width, height, data };
}

const everywhere = (p: Plane): Mask => mask(p.width, p.height, () => true);

/** Second moment of a plane's values around (cx, cy) along x, normalised by their sum. */
function varianceAlongX(p: Plane, cx: number, cy: number): number {
  let sum = 0;
  let moment = 0;
  for (let x = 0; x < p.width; x++) {
    const value = p.data[cy * p.width + x]!;
    sum += value;
    moment += value * (x - cx) ** 2;
  }
  return moment / sum;
}

describe('imaging kernels', () => {
  it('extracts channels and luminance scaled to [0, 1]', () => {
    const frame: DecodedFrame = {
      rows: 1,
      columns: 2,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      photometricInterpretation: 'RGB',
      data: new Uint8Array([255, 0, 51, 0, 255, 102]),
    };
    assert.deepEqual(Array.from(extractGreen(frame).data), [0, 1]);
    const [red, green, blue] = [0, 1, 2].map((c) => extractChannel(frame, c as 0 | 1 | 2));
    const l = luminance(red!, green!, blue!).data;
    assert.ok(Math.abs(l[0]! - (0.299 + 0.114 * 0.2)) < 1e-6);
    assert.ok(Math.abs(l[1]! - (0.587 + 0.114 * 0.4)) < 1e-6);
    const twelveBit: DecodedFrame = {
      rows: 1,
      columns: 1,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 12,
      photometricInterpretation: 'MONOCHROME2',
      data: new Uint16Array([4095]),
    };
    assert.equal(extractChannel(twelveBit, 0).data[0], 1);
  });

  it('blurs with the requested variance, exact and box regimes, keeping constants constant', () => {
    for (const sigma of [1.5, 3, 6, 12]) {
      const impulse = plane(201, 3, (x) => (x === 100 ? 1 : 0));
      const variance = varianceAlongX(gaussianBlur(impulse, sigma), 100, 1);
      assert.ok(
        Math.abs(variance - sigma * sigma) / (sigma * sigma) < 0.06,
        `sigma ${sigma}: variance ${variance}`,
      );
      const flat = gaussianBlur(
        plane(40, 30, () => 0.25),
        sigma,
      );
      assert.ok(flat.data.every((value) => Math.abs(value - 0.25) < 1e-5));
    }
  });

  it('keeps masked-out values from leaking into a masked blur', () => {
    const p = plane(60, 20, (x) => (x < 30 ? 0.5 : 100));
    const left = mask(60, 20, (x) => x < 30);
    const blurred = maskedGaussianBlur(p, left, 5);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 30; x++) {
        assert.ok(Math.abs(blurred.data[y * 60 + x]! - 0.5) < 1e-4);
      }
    }
  });

  it('downsamples by block means, over a region when asked', () => {
    const p = plane(4, 4, (x, y) => x + 4 * y);
    assert.deepEqual(Array.from(downsamplePlane(p, 2, 2).data), [2.5, 4.5, 10.5, 12.5]);
    assert.deepEqual(fitSize(2048, 1365, 512), { width: 512, height: 341 });
    const frame: DecodedFrame = {
      rows: 2,
      columns: 4,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      photometricInterpretation: 'RGB',
      data: new Uint8Array(24).map((_, i) => (i % 3 === 0 ? 255 : i % 3 === 1 ? 51 * Math.floor(i / 12) : 0)),
    };
    const [red, green, blue] = downsampleFrame(frame, 2, 1);
    assert.deepEqual(Array.from(red!.data), [1, 1]);
    assert.deepEqual(
      Array.from(green!.data, (v) => Math.round(v * 1000) / 1000),
      [0.1, 0.1],
    );
    assert.deepEqual(Array.from(blue!.data), [0, 0]);
    const [cropped] = downsampleFrame(frame, 1, 1, { x: 2, y: 1, width: 2, height: 1 });
    assert.equal(cropped!.width, 1);
    assert.ok(Math.abs(cropped!.data[0]! - 1) < 1e-6);
  });

  it('computes percentiles, histograms, mean and standard deviation inside a mask', () => {
    const ramp = plane(100, 1, (x) => x / 100 + 0.005);
    const [p10, p50, p90] = maskedPercentiles(ramp, undefined, [0.1, 0.5, 0.9]);
    assert.ok(Math.abs(p10! - 0.1) < 0.006 && Math.abs(p50! - 0.5) < 0.006 && Math.abs(p90! - 0.9) < 0.006);
    const firstHalf = mask(100, 1, (x) => x < 50);
    assert.ok(Math.abs(percentile(histogram(ramp, firstHalf, 100), 1) - 0.5) < 0.011);
    const { mean, std, count } = maskedMeanStd(
      plane(4, 1, (x) => [1, 3, 5, 100][x]!),
      mask(4, 1, (x) => x < 3),
    );
    assert.equal(count, 3);
    assert.ok(Math.abs(mean - 3) < 1e-9 && Math.abs(std - Math.sqrt(8 / 3)) < 1e-6);
    assert.ok(
      Number.isNaN(
        percentile(
          histogram(
            ramp,
            mask(100, 1, () => false),
          ),
          0.5,
        ),
      ),
    );
  });

  it('erodes, dilates and opens masks with square elements', () => {
    const square = mask(11, 11, (x, y) => x >= 3 && x <= 7 && y >= 3 && y <= 7);
    assert.equal(countMask(erodeMask(square, 1)), 9);
    assert.equal(countMask(dilateMask(square, 1)), 49);
    const speck = mask(11, 11, (x, y) => (x === 1 && y === 1) || (x >= 4 && x <= 8 && y >= 4 && y <= 8));
    const opened = openMask(speck, 1);
    assert.equal(opened.data[1 * 11 + 1], 0);
    assert.equal(countMask(opened), 25);
    assert.equal(
      countMask(
        erodeMask(
          mask(5, 5, () => true),
          1,
        ),
      ),
      9,
    );
  });

  it('keeps the largest component and fills holes', () => {
    const twoBlobs = mask(10, 5, (x, y) => (x < 2 && y < 2) || (x >= 4 && y >= 1 && y <= 3));
    const largest = largestComponent(twoBlobs);
    assert.equal(countMask(largest), 18);
    assert.equal(largest.data[0], 0);
    const ring = mask(7, 7, (x, y) => Math.max(Math.abs(x - 3), Math.abs(y - 3)) === 2);
    assert.equal(countMask(fillHoles(ring)), 25);
  });

  it('measures focus: the Laplacian and Tenengrad fall when an edge is blurred', () => {
    const linear = plane(20, 20, (x, y) => 0.01 * x + 0.02 * y);
    const interior = mask(20, 20, (x, y) => x > 0 && y > 0 && x < 19 && y < 19);
    assert.ok(laplacian(linear).data.every((value, i) => interior.data[i] === 0 || Math.abs(value) < 1e-6));
    const edge = plane(40, 40, (x) => (x < 20 ? 0.2 : 0.8));
    const soft = gaussianBlur(edge, 2);
    assert.ok(laplacianVariance(edge, everywhere(edge)) > 4 * laplacianVariance(soft, everywhere(soft)));
    assert.ok(tenengrad(edge, everywhere(edge)) > 2 * tenengrad(soft, everywhere(soft)));
    assert.equal(
      tenengrad(
        plane(10, 10, () => 0.3),
        everywhere(plane(10, 10, () => 0)),
      ),
      0,
    );
  });
});
