/**
 * Grouping encapsulated items into frames: one item per frame, fragments by codestream markers, fragments by
 * the Extended Offset Table, and RLE's one fragment per frame.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDecodeFailure } from './decode-frame.ts';
import { encapsulatedFrame } from './encapsulated-frames.ts';

const jpegLs = '1.2.840.10008.1.2.4.80';
const jpeg2000 = '1.2.840.10008.1.2.4.90';
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('encapsulatedFrame', () => {
  it('concatenates every fragment of a single-frame image', () => {
    const frame = encapsulatedFrame([bytes(0xff, 0xd8, 1, 2), bytes(3, 4)], 1, 0, jpegLs);
    assert.deepEqual(Array.from(frame), [0xff, 0xd8, 1, 2, 3, 4]);
  });

  it('takes one item per frame when there are as many items as frames', () => {
    const items = [bytes(0xff, 0xd8, 1), bytes(0xff, 0xd8, 2)];
    assert.deepEqual(Array.from(encapsulatedFrame(items, 2, 1, jpegLs)), [0xff, 0xd8, 2]);
  });

  it('groups fragments by JPEG and JPEG 2000 start markers', () => {
    const jpeg = [bytes(0xff, 0xd8, 1, 1), bytes(9, 9), bytes(0xff, 0xd8, 2, 2), bytes(8, 8)];
    assert.deepEqual(Array.from(encapsulatedFrame(jpeg, 2, 1, jpegLs)), [0xff, 0xd8, 2, 2, 8, 8]);
    const j2k = [bytes(0xff, 0x4f, 0xff, 0x51), bytes(7, 7), bytes(0xff, 0x4f, 0xff, 0x51), bytes(6, 6)];
    assert.deepEqual(Array.from(encapsulatedFrame(j2k, 2, 0, jpeg2000)), [0xff, 0x4f, 0xff, 0x51, 7, 7]);
  });

  it('groups fragments by the Extended Offset Table when one is given', () => {
    // Fragment items occupy 8 + length bytes: offsets 0, 12, 22, 34.
    const fragments = [bytes(1, 1, 1, 1), bytes(2, 2), bytes(3, 3, 3, 3), bytes(4, 4)];
    assert.deepEqual(Array.from(encapsulatedFrame(fragments, 2, 1, jpegLs, [0, 22])), [3, 3, 3, 3, 4, 4]);
  });

  it('fails when the items cannot be mapped to the frames', () => {
    assert.throws(
      () => encapsulatedFrame([bytes(0xff, 0xd8), bytes(1), bytes(0xff, 0xd8), bytes(2)], 3, 0, jpegLs),
      (error: unknown) => isDecodeFailure(error),
    );
  });
});
