/**
 * sRGB → CIELab against published values, and the DICOM 16-bit PCS-Value encoding. D65 values are relative to
 * the sRGB white; D50 values are adapted (Bradford) to the ICC PCS illuminant, the white of DICOM PCS-Values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FoveaError } from '../../core/errors.ts';
import {
  decodeDicomCielab,
  encodeDicomCielab,
  iccD50White,
  parseSrgbHex,
  srgbHexToCielab,
  srgbHexToDicomCielab,
  srgbToLinear,
  srgbToXyzD50,
  srgbToXyzD65,
  type CieLab,
} from './srgb.ts';

function near(actual: CieLab, expected: CieLab, tolerance: number, what: string): void {
  for (const key of ['l', 'a', 'b'] as const) {
    assert.ok(
      Math.abs(actual[key] - expected[key]) <= tolerance,
      `${what} ${key}: ${actual[key]} vs ${expected[key]}`,
    );
  }
}

describe('sRGB colorimetry', () => {
  it('has the IEC 61966-2-1 sRGB matrix (D65) and maps RGB white to the D50 PCS white', () => {
    const iec = [
      [0.4124, 0.3576, 0.1805],
      [0.2126, 0.7152, 0.0722],
      [0.0193, 0.1192, 0.9505],
    ];
    iec.forEach((row, i) => {
      row.forEach((value, j) => {
        assert.ok(Math.abs(srgbToXyzD65[i as 0]![j as 0] - value) < 1e-4, `M[${i}][${j}]`);
      });
    });
    for (let i = 0; i < 3; i++) {
      const row = srgbToXyzD50[i as 0];
      assert.ok(Math.abs(row[0] + row[1] + row[2] - iccD50White[i]!) < 1e-12);
    }
  });

  it('follows the sRGB transfer function (linear segment, then the 2.4 power)', () => {
    assert.equal(srgbToLinear(0), 0);
    assert.equal(srgbToLinear(1), 1);
    assert.ok(Math.abs(srgbToLinear(0.04045) - 0.04045 / 12.92) < 1e-12);
    assert.ok(Math.abs(srgbToLinear(0.5) - 0.21404) < 1e-5);
  });

  it('gives the published CIELab of white, black and the primaries relative to D65', () => {
    near(srgbHexToCielab('#FFFFFF', 'D65'), { l: 100, a: 0, b: 0 }, 1e-9, 'white');
    near(srgbHexToCielab('#000000', 'D65'), { l: 0, a: 0, b: 0 }, 1e-9, 'black');
    near(srgbHexToCielab('#FF0000', 'D65'), { l: 53.24, a: 80.09, b: 67.2 }, 0.01, 'red');
    near(srgbHexToCielab('#00FF00', 'D65'), { l: 87.73, a: -86.18, b: 83.18 }, 0.01, 'green');
    near(srgbHexToCielab('#0000FF', 'D65'), { l: 32.3, a: 79.19, b: -107.86 }, 0.01, 'blue');
  });

  it('gives the Bradford-adapted CIELab relative to the D50 PCS white (what DICOM stores)', () => {
    near(srgbHexToCielab('#FFFFFF'), { l: 100, a: 0, b: 0 }, 1e-9, 'white');
    near(srgbHexToCielab('#FF0000'), { l: 54.29, a: 80.8, b: 69.89 }, 0.02, 'red');
    near(srgbHexToCielab('#00FF00'), { l: 87.82, a: -79.29, b: 80.99 }, 0.02, 'green');
    near(srgbHexToCielab('#0000FF'), { l: 29.57, a: 68.29, b: -112.03 }, 0.02, 'blue');
  });

  it('encodes PCS-Values as PS3.3 C.10.7.1.1: L 0…100 and a*, b* −128…127 over 0x0000…0xFFFF', () => {
    assert.deepEqual(srgbHexToDicomCielab('#FFFFFF'), [0xffff, 0x8080, 0x8080]);
    assert.deepEqual(srgbHexToDicomCielab('#000000'), [0, 0x8080, 0x8080]);
    assert.deepEqual(srgbHexToDicomCielab('#FF0000'), [0x8afb, 0xd1a1, 0xc6aa]);
    assert.deepEqual(encodeDicomCielab({ l: 50, a: -128, b: 127 }), [0x8000, 0, 0xffff]);
    assert.deepEqual(encodeDicomCielab({ l: 120, a: -300, b: 300 }), [0xffff, 0, 0xffff]);
    const red = srgbHexToCielab('#FF0000');
    near(decodeDicomCielab(srgbHexToDicomCielab('#ff0000')), red, 0.004, 'round trip');
  });

  it('accepts #RRGGBB and RRGGBB in either case, and rejects anything else', () => {
    assert.deepEqual(parseSrgbHex('ff8000'), [1, 128 / 255, 0]);
    assert.deepEqual(parseSrgbHex('#FF8000'), [1, 128 / 255, 0]);
    for (const bad of ['red', '#FFF', '#GG0000', '#FF00000', '']) {
      assert.throws(
        () => parseSrgbHex(bad),
        (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_PR_INVALID',
        bad,
      );
    }
  });
});
