/**
 * An sRGB ICC display profile generated in code (ICC.1 version 4.3, class `mntr`, data colour space `RGB `,
 * PCS `XYZ `), for the ICC Profile module of a Color Softcopy Presentation State, and a small reader that
 * checks the structure of a profile (header, tag table, bounds).
 *
 * The profile is matrix/TRC: `rXYZ`/`gXYZ`/`bXYZ` are the sRGB primaries adapted (Bradford) from D65 to the
 * D50 PCS illuminant, `rTRC`/`gTRC`/`bTRC` the sRGB curve as a `para` function type 3, `wtpt` the PCS
 * illuminant (v4 display profiles), `chad` the D65 → D50 adaptation, `desc` and `cprt` as `mluc`. The header
 * date is fixed and the Profile ID is the MD5 of the profile, so the bytes never change.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.11.15.html (ICC Profile module)
 * @see https://www.color.org/specification/ICC.1-2022-05.pdf (ICC.1: §7.2 header, §7.3 tag table, §9 tags, §10 types)
 */
import { createHash } from 'node:crypto';
import { prInvalid } from './part10.ts';
import { d65ToD50, iccD50White, srgbToXyzD50, type Matrix3, type Xyz } from './srgb.ts';

/** Profile version 4.3.0.0 as the header encodes it. */
const profileVersion = 0x04300000;

/** A fixed creation date (ICC `dateTimeNumber`), so the same profile is always the same bytes. */
const creationDate = [2026, 1, 1, 0, 0, 0] as const;

const profileDescription = 'Fovea sRGB (IEC 61966-2-1), ICC v4 matrix/TRC';
const profileCopyright = 'No copyright, use freely';

/** One entry of an ICC tag table. */
export interface IccTag {
  /** Four-character tag signature, e.g. `rXYZ`. */
  readonly signature: string;
  /** Offset of the tag data from the start of the profile. */
  readonly offset: number;
  readonly size: number;
  /** Four-character type signature at the start of the tag data, e.g. `XYZ `. */
  readonly type: string;
}

/** What {@link parseIccProfile} reads from a profile. */
export interface IccProfileSummary {
  readonly size: number;
  /** Major.minor, e.g. `4.3`. */
  readonly version: string;
  readonly deviceClass: string;
  readonly colourSpace: string;
  readonly pcs: string;
  readonly illuminant: Xyz;
  readonly renderingIntent: number;
  /** Profile ID as hex (32 zeros when the profile has none). */
  readonly profileId: string;
  readonly tags: readonly IccTag[];
  /** The XYZ of each tag of type `XYZ ` (e.g. `wtpt`, `rXYZ`), by signature. */
  readonly xyz: Readonly<Record<string, Xyz>>;
}

function signature(text: string): number {
  return (
    ((text.charCodeAt(0) << 24) |
      (text.charCodeAt(1) << 16) |
      (text.charCodeAt(2) << 8) |
      text.charCodeAt(3)) >>>
    0
  );
}

function signatureText(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}

/** An `s15Fixed16Number`: signed, 16 fractional bits. */
function s15Fixed16(value: number): number {
  return Math.round(value * 65536) | 0;
}

/** Tag data under construction: big-endian bytes. */
class TagWriter {
  readonly #bytes: number[] = [];

  uint8(value: number): this {
    this.#bytes.push(value & 0xff);
    return this;
  }

  uint16(value: number): this {
    return this.uint8(value >>> 8).uint8(value);
  }

  uint32(value: number): this {
    return this.uint16(value >>> 16).uint16(value & 0xffff);
  }

  signature(text: string): this {
    return this.uint32(signature(text));
  }

