/**
 * sRGB colorimetry for presentation states: the sRGB primaries and transfer function, Bradford adaptation
 * from the sRGB white (D65) to the ICC Profile Connection Space illuminant (D50), CIELab, and the 16-bit
 * CIELab encoding DICOM uses for recommended display colours. The ICC profile in `icc-profile.ts` is built
 * from the same matrix, so a layer colour and the image agree once both are in the PCS.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.10.7.html#sect_C.10.7.1.1 (CIELab encoding)
 * @see https://www.color.org/specification/ICC.1-2022-05.pdf (ICC.1 §6.3 PCS, Annex E chromatic adaptation)
 */
import { prInvalid } from './part10.ts';

/** A 3 × 3 matrix, row major. */
export type Matrix3 = readonly [
  readonly [number, number, number],
  readonly [number, number, number],
  readonly [number, number, number],
];

/** A CIE XYZ triple (Y of the white = 1). */
export type Xyz = readonly [number, number, number];

/** A CIELab colour: L* 0–100, a* and b* about −128…127. */
export interface CieLab {
  readonly l: number;
  readonly a: number;
  readonly b: number;
}

/** The white a CIELab value is relative to. */
export type WhitePoint = 'D50' | 'D65';

function whiteFromChromaticity(x: number, y: number): Xyz {
  return [x / y, 1, (1 - x - y) / y];
}

/** The sRGB (and ITU-R BT.709) white, D65, from its chromaticity (0.3127, 0.3290). */
export const d65White: Xyz = whiteFromChromaticity(0.3127, 0.329);

/**
 * The ICC PCS illuminant (D50) exactly as an ICC profile header encodes it, and the white of DICOM's
 * PCS-Values.
 */
export const iccD50White: Xyz = [0.9642, 1, 0.8249];

function multiply(m: Matrix3, v: Xyz): Xyz {
  return [
    m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
    m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
    m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
  ];
}

function product(a: Matrix3, b: Matrix3): Matrix3 {
  const row = (i: 0 | 1 | 2): [number, number, number] => [
    a[i][0] * b[0][0] + a[i][1] * b[1][0] + a[i][2] * b[2][0],
    a[i][0] * b[0][1] + a[i][1] * b[1][1] + a[i][2] * b[2][1],
    a[i][0] * b[0][2] + a[i][1] * b[1][2] + a[i][2] * b[2][2],
  ];
  return [row(0), row(1), row(2)];
}

function inverse(m: Matrix3): Matrix3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

/**
 * The RGB → XYZ matrix of a set of primaries and a white: the columns are the primaries' XYZ, scaled so
 * that RGB (1, 1, 1) gives the white.
 */
function rgbToXyzMatrix(primaries: readonly (readonly [number, number])[], white: Xyz): Matrix3 {
  const columns = primaries.map(([x, y]) => [x / y, 1, (1 - x - y) / y] as const);
  const unscaled: Matrix3 = [
    [columns[0]![0], columns[1]![0], columns[2]![0]],
    [columns[0]![1], columns[1]![1], columns[2]![1]],
    [columns[0]![2], columns[1]![2], columns[2]![2]],
  ];
  const [sr, sg, sb] = multiply(inverse(unscaled), white);
  return [
    [unscaled[0][0] * sr, unscaled[0][1] * sg, unscaled[0][2] * sb],
    [unscaled[1][0] * sr, unscaled[1][1] * sg, unscaled[1][2] * sb],
    [unscaled[2][0] * sr, unscaled[2][1] * sg, unscaled[2][2] * sb],
  ];
}

/** sRGB primaries (IEC 61966-2-1): red, green, blue chromaticities. */
const srgbPrimaries = [
  [0.64, 0.33],
  [0.3, 0.6],
  [0.15, 0.06],
] as const;

/** Linear sRGB → XYZ relative to D65. */
export const srgbToXyzD65: Matrix3 = rgbToXyzMatrix(srgbPrimaries, d65White);

/** The Bradford cone response matrix (ICC.1 Annex E). */
const bradford: Matrix3 = [
  [0.8951, 0.2664, -0.1614],
  [-0.7502, 1.7135, 0.0367],
  [0.0389, -0.0685, 1.0296],
];

/** A Bradford chromatic adaptation matrix from one white to another. */
export function bradfordAdaptation(from: Xyz, to: Xyz): Matrix3 {
  const [rs, gs, bs] = multiply(bradford, from);
  const [rd, gd, bd] = multiply(bradford, to);
  const scale: Matrix3 = [
    [rd / rs, 0, 0],
    [0, gd / gs, 0],
    [0, 0, bd / bs],
  ];
  return product(inverse(bradford), product(scale, bradford));
}

