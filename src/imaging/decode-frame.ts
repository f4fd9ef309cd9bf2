/**
 * Decoding one frame of a Part 10 file to a {@link DecodedFrame}: native pixel data in any of the little
 * endian syntaxes (deflated included), and the encapsulated syntaxes dcmjs-codecs decompresses (JPEG
 * baseline, extended and lossless, JPEG-LS, JPEG 2000, HTJ2K, JPEG XL, RLE).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7 (Part 10 file format)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.2 (native and encapsulated formats)
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type DcmjsDefault from 'dcmjs';
import type { DicomJsonDict } from 'dcmjs';
import { FoveaError } from '../core/errors.ts';
import { decompressFrame, isDecodableEncapsulated } from './compressed-frame.ts';
import { encapsulatedFrame } from './encapsulated-frames.ts';
import type { DecodedFrame } from './frame.ts';
import { frameFromNativeBytes, nativeFrameBytes } from './native-pixels.ts';
import { describePixels, pixelSpacingOf } from './pixel-description.ts';

const require = createRequire(import.meta.url);
// One CJS instance of dcmjs, shared with dcmjs-codecs (dependency-notes: dual-package hazard).
const dcmjs = require('dcmjs') as typeof DcmjsDefault;
dcmjs.log.setLevel('error');

const pixelDataTag = '7FE00010';
const extendedOffsetTableTag = '7FE00001';
const nativeSyntaxes = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.1.99',
  // Encapsulated Uncompressed Explicit VR Little Endian: one fragment per frame holding native bytes.
  '1.2.840.10008.1.2.1.98',
]);

function failed(detail: string, cause?: unknown): FoveaError {
  return new FoveaError('FOVEA_IMAGING_DECODE_FAILED', { detail, cause });
}

/** Adds the 128-byte preamble and "DICM" prefix when a file starts directly with its meta group. */
function withPreamble(part10: Uint8Array): ArrayBuffer {
  const hasPrefix =
    part10.length >= 132 &&
    part10[128] === 0x44 &&
    part10[129] === 0x49 &&
    part10[130] === 0x43 &&
    part10[131] === 0x4d;
  if (hasPrefix) {
    return part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
  }
  if (part10.length >= 2 && part10[0] === 0x02 && part10[1] === 0x00) {
    const out = new Uint8Array(132 + part10.length);
    out.set([0x44, 0x49, 0x43, 0x4d], 128);
    out.set(part10, 132);
    return out.buffer;
  }
  throw failed('not a DICOM Part 10 file');
}

interface ParsedFile {
  readonly transferSyntaxUid: string;
  readonly dataset: Record<string, unknown>;
  /** Pixel Data as read: one buffer (native) or the encapsulated items. */
  readonly pixelItems: readonly Uint8Array[];
  readonly extendedOffsets?: readonly number[];
}

function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof ArrayBuffer) {
    return new Uint8Array(value);
  }
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  return undefined;
}

function flattenItems(values: readonly unknown[]): Uint8Array[] {
  return values.flatMap((value): Uint8Array[] => {
    if (Array.isArray(value)) {
      return flattenItems(value as unknown[]);
    }
    const bytes = toBytes(value);
    return bytes === undefined ? [] : [bytes];
  });
}

function extendedOffsetsOf(dict: DicomJsonDict): number[] | undefined {
  const bytes = toBytes(dict[extendedOffsetTableTag]?.Value?.[0]);
  if (bytes === undefined || bytes.length % 8 !== 0) {
    return undefined;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 8 }, (_, i) => Number(view.getBigUint64(8 * i, true)));
}

function readHeader(
  part10: Uint8Array,
  untilPixelData: boolean,
): { transferSyntaxUid: string; dict: DicomJsonDict } {
  let read;
  try {
    read = dcmjs.data.DicomMessage.readFile(withPreamble(part10), {
      ignoreErrors: true,
      ...(untilPixelData ? { untilTag: pixelDataTag, includeUntilTagValue: false } : {}),
    });
  } catch (error) {
    throw error instanceof FoveaError ? error : failed('the data set could not be parsed', error);
  }
  const syntax = read.meta['00020010']?.Value?.[0];
  const transferSyntaxUid = typeof syntax === 'string' ? syntax.replace(/\0/gu, '').trim() : '';
  if (transferSyntaxUid === '') {
    throw failed('the file meta information has no Transfer Syntax UID');
  }
  return { transferSyntaxUid, dict: read.dict };
}

function parse(part10: Uint8Array): ParsedFile {
  const { transferSyntaxUid, dict } = readHeader(part10, false);
  const pixelElement = dict[pixelDataTag];
  const pixelItems = flattenItems(pixelElement?.Value ?? []);
  if (pixelItems.length === 0) {
    throw failed('the instance has no Pixel Data');
  }
  const header: DicomJsonDict = Object.fromEntries(
    Object.entries(dict).filter(([tag]) => tag !== pixelDataTag && tag !== extendedOffsetTableTag),
  );
  const extendedOffsets = extendedOffsetsOf(dict);
  return {
    transferSyntaxUid,
    dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(header),
    pixelItems,
    ...(extendedOffsets === undefined ? {} : { extendedOffsets }),
  };
}

