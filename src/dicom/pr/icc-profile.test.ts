/**
 * The generated sRGB ICC profile: it parses back (header size, signatures, tag table within bounds and aligned),
 * its colorants sum to the D50 white, its Profile ID is the MD5 that ICC.1 §7.2.18 defines, and a real colour
 * management module (LittleCMS inside sharp/libvips) reads it and treats it as sRGB.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { FoveaError } from '../../core/errors.ts';
import { buildSrgbIccProfile, parseIccProfile } from './icc-profile.ts';
import { d65ToD50, iccD50White } from './srgb.ts';

const temp = mkdtempSync(join(tmpdir(), 'fovea-icc-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});

const profile = buildSrgbIccProfile();
const summary = parseIccProfile(profile);
const view = new DataView(profile.buffer, profile.byteOffset, profile.byteLength);

function tag(signature: string): { offset: number; size: number; type: string } {
  const found = summary.tags.find((entry) => entry.signature === signature);
  assert.ok(found, `tag ${signature}`);
  return found;
}

function fixed(offset: number): number {
  return view.getInt32(offset) / 65536;
}

function mlucText(signature: string): string {
  const { offset } = tag(signature);
  assert.equal(view.getUint32(offset + 8), 1, 'one record');
  const length = view.getUint32(offset + 20);
  const start = offset + view.getUint32(offset + 24);
  let text = '';
  for (let i = 0; i < length; i += 2) {
    text += String.fromCharCode(view.getUint16(start + i));
  }
  return text;
}

function isPrInvalid(error: unknown): boolean {
  return error instanceof FoveaError && error.code === 'FOVEA_PR_INVALID';
}

async function throughProfile(icc: Uint8Array, name: string, rgb: Uint8Array): Promise<number[]> {
  const file = join(temp, name);
  writeFileSync(file, icc);
  const out = await sharp(rgb, { raw: { width: rgb.length / 3, height: 1, channels: 3 } })
    .withIccProfile(file)
    .raw()
    .toBuffer();
  return [...out];
}

describe('sRGB ICC profile', () => {
  it('has a v4 display header: size, mntr, RGB, XYZ, acsp, D50 illuminant', () => {
    assert.equal(summary.size, profile.length);
    assert.equal(view.getUint32(0), profile.length);
    assert.equal(profile.length % 4, 0);
    assert.equal(summary.version, '4.3');
    assert.equal(summary.deviceClass, 'mntr');
    assert.equal(summary.colourSpace, 'RGB ');
    assert.equal(summary.pcs, 'XYZ ');
    assert.equal(summary.renderingIntent, 0);
    summary.illuminant.forEach((value, i) => {
      assert.ok(Math.abs(value - iccD50White[i]!) <= 1 / 65536, `illuminant ${i}`);
    });
  });

  it('has every tag of a matrix/TRC display profile, each within bounds and 4-byte aligned', () => {
    const expected: Record<string, string> = {
      desc: 'mluc',
      cprt: 'mluc',
      wtpt: 'XYZ ',
      chad: 'sf32',
      rXYZ: 'XYZ ',
      gXYZ: 'XYZ ',
      bXYZ: 'XYZ ',
      rTRC: 'para',
      gTRC: 'para',
      bTRC: 'para',
    };
    assert.deepEqual(summary.tags.map((entry) => entry.signature).sort(), Object.keys(expected).sort());
    const tableEnd = 132 + 12 * summary.tags.length;
    for (const entry of summary.tags) {
      assert.equal(entry.type, expected[entry.signature], entry.signature);
      assert.equal(entry.offset % 4, 0, `${entry.signature} aligned`);
      assert.ok(entry.offset >= tableEnd, `${entry.signature} after the tag table`);
      assert.ok(entry.offset + entry.size <= profile.length, `${entry.signature} within the profile`);
    }
    const distinct = [...new Map(summary.tags.map((entry) => [entry.offset, entry])).values()].sort(
      (a, b) => a.offset - b.offset,
    );
    for (let i = 1; i < distinct.length; i++) {
      assert.ok(distinct[i - 1]!.offset + distinct[i - 1]!.size <= distinct[i]!.offset, 'no overlap');
    }
    assert.match(mlucText('desc'), /sRGB/u);
    assert.ok(mlucText('cprt').length > 0);
  });

  it('has colorants that sum to the D50 white, a D50 media white and the Bradford D65 → D50 matrix', () => {
    const { rXYZ, gXYZ, bXYZ, wtpt } = summary.xyz;
    assert.ok(rXYZ && gXYZ && bXYZ && wtpt);
    for (let i = 0; i < 3; i++) {
      const sum = rXYZ[i]! + gXYZ[i]! + bXYZ[i]!;
      assert.ok(Math.abs(sum - iccD50White[i]!) < 0.002, `sum ${i}: ${sum}`);
      assert.ok(Math.abs(wtpt[i]! - iccD50White[i]!) <= 1 / 65536, `wtpt ${i}`);
    }
    // The ICC's own sRGB v4 profile has these colorants to four decimals.
    const published = [
      [0.4361, 0.2225, 0.0139],
      [0.3851, 0.7169, 0.0971],
      [0.1431, 0.0606, 0.7141],
    ];
    [rXYZ, gXYZ, bXYZ].forEach((xyz, i) => {
      xyz.forEach((value, j) => {
        assert.ok(Math.abs(value - published[i]![j]!) < 0.0005, `colorant ${i}/${j}: ${value}`);
      });
    });
    const chad = tag('chad');
    for (let i = 0; i < 9; i++) {
      const expected = d65ToD50[Math.floor(i / 3) as 0][(i % 3) as 0];
      assert.ok(Math.abs(fixed(chad.offset + 8 + 4 * i) - expected) <= 1 / 65536, `chad ${i}`);
    }
  });

  it('has the sRGB curve as a parametric function type 3 shared by the three channels', () => {
    const curve = tag('rTRC');
    assert.equal(tag('gTRC').offset, curve.offset);
    assert.equal(tag('bTRC').offset, curve.offset);
    assert.equal(view.getUint16(curve.offset + 8), 3);
    const parameters = [0, 1, 2, 3, 4].map((i) => fixed(curve.offset + 12 + 4 * i));
    const expected = [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045];
    parameters.forEach((value, i) => {
      assert.ok(Math.abs(value - expected[i]!) <= 1 / 65536, `parameter ${i}`);
    });
  });

  it('carries the MD5 Profile ID of ICC.1 §7.2.18 and is byte-identical on every build', () => {
    const zeroed = profile.slice();
    zeroed.fill(0, 44, 48);
    zeroed.fill(0, 64, 68);
    zeroed.fill(0, 84, 100);
    assert.equal(summary.profileId, createHash('md5').update(zeroed).digest('hex'));
    assert.deepEqual(buildSrgbIccProfile(), profile);
  });

  it('is read by LittleCMS (sharp) as sRGB: converting sRGB to it changes nothing', async () => {
    const colours = Uint8Array.from([
      255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 64, 200, 250, 240, 10, 17, 34, 51,
    ]);
    const converted = await throughProfile(profile, 'fovea-srgb.icc', colours);
    converted.forEach((value, i) => {
      assert.ok(Math.abs(value - colours[i]!) <= 1, `sample ${i}: ${value} vs ${colours[i]}`);
    });
    // The same profile with the red and blue colorants exchanged swaps red and blue, so LittleCMS did use
    // this tag table (it falls back to no conversion when it cannot read a profile).
    const swapped = profile.slice();
    const red = tag('rXYZ').offset;
    const blue = tag('bXYZ').offset;
    swapped.set(profile.subarray(blue, blue + 20), red);
    swapped.set(profile.subarray(red, red + 20), blue);
    assert.deepEqual(await throughProfile(swapped, 'swapped.icc', Uint8Array.from([255, 0, 0])), [0, 0, 255]);
  });

  it('rejects malformed profiles', () => {
    assert.throws(() => parseIccProfile(profile.subarray(0, 100)), isPrInvalid);
    assert.throws(() => parseIccProfile(profile.subarray(0, profile.length - 4)), isPrInvalid);
    const noAcsp = profile.slice();
    noAcsp[36] = 0;
    assert.throws(() => parseIccProfile(noAcsp), isPrInvalid);
    const outOfBounds = profile.slice();
    new DataView(outOfBounds.buffer).setUint32(132 + 8, profile.length);
    assert.throws(() => parseIccProfile(outOfBounds), isPrInvalid);
    const unaligned = profile.slice();
    new DataView(unaligned.buffer).setUint32(132 + 4, tag('desc').offset + 2);
    assert.throws(() => parseIccProfile(unaligned), isPrInvalid);
  });
});