/** The adaptation of the sRGB white (D65) to the PCS (D50): an ICC v4 profile's `chad` tag. */
export const d65ToD50: Matrix3 = bradfordAdaptation(d65White, iccD50White);

/**
 * Linear sRGB → PCS XYZ (D50): its columns are the `rXYZ`, `gXYZ`, `bXYZ` colorants of the sRGB profile, and
 * RGB (1, 1, 1) gives the D50 white.
 */
export const srgbToXyzD50: Matrix3 = product(d65ToD50, srgbToXyzD65);

/**
 * The sRGB transfer function (electro-optical, IEC 61966-2-1): an encoded value 0–1 to linear light. The same
 * curve as an ICC `para` function type 3 with g 2.4, a 1/1.055, b 0.055/1.055, c 1/12.92, d 0.04045.
 */
export function srgbToLinear(encoded: number): number {
  return encoded <= 0.04045 ? encoded / 12.92 : ((encoded + 0.055) / 1.055) ** 2.4;
}

/**
 * Parses an sRGB colour written as hex (`#RRGGBB` or `RRGGBB`) into encoded values 0–1.
 * @throws FoveaError `FOVEA_PR_INVALID` when it is not six hexadecimal digits.
 */
export function parseSrgbHex(hex: string): readonly [number, number, number] {
  const match = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/iu.exec(hex);
  if (match === null) {
    throw prInvalid(`colour ${JSON.stringify(hex)} is not an sRGB hex value #RRGGBB`);
  }
  return [
    Number.parseInt(match[1]!, 16) / 255,
    Number.parseInt(match[2]!, 16) / 255,
    Number.parseInt(match[3]!, 16) / 255,
  ];
}

/** CIE XYZ → CIELab relative to a white (CIE 15: the cube root with its linear segment near black). */
export function xyzToLab(xyz: Xyz, white: Xyz): CieLab {
  const epsilon = 216 / 24389;
  const kappa = 24389 / 27;
  const f = (t: number): number => (t > epsilon ? Math.cbrt(t) : (kappa * t + 16) / 116);
  const fx = f(xyz[0] / white[0]);
  const fy = f(xyz[1] / white[1]);
  const fz = f(xyz[2] / white[2]);
  return { l: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz) };
}

/**
 * CIELab of an sRGB hex colour. `D50` (the default) is what DICOM needs: the colour adapted (Bradford) to the
 * ICC PCS illuminant, the white of PCS-Values. `D65` is the colour relative to sRGB's own white, the
 * textbook value (red #FF0000 → L* 53.24, a* 80.09, b* 67.20).
 */
export function srgbHexToCielab(hex: string, white: WhitePoint = 'D50'): CieLab {
  const linear = parseSrgbHex(hex).map(srgbToLinear) as unknown as Xyz;
  return white === 'D50'
    ? xyzToLab(multiply(srgbToXyzD50, linear), iccD50White)
    : xyzToLab(multiply(srgbToXyzD65, linear), d65White);
}

function clamp16(value: number): number {
  return Math.min(0xffff, Math.max(0, Math.round(value)));
}

/**
 * Encodes CIELab as DICOM PCS-Values (three US): L* 0…100 → 0x0000…0xFFFF, a* and b* −128…127 →
 * 0x0000…0xFFFF (0 → 0x8080), the 16-bit encoding of the ICC PCS.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.10.7.html#sect_C.10.7.1.1
 */
export function encodeDicomCielab(lab: CieLab): [number, number, number] {
  return [
    clamp16((lab.l * 0xffff) / 100),
    clamp16(((lab.a + 128) * 0xffff) / 255),
    clamp16(((lab.b + 128) * 0xffff) / 255),
  ];
}

/** Decodes DICOM PCS-Values (three US) back to CIELab (the inverse of {@link encodeDicomCielab}). */
export function decodeDicomCielab(values: readonly number[]): CieLab {
  const [l = 0, a = 0, b = 0] = values;
  return { l: (l * 100) / 0xffff, a: (a * 255) / 0xffff - 128, b: (b * 255) / 0xffff - 128 };
}

/** The DICOM recommended display CIELab value (PCS-Values, D50) of an sRGB hex colour. */
export function srgbHexToDicomCielab(hex: string): [number, number, number] {
  return encodeDicomCielab(srgbHexToCielab(hex, 'D50'));
}
