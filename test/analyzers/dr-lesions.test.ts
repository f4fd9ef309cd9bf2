/**
 * dr-screening lesion rules on planes made in code: a wide, nearly black pool is a pre-retinal haemorrhage, a
 * component of the same size that is only moderately dark (a cluster of intraretinal haemorrhages) is not; the
 * vessel detector's field extension carries the retina's values past the rim instead of the dark surround.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectLesions, type LesionContext } from '../../src/analyzers/dr-screening/lesions.ts';
import { extendBeyondMask } from '../../src/analyzers/dr-screening/vessels.ts';
import type { Mask, Plane } from '../../src/imaging/index.ts';

const size = 200;
const context: LesionContext = { discX: 20, discY: 100, foveaX: 180, foveaY: 100, discDiameter: 40 };

function planeWithDisc(level: number, radius: number): Plane {
  const data = new Float32Array(size * size).fill(1);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (Math.hypot(x + 0.5 - 100, y + 0.5 - 40) <= radius) {
        data[y * size + x] = level;
      }
    }
  }
  return { width: size, height: size, data };
}

function full(value: 0 | 1): Mask {
  return { width: size, height: size, data: new Uint8Array(size * size).fill(value) };
}

describe('dr-screening lesion rules', () => {
  it('calls a wide nearly black pool pre-retinal and a moderately dark one of the same size a haemorrhage', () => {
    // Equivalent diameter 0.5 DD: above the pre-retinal size, below the elongation exemption.
    const radius = 0.25 * context.discDiameter;
    const black = detectLesions(planeWithDisc(0.2, radius), full(1), full(0), full(0), context);
    const moderate = detectLesions(planeWithDisc(0.7, radius), full(1), full(0), full(0), context);
    assert.deepEqual(
      black.map((lesion) => lesion.type),
      ['preretinal-haemorrhage'],
    );
    assert.deepEqual(
      moderate.map((lesion) => lesion.type),
      ['haemorrhage'],
    );
  });

  it('extends the field outwards with the values inside it', () => {
    const width = 40;
    const data = new Float32Array(width * width);
    const mask: Mask = { width, height: width, data: new Uint8Array(width * width) };
    for (let y = 0; y < width; y++) {
      for (let x = 0; x < width; x++) {
        const inside = Math.hypot(x + 0.5 - 20, y + 0.5 - 20) <= 12;
        mask.data[y * width + x] = inside ? 1 : 0;
        // A vertical dark line inside, the dark surround (0) outside.
        data[y * width + x] = inside ? (x === 20 ? 0.8 : 0.2) : 0;
      }
    }
    const extended = extendBeyondMask({ width, height: width, data }, mask, 5);
    // Just past the top of the field the line carries on, fading (each ring averages its inside neighbours), and
    // the background takes the retina's level instead of the surround's.
    const top = 7;
    assert.equal(mask.data[(top + 1) * width + 20], 1);
    assert.equal(mask.data[top * width + 20], 0);
    assert.ok(extended.data[top * width + 20]! > 0.35, 'the line carries on past the rim');
    assert.ok(extended.data[top * width + 20]! > extended.data[top * width + 17]! + 0.1, 'it stays a line');
    assert.ok(
      Math.abs(extended.data[20 * width + 5]! - 0.2) < 0.05,
      'the background carries on past the rim',
    );
    // Inside, nothing changes; beyond the steps, nothing either.
    assert.equal(extended.data[20 * width + 20], data[20 * width + 20]);
    assert.equal(extended.data[0], 0);
  });
});
