/**
 * dr-screening lesion rules on planes made in code: a wide, nearly black pool is a pre-retinal haemorrhage, a
 * component of the same size that is only moderately dark (a cluster of intraretinal haemorrhages) is not; the
 * vessel detector's field extension carries the retina's values past the rim instead of the dark surround; a
 * tangle of fine loops on the disc is new vessels at the disc, straight fine vessels crossing it are not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectLesions, type LesionContext } from '../../src/analyzers/dr-screening/lesions.ts';
import { measureDiscNewVessels } from '../../src/analyzers/dr-screening/new-vessels.ts';
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

  it('finds new vessels at the disc in a tangle of fine loops, not in straight fine vessels crossing the disc', () => {
    const width = 240;
    const disc: LesionContext = { discX: 120, discY: 120, foveaX: 230, foveaY: 120, discDiameter: 60 };
    let seed = 7;
    const noise = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed / 2147483648 - 0.5) * 0.04;
    };
    const make = (dark: (x: number, y: number) => boolean): Plane => {
      const data = new Float32Array(width * width);
      for (let y = 0; y < width; y++) {
        for (let x = 0; x < width; x++) {
          const onDisc = Math.hypot(x + 0.5 - disc.discX, y + 0.5 - disc.discY) <= 0.5 * disc.discDiameter;
          data[y * width + x] = (onDisc ? 1.4 : 1) * (dark(x, y) ? 0.75 : 1) + noise();
        }
      }
      return { width, height: width, data };
    };
    // Loops of radius 4 px, 1 px wide, on a 12 px grid over the disc; straight horizontal vessels 8 px apart.
    const tangle = make((x, y) => {
      const fromDisc = Math.hypot(x + 0.5 - disc.discX, y + 0.5 - disc.discY);
      const cx = Math.round(x / 12) * 12;
      const cy = Math.round(y / 12) * 12;
      return fromDisc < 25 && Math.abs(Math.hypot(x - cx, y - cy) - 4) < 0.6;
    });
    const straight = make((x, y) => Math.abs(Math.hypot(x - 120, y - 120)) < 25 && y % 8 === 0);
    const field: Mask = { width, height: width, data: new Uint8Array(width * width).fill(1) };
    const noVessels: Mask = { width, height: width, data: new Uint8Array(width * width) };
    const withTangle = measureDiscNewVessels(tangle, field, noVessels, disc);
    const withStraight = measureDiscNewVessels(straight, field, noVessels, disc);
    assert.equal(withTangle.detected, true);
    assert.ok(withTangle.discTangleShare > 0.05);
    assert.equal(withStraight.detected, false);
    assert.equal(withStraight.discTangleShare, 0);
  });
});