  fixed(value: number): this {
    return this.uint32(s15Fixed16(value) >>> 0);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** `XYZType`: one XYZ number. */
function xyzType(xyz: Xyz): Uint8Array {
  return new TagWriter().signature('XYZ ').uint32(0).fixed(xyz[0]).fixed(xyz[1]).fixed(xyz[2]).bytes();
}

/** `s15Fixed16ArrayType` holding a 3 × 3 matrix row by row (the `chad` layout). */
function sf32Type(matrix: Matrix3): Uint8Array {
  const writer = new TagWriter().signature('sf32').uint32(0);
  for (const row of matrix) {
    for (const value of row) {
      writer.fixed(value);
    }
  }
  return writer.bytes();
}

/** `parametricCurveType` function type 3, the sRGB curve. */
function srgbParametricCurve(): Uint8Array {
  return new TagWriter()
    .signature('para')
    .uint32(0)
    .uint16(3)
    .uint16(0)
    .fixed(2.4)
    .fixed(1 / 1.055)
    .fixed(0.055 / 1.055)
    .fixed(1 / 12.92)
    .fixed(0.04045)
    .bytes();
}

/** `multiLocalizedUnicodeType` with one en-US record. */
function mlucType(text: string): Uint8Array {
  const writer = new TagWriter().signature('mluc').uint32(0).uint32(1).uint32(12);
  writer.uint16(signature('en\0\0') >>> 16).uint16(signature('US\0\0') >>> 16);
  writer.uint32(text.length * 2).uint32(28);
  for (let i = 0; i < text.length; i++) {
    writer.uint16(text.charCodeAt(i));
  }
  return writer.bytes();
}

function column(matrix: Matrix3, index: 0 | 1 | 2): Xyz {
  return [matrix[0][index], matrix[1][index], matrix[2][index]];
}

function align4(value: number): number {
  return (value + 3) & ~3;
}

/**
 * Builds the sRGB ICC v4.3 display profile. Every call returns the same bytes (a fresh copy).
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.11.15.html
 */
export function buildSrgbIccProfile(): Uint8Array {
  const curve = srgbParametricCurve();
  const elements: readonly (readonly [string, Uint8Array])[] = [
    ['desc', mlucType(profileDescription)],
    ['cprt', mlucType(profileCopyright)],
    ['wtpt', xyzType(iccD50White)],
    ['chad', sf32Type(d65ToD50)],
    ['rXYZ', xyzType(column(srgbToXyzD50, 0))],
    ['gXYZ', xyzType(column(srgbToXyzD50, 1))],
    ['bXYZ', xyzType(column(srgbToXyzD50, 2))],
    ['rTRC', curve],
    ['gTRC', curve],
    ['bTRC', curve],
  ];
  const tableSize = 4 + 12 * elements.length;
  let cursor = 128 + tableSize;
  const placed = new Map<Uint8Array, number>();
  const entries: { signature: string; offset: number; data: Uint8Array }[] = [];
  for (const [tag, data] of elements) {
    let offset = placed.get(data);
    if (offset === undefined) {
      offset = align4(cursor);
      placed.set(data, offset);
      cursor = offset + data.length;
    }
    entries.push({ signature: tag, offset, data });
  }
  const size = align4(cursor);
  const profile = new Uint8Array(size);
  const view = new DataView(profile.buffer);
  view.setUint32(0, size);
  view.setUint32(8, profileVersion);
  view.setUint32(12, signature('mntr'));
  view.setUint32(16, signature('RGB '));
  view.setUint32(20, signature('XYZ '));
  creationDate.forEach((value, index) => {
    view.setUint16(24 + index * 2, value);
  });
  view.setUint32(36, signature('acsp'));
  view.setUint32(64, 0);
  view.setInt32(68, s15Fixed16(iccD50White[0]));
  view.setInt32(72, s15Fixed16(iccD50White[1]));
  view.setInt32(76, s15Fixed16(iccD50White[2]));
  view.setUint32(128, entries.length);
  entries.forEach((entry, index) => {
    const at = 132 + index * 12;
    view.setUint32(at, signature(entry.signature));
    view.setUint32(at + 4, entry.offset);
    view.setUint32(at + 8, entry.data.length);
    profile.set(entry.data, entry.offset);
  });
  // ICC.1 §7.2.18: the Profile ID is the MD5 of the profile with flags, rendering intent and the ID zeroed,
  // which they are at this point.
  profile.set(createHash('md5').update(profile).digest(), 84);
  return profile;
}

/**
 * Reads the header and tag table of an ICC profile and checks its structure: the size in the header equals the
 * length, the `acsp` signature, the tag count fits, and every tag starts on a 4-byte boundary after the tag
 * table and ends within the profile.
 * @throws FoveaError `FOVEA_PR_INVALID` when the bytes are not a well-formed ICC profile.
 * @see https://www.color.org/specification/ICC.1-2022-05.pdf (ICC.1 §7.2, §7.3)
 */
export function parseIccProfile(bytes: Uint8Array): IccProfileSummary {
  if (bytes.length < 132) {
    throw prInvalid(`ICC profile: ${bytes.length} bytes is shorter than a header and tag count`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = view.getUint32(0);
  if (size !== bytes.length) {
    throw prInvalid(`ICC profile: the header says ${size} bytes, the profile has ${bytes.length}`);
  }
  if (signatureText(view, 36) !== 'acsp') {
    throw prInvalid('ICC profile: no acsp signature');
  }
  const count = view.getUint32(128);
  const tableEnd = 132 + count * 12;
  if (tableEnd > size) {
    throw prInvalid(`ICC profile: a tag table of ${count} tags does not fit`);
  }
  const tags: IccTag[] = [];
  const xyz: Record<string, Xyz> = {};
  for (let index = 0; index < count; index++) {
    const at = 132 + index * 12;
    const tag = signatureText(view, at);
    const offset = view.getUint32(at + 4);
    const tagSize = view.getUint32(at + 8);
    if (offset % 4 !== 0 || offset < tableEnd || tagSize < 8 || offset + tagSize > size) {
      throw prInvalid(
        `ICC profile: tag ${tag} (offset ${offset}, size ${tagSize}) is out of bounds or unaligned`,
      );
    }
    const type = signatureText(view, offset);
    tags.push({ signature: tag, offset, size: tagSize, type });
    if (type === 'XYZ ' && tagSize >= 20) {
      xyz[tag] = [
        view.getInt32(offset + 8) / 65536,
        view.getInt32(offset + 12) / 65536,
        view.getInt32(offset + 16) / 65536,
      ];
    }
  }
  const version = view.getUint32(8);
  return {
    size,
    version: `${version >>> 24}.${(version >>> 20) & 0xf}`,
    deviceClass: signatureText(view, 12),
    colourSpace: signatureText(view, 16),
    pcs: signatureText(view, 20),
    illuminant: [view.getInt32(68) / 65536, view.getInt32(72) / 65536, view.getInt32(76) / 65536],
    renderingIntent: view.getUint32(64),
    profileId: Buffer.from(bytes.subarray(84, 100)).toString('hex'),
    tags,
    xyz,
  };
}
