/**
 * Part 10 files for synthetic objects: dcmjs writes the header, and the pixel data element is appended
 * directly (native or encapsulated), which keeps large volumes fast and avoids copying them through dcmjs.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_A.4 (encapsulation)
 */
import { createRequire } from 'node:module';
import type DcmjsDefault from 'dcmjs';
import type { NaturalDataset } from 'dcmjs';
import type * as DcmjsCodecs from 'dcmjs-codecs';

const require = createRequire(import.meta.url);
// One CJS instance of dcmjs, shared with dcmjs-codecs (see dependency-notes: dual-package hazard).
const dcmjs = require('dcmjs') as typeof DcmjsDefault;
dcmjs.log.setLevel('error');

/** Transfer syntaxes the generator writes. */
export const transferSyntaxUids = {
  'explicit-le': '1.2.840.10008.1.2.1',
  'jpeg-baseline': '1.2.840.10008.1.2.4.50',
} as const;

/** A transfer syntax the generator writes: uncompressed explicit VR little endian or JPEG baseline. */
export type SynthTransferSyntax = keyof typeof transferSyntaxUids;

/** Implementation Class UID of the generator (2.25 UID derived from its name). */
export const implementationClassUid = '2.25.176411582357092357290611395318126421825';
/** Implementation Version Name of the generator. */
export const implementationVersionName = 'FOVEA_SYNTH_1';

/** Pixel data to append: native bytes, or one encoded JPEG bitstream per frame. */
export type PixelPayload =
  | { readonly kind: 'native'; readonly bytes: Uint8Array }
  | { readonly kind: 'encapsulated'; readonly frames: readonly Uint8Array[] };

/** Writes a Part 10 file: File Meta Information, the dataset, then Pixel Data (if any). */
export function writePart10(
  dataset: NaturalDataset,
  transferSyntaxUid: string,
  pixels?: PixelPayload,
): Buffer {
  const sopClassUid = dataset.SOPClassUID;
  const sopInstanceUid = dataset.SOPInstanceUID;
  if (typeof sopClassUid !== 'string' || typeof sopInstanceUid !== 'string') {
    throw new TypeError('dataset needs SOPClassUID and SOPInstanceUID');
  }
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: implementationClassUid,
    ImplementationVersionName: implementationVersionName,
    _vrMap: { FileMetaInformationVersion: 'OB' },
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  const header = Buffer.from(dict.write());
  if (pixels === undefined) {
    return header;
  }
  return Buffer.concat([header, ...pixelDataElement(pixels)]);
}

function elementHeader(vr: 'OB' | 'OW', length: number): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x7fe0, 0);
  head.writeUInt16LE(0x0010, 2);
  head.write(vr, 4, 'latin1');
  head.writeUInt32LE(length, 8);
  return head;
}

function item(length: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt16LE(0xe000, 2);
  head.writeUInt32LE(length, 4);
  return head;
}

function pixelDataElement(pixels: PixelPayload): Buffer[] {
  if (pixels.kind === 'native') {
    const bytes = pixels.bytes;
    const padded = bytes.length % 2 === 1;
    const parts = [
      elementHeader('OB', bytes.length + (padded ? 1 : 0)),
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
    ];
    if (padded) {
      parts.push(Buffer.alloc(1));
    }
    return parts;
  }
  const parts: Buffer[] = [elementHeader('OB', 0xffffffff)];
  // Basic Offset Table: one offset per frame (from the first byte of the first fragment item).
  const offsets = Buffer.alloc(4 * pixels.frames.length);
  let offset = 0;
  const fragments: Buffer[] = [];
  pixels.frames.forEach((frame, index) => {
    offsets.writeUInt32LE(offset, 4 * index);
    const padded = frame.length % 2 === 1;
    const length = frame.length + (padded ? 1 : 0);
    fragments.push(item(length), Buffer.from(frame.buffer, frame.byteOffset, frame.length));
    if (padded) {
      fragments.push(Buffer.alloc(1));
    }
    offset += 8 + length;
  });
  parts.push(item(offsets.length), offsets, ...fragments);
  const delimiter = Buffer.alloc(8);
  delimiter.writeUInt16LE(0xfffe, 0);
  delimiter.writeUInt16LE(0xe0dd, 2);
  parts.push(delimiter);
  return parts;
}

let codecs: typeof DcmjsCodecs | undefined;

async function loadCodecs(): Promise<typeof DcmjsCodecs> {
  if (codecs === undefined) {
    const loaded = require('dcmjs-codecs') as typeof DcmjsCodecs;
    if (!loaded.NativeCodecs.isInitialized()) {
      await loaded.NativeCodecs.initializeAsync();
    }
    codecs = loaded;
  }
  return codecs;
}

/** An image to encode: 8-bit, interleaved samples. */
export interface RasterFrame {
  readonly width: number;
  readonly height: number;
  /** 1 (grey) or 3 (RGB). */
  readonly samplesPerPixel: 1 | 3;
  readonly pixels: Uint8Array;
}

/**
 * Encodes frames as JPEG baseline (process 1). Colour frames are converted to YCbCr with 4:2:2 chroma
 * subsampling, so the dataset's Photometric Interpretation must be YBR_FULL_422.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.2.1
 */
export async function encodeJpegBaseline(
  frames: readonly RasterFrame[],
  quality = 92,
): Promise<Uint8Array[]> {
  const { Context, NativeCodecs, constants } = await loadCodecs();
  return frames.map((frame) => {
    const context = new Context({
      width: frame.width,
      height: frame.height,
      bitsAllocated: 8,
      bitsStored: 8,
      samplesPerPixel: frame.samplesPerPixel,
      pixelRepresentation: 0,
      planarConfiguration: 0,
      photometricInterpretation: frame.samplesPerPixel === 3 ? 'YBR_FULL_422' : 'MONOCHROME2',
      decodedBuffer: frame.pixels,
    });
    const encoded = NativeCodecs.encodeJpeg(context, {
      lossy: true,
      quality,
      sampleFactor: constants.JpegSampleFactor.Sf422,
    }).getEncodedBuffer();
    if (encoded === undefined) {
      throw new Error('JPEG encoder returned no data');
    }
    return new Uint8Array(encoded);
  });
}

/** Formats a number as a DICOM Decimal String (at most 16 characters). */
export function ds(value: number): string {
  if (!Number.isFinite(value)) {
    throw new RangeError(`not a finite number: ${value}`);
  }
  for (let digits = 10; digits >= 1; digits--) {
    const text = String(Number(value.toPrecision(digits)));
    if (text.length <= 16) {
      return text;
    }
  }
  return value.toExponential(6);
}
