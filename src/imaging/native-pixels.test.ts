/**
 * Native frame bytes to decoded frames: the YBR_FULL_422 layout (two luminance samples share their chroma)
 * and the byte count a frame needs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameFromNativeBytes, nativeFrameBytes } from './native-pixels.ts';
import type { PixelDescription } from './pixel-description.ts';

const colour: PixelDescription = {
  rows: 1,
  columns: 3,
  samplesPerPixel: 3,
  bitsAllocated: 8,
  bitsStored: 8,
  pixelRepresentation: 0,
  photometricInterpretation: 'YBR_FULL_422',
  planarConfiguration: 0,
  numberOfFrames: 1,
};

describe('frameFromNativeBytes', () => {
  it('expands YBR_FULL_422 pairs and converts them to RGB', () => {
    const layout = { photometricInterpretation: 'YBR_FULL_422', planarConfiguration: 0 as const };
    // Grey chroma (128): RGB equals Y. Three columns: the last pair is half used.
    assert.equal(nativeFrameBytes(colour, layout), 8);
    const frame = frameFromNativeBytes(
      new Uint8Array([10, 20, 128, 128, 30, 40, 128, 128]),
      colour,
      layout,
      undefined,
    );
    assert.equal(frame.photometricInterpretation, 'RGB');
    assert.deepEqual(Array.from(frame.data), [10, 10, 10, 20, 20, 20, 30, 30, 30]);
  });

  it('keeps RGB as it is and reports too few bytes', () => {
    const layout = { photometricInterpretation: 'RGB', planarConfiguration: 0 as const };
    const description = { ...colour, photometricInterpretation: 'RGB' };
    const frame = frameFromNativeBytes(
      new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]),
      description,
      layout,
      [0.1, 0.2],
    );
    assert.deepEqual(Array.from(frame.data), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(frame.pixelSpacing, [0.1, 0.2]);
    assert.throws(
      () => frameFromNativeBytes(new Uint8Array(4), description, layout, undefined),
      /4 bytes, 9 expected/u,
    );
  });
});
