/**
 * The run-length label encoding: exact round trips (long runs, single voxels, every label value), the bytes
 * of a small case worked out by hand, and errors for inputs that do not fit their shape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLabelRuns, encodeLabelRuns, isEncodedLabels } from './label-runs.ts';

describe('label runs', () => {
  it('encodes a small volume into the bytes worked out by hand', () => {
    const labels = Uint8Array.from([0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0]);
    const encoded = encodeLabelRuns(labels, [2, 2, 3]);
    assert.deepEqual([...Buffer.from(encoded.runs, 'base64')], [0, 3, 2, 2, 0, 7]);
    assert.deepEqual([...decodeLabelRuns(encoded)], [...labels]);
  });

  it('round-trips a large sparse volume with runs longer than one varint byte', () => {
    const frames = 7;
    const rows = 200;
    const columns = 150;
    const labels = new Uint8Array(frames * rows * columns);
    let state = 12345;
    for (let i = 0; i < 400; i++) {
      state = (state * 1103515245 + 12345) % 2147483648;
      const start = state % labels.length;
      labels.fill(1 + (i % 3), start, Math.min(labels.length, start + (i % 97)));
    }
    labels[labels.length - 1] = 255;
    const encoded = encodeLabelRuns(labels, [frames, rows, columns]);
    assert.ok(isEncodedLabels(JSON.parse(JSON.stringify(encoded))));
    assert.deepEqual(decodeLabelRuns(encoded), labels);
    assert.ok(encoded.runs.length < labels.length / 20, `${encoded.runs.length} base64 characters`);
  });

  it('round-trips an all-background volume as one run', () => {
    const labels = new Uint8Array(49 * 496 * 512);
    const encoded = encodeLabelRuns(labels, [49, 496, 512]);
    assert.equal(Buffer.from(encoded.runs, 'base64').length, 5);
    assert.deepEqual(decodeLabelRuns(encoded), labels);
  });

  it('refuses a shape that does not match and runs that do not fill it', () => {
    assert.throws(() => encodeLabelRuns(new Uint8Array(5), [2, 3]), RangeError);
    const encoded = encodeLabelRuns(new Uint8Array(6), [2, 3]);
    assert.throws(() => decodeLabelRuns({ ...encoded, shape: [2, 4] }), /cover 6 of 8/);
    assert.throws(() => decodeLabelRuns({ ...encoded, shape: [1, 3] }), /overflow/);
    assert.throws(
      () => decodeLabelRuns({ ...encoded, runs: Buffer.from([1, 0x85]).toString('base64') }),
      /inside a run length/,
    );
    assert.equal(isEncodedLabels({ encoding: 'other', shape: [1], runs: '' }), false);
  });
});