/**
 * Decodes frame `frameIndex` (0-based) of a Part 10 file to native values, colour as interleaved RGB and
 * greyscale as MONOCHROME2. Throws FOVEA_IMAGING_DECODE_FAILED for data it cannot decode.
 */
export async function decodeFrame(part10: Uint8Array, frameIndex = 0): Promise<DecodedFrame> {
  return decodeParsedFrame(parse(part10), frameIndex);
}

/** A Part 10 file parsed once, whose frames are decoded one at a time (multi-frame volumes). */
export interface FrameSource {
  readonly numberOfFrames: number;
  /** Frame `frameIndex` (0-based), decoded as {@link decodeFrame} does. */
  frame(frameIndex: number): Promise<DecodedFrame>;
}

/** Parses a Part 10 file once for decoding many of its frames. */
export function openFrames(part10: Uint8Array): FrameSource {
  const parsed = parse(part10);
  return {
    numberOfFrames: describePixels(parsed.dataset).numberOfFrames,
    frame: (frameIndex: number) => decodeParsedFrame(parsed, frameIndex),
  };
}

async function decodeParsedFrame(parsed: ParsedFile, frameIndex: number): Promise<DecodedFrame> {
  const { transferSyntaxUid, dataset, pixelItems } = parsed;
  const description = describePixels(dataset);
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= description.numberOfFrames) {
    throw failed(`frame ${frameIndex} does not exist (Number of Frames ${description.numberOfFrames})`);
  }
  const pixelSpacing = pixelSpacingOf(dataset, frameIndex);
  if (nativeSyntaxes.has(transferSyntaxUid)) {
    const layout = {
      photometricInterpretation: description.photometricInterpretation,
      planarConfiguration: description.planarConfiguration,
    };
    const frameBytes = nativeFrameBytes(description, layout);
    const bytes =
      transferSyntaxUid === '1.2.840.10008.1.2.1.98'
        ? encapsulatedFrame(pixelItems, description.numberOfFrames, frameIndex, transferSyntaxUid)
        : concatItems(pixelItems).subarray(frameIndex * frameBytes, (frameIndex + 1) * frameBytes);
    return frameFromNativeBytes(bytes, description, layout, pixelSpacing);
  }
  if (!isDecodableEncapsulated(transferSyntaxUid)) {
    throw failed(`transfer syntax ${transferSyntaxUid} is not supported`);
  }
  const encoded = encapsulatedFrame(
    pixelItems,
    description.numberOfFrames,
    frameIndex,
    transferSyntaxUid,
    parsed.extendedOffsets,
  );
  const { bytes, layout } = await decompressFrame(encoded, description, transferSyntaxUid);
  return frameFromNativeBytes(bytes, description, layout, pixelSpacing);
}

function concatItems(items: readonly Uint8Array[]): Uint8Array {
  if (items.length === 1) {
    return items[0]!;
  }
  const out = new Uint8Array(items.reduce((sum, item) => sum + item.length, 0));
  let offset = 0;
  for (const item of items) {
    out.set(item, offset);
    offset += item.length;
  }
  return out;
}

/** Number of Frames (0028,0008) of a Part 10 file, 1 when absent; reads the header only. */
export function countFrames(part10: Uint8Array): number {
  const { dict } = readHeader(part10, true);
  const value = dict['00280008']?.Value?.[0];
  const frames = typeof value === 'string' ? Number(value.trim()) : value;
  return typeof frames === 'number' && Number.isFinite(frames) && frames >= 1 ? Math.floor(frames) : 1;
}

/** Reads a Part 10 file from disk and decodes one frame (see {@link decodeFrame}). */
export async function readFrameFromFile(path: string, frameIndex = 0): Promise<DecodedFrame> {
  return decodeFrame(await readFile(path), frameIndex);
}

/**
 * The data set of Part 10 bytes without their pixel data, in dcmjs' naturalized form (DICOM keywords as keys,
 * sequences as arrays of objects): for analyzers of measurement objects (visual fields, SR) that need values,
 * not pixels. Read leniently; a file that cannot be parsed is `FOVEA_IMAGING_DECODE_FAILED`.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_F.2 (keywords as names)
 */
export function readDataset(part10: Uint8Array): Record<string, unknown> {
  const { dict } = readHeader(part10, true);
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict);
}

/** Whether an error means "these pixels could not be decoded" (an input problem, not a Fovea failure). */
export function isDecodeFailure(error: unknown): boolean {
  return error instanceof FoveaError && error.code === 'FOVEA_IMAGING_DECODE_FAILED';
}
