/**
 * Pixel decoding of Part 10 files made in code: synthetic OP photographs (uncompressed: exact; JPEG baseline:
 * close), the same photograph transcoded by dcmjs-codecs to every lossless syntax (exact), and hand-built
 * native variants (planar configuration 1, YBR_FULL, MONOCHROME1 with high bits set, signed 16-bit,
 * multi-frame, deflated) and encapsulated multi-frame data without a Basic Offset Table.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import type DcmjsDefault from 'dcmjs';
import type * as DcmjsCodecs from 'dcmjs-codecs';
import {
  countFrames,
  decodeFrame,
  isDecodeFailure,
  readFrameFromFile,
  type DecodedFrame,
} from '../../src/imaging/index.ts';
import { generateFundus, generateFundusPixels } from '../../src/synth/index.ts';

const require = createRequire(import.meta.url);
const dcmjs = require('dcmjs') as typeof DcmjsDefault;
const codecs = require('dcmjs-codecs') as typeof DcmjsCodecs;
dcmjs.log.setLevel('error');

const secondaryCapture = '1.2.840.10008.5.1.4.1.1.7';
const explicitLittle = '1.2.840.10008.1.2.1';

function meta(transferSyntaxUid: string): Record<string, unknown> {
  return {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: secondaryCapture,
    MediaStorageSOPInstanceUID: '2.25.1234',
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: '2.25.5678',
    _vrMap: { FileMetaInformationVersion: 'OB' },
  };
}

/** Header (meta and data set without Pixel Data) written by dcmjs. */
function header(transferSyntaxUid: string, dataset: Record<string, unknown>): Buffer {
  const dict = new dcmjs.data.DicomDict(
    dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta(transferSyntaxUid)),
  );
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
    SOPClassUID: secondaryCapture,
    SOPInstanceUID: '2.25.1234',
    ...dataset,
  });
  return Buffer.from(dict.write());
}

function element(vr: 'OB' | 'OW', length: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16LE(0x7fe0, 0);
  out.writeUInt16LE(0x0010, 2);
  out.write(vr, 4, 'latin1');
  out.writeUInt32LE(length, 8);
  return out;
}

function item(length: number, tag = 0xe000): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(0xfffe, 0);
  out.writeUInt16LE(tag, 2);
  out.writeUInt32LE(length, 4);
  return out;
}

/** A Part 10 file with native pixel data. */
function nativeFile(dataset: Record<string, unknown>, bytes: Uint8Array, vr: 'OB' | 'OW' = 'OB'): Buffer {
  const padded = bytes.length % 2 === 1 ? Buffer.concat([bytes, Buffer.alloc(1)]) : Buffer.from(bytes);
  return Buffer.concat([header(explicitLittle, dataset), element(vr, padded.length), padded]);
}

/** A Part 10 file with encapsulated frames; without a Basic Offset Table each frame is split in two fragments. */
function encapsulatedFile(
  transferSyntaxUid: string,
  dataset: Record<string, unknown>,
  frames: readonly Uint8Array[],
  withOffsetTable: boolean,
): Buffer {
  const fragments: Buffer[] = [];
  const offsets: number[] = [];
  let position = 0;
  for (const frame of frames) {
    offsets.push(position);
    // Fragments other than the last of a frame must have even length (PS3.5 A.4).
    const half = (frame.length >> 2) << 1;
    const parts = withOffsetTable ? [frame] : [frame.subarray(0, half), frame.subarray(half)];
    for (const part of parts) {
      const even = part.length % 2 === 1 ? Buffer.concat([part, Buffer.alloc(1)]) : Buffer.from(part);
      fragments.push(item(even.length), even);
      position += 8 + even.length;
    }
  }
  const table = Buffer.alloc(withOffsetTable ? 4 * offsets.length : 0);
  offsets.forEach((offset, index) => {
    if (withOffsetTable) {
      table.writeUInt32LE(offset, 4 * index);
    }
  });
  return Buffer.concat([
    header(transferSyntaxUid, dataset),
    element('OB', 0xffffffff),
    item(table.length),
    table,
    ...fragments,
    item(0, 0xe0dd),
  ]);
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
  }
  return max;
}

function meanDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    sum += Math.abs(a[i]! - b[i]!);
  }
  return sum / a.length;
}

async function expectDecodeFailure(promise: Promise<DecodedFrame>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isDecodeFailure(error), String(error));
    return true;
  });
}

const mono8 = {
  SamplesPerPixel: 1,
  PhotometricInterpretation: 'MONOCHROME2',
  BitsAllocated: 8,
  BitsStored: 8,
  HighBit: 7,
  PixelRepresentation: 0,
};

describe('decodeFrame', () => {
  const size = { width: 320, height: 240 };
  const fundusOptions = { seed: 'decode', eye: 'R' as const, ...size };
  const truth = generateFundusPixels({ ...fundusOptions, anatomySeed: 'decode/anatomy' });

  it('decodes an uncompressed synthetic OP photograph exactly, with its pixel spacing', async () => {
    const fundus = await generateFundus(fundusOptions);
    const frame = await decodeFrame(fundus.part10);
    assert.equal(frame.rows, size.height);
    assert.equal(frame.columns, size.width);
    assert.equal(frame.samplesPerPixel, 3);
    assert.equal(frame.photometricInterpretation, 'RGB');
    assert.equal(frame.bitsAllocated, 8);
    assert.equal(maxDifference(frame.data, truth.rgb), 0);
    const spacing = 1 / truth.geometry.pxPerMm;
    assert.ok(frame.pixelSpacing !== undefined);
    assert.ok(
      Math.abs(frame.pixelSpacing[0] - spacing) < 1e-6 && Math.abs(frame.pixelSpacing[1] - spacing) < 1e-6,
    );
    assert.equal(countFrames(fundus.part10), 1);
  });

  it('decodes a JPEG baseline (YBR_FULL_422) synthetic OP photograph to RGB close to the original', async () => {
    const fundus = await generateFundus({ ...fundusOptions, transferSyntax: 'jpeg-baseline' });
    const frame = await decodeFrame(fundus.part10);
    assert.equal(frame.photometricInterpretation, 'RGB');
    assert.ok(meanDifference(frame.data, truth.rgb) < 3, `mean |Δ| ${meanDifference(frame.data, truth.rgb)}`);
    assert.ok(maxDifference(frame.data, truth.rgb) < 48);
  });

  it('decodes the photograph transcoded to every lossless encapsulated syntax exactly', async () => {
    await codecs.NativeCodecs.initializeAsync();
    const fundus = await generateFundus(fundusOptions);
    const source = Uint8Array.from(fundus.part10).buffer;
    const { TransferSyntax } = codecs.constants;
    for (const syntax of [
      TransferSyntax.JpegLosslessProcess14V1,
      TransferSyntax.JpegLsLossless,
      TransferSyntax.Jpeg2000Lossless,
      TransferSyntax.HtJpeg2000Lossless,
      TransferSyntax.RleLossless,
    ]) {
      const transcoder = new codecs.Transcoder(source);
      transcoder.transcode(syntax);
      const frame = await decodeFrame(new Uint8Array(transcoder.getDicomPart10()));
      assert.equal(frame.photometricInterpretation, 'RGB', syntax);
      assert.equal(maxDifference(frame.data, truth.rgb), 0, syntax);
    }
  });

  it('interleaves planar colour (Planar Configuration 1)', async () => {
    const pixels = 6 * 4;
    const rgb = new Uint8Array(3 * pixels).map((_, i) => (i * 7) % 256);
    const planar = new Uint8Array(3 * pixels);
    for (let i = 0; i < pixels; i++) {
      for (let c = 0; c < 3; c++) {
        planar[c * pixels + i] = rgb[3 * i + c]!;
      }
    }
    const file = nativeFile(
      {
        Rows: 4,
        Columns: 6,
        SamplesPerPixel: 3,
        PhotometricInterpretation: 'RGB',
        PlanarConfiguration: 1,
        BitsAllocated: 8,
        BitsStored: 8,
        HighBit: 7,
        PixelRepresentation: 0,
      },
      planar,
    );
    const frame = await decodeFrame(file);
    assert.deepEqual(Array.from(frame.data), Array.from(rgb));
  });

  it('converts YBR_FULL to RGB', async () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128, 200, 150, 100, 10, 20, 30];
    const ybr = new Uint8Array(rgb.length);
    for (let i = 0; i < rgb.length; i += 3) {
      const [r, g, b] = [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
      const clamp = (v: number): number => Math.min(255, Math.max(0, Math.round(v)));
      ybr[i] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
      ybr[i + 1] = clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
      ybr[i + 2] = clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
    }
    const file = nativeFile(
      {
        Rows: 2,
        Columns: 3,
        SamplesPerPixel: 3,
        PhotometricInterpretation: 'YBR_FULL',
        PlanarConfiguration: 0,
        BitsAllocated: 8,
        BitsStored: 8,
        HighBit: 7,
        PixelRepresentation: 0,
      },
      ybr,
    );
    const frame = await decodeFrame(file);
    assert.equal(frame.photometricInterpretation, 'RGB');
    assert.ok(maxDifference(frame.data, rgb) <= 2, `max |Δ| ${maxDifference(frame.data, rgb)}`);
  });

  it('masks unused high bits and inverts MONOCHROME1 (16-bit, 12 stored)', async () => {
    const stored = [0, 1, 2048, 4095, 100, 3000];
    const words = new Uint16Array(stored.map((value, i) => value | (i % 2 === 0 ? 0xf000 : 0)));
    const file = nativeFile(
      {
        Rows: 2,
        Columns: 3,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME1',
        BitsAllocated: 16,
        BitsStored: 12,
        HighBit: 11,
        PixelRepresentation: 0,
        PixelSpacing: [0.5, 0.25],
      },
      new Uint8Array(words.buffer),
      'OW',
    );
    const frame = await decodeFrame(file);
    assert.equal(frame.bitsAllocated, 16);
    assert.equal(frame.bitsStored, 12);
    assert.equal(frame.photometricInterpretation, 'MONOCHROME2');
    assert.ok(frame.data instanceof Uint16Array);
    assert.deepEqual(
      Array.from(frame.data),
      stored.map((value) => 4095 - value),
    );
    assert.deepEqual(frame.pixelSpacing, [0.5, 0.25]);
  });

  it('offsets signed values to unsigned keeping their order', async () => {
    const values = new Int16Array([-32768, -1, 0, 1, 32767, -200]);
    const file = nativeFile(
      {
        Rows: 1,
        Columns: 6,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: 1,
      },
      new Uint8Array(values.buffer),
      'OW',
    );
    const frame = await decodeFrame(file);
    assert.deepEqual(
      Array.from(frame.data),
      Array.from(values, (value) => value + 32768),
    );
  });

  it('picks the requested frame of multi-frame native data, and of deflated data', async () => {
    const frames = [0, 1, 2].map((f) => new Uint8Array(8 * 5).map((_, i) => (f * 50 + i) % 256));
    const dataset = { Rows: 5, Columns: 8, NumberOfFrames: 3, ...mono8 };
    const file = nativeFile(dataset, Buffer.concat(frames));
    assert.equal(countFrames(file), 3);
    assert.deepEqual(Array.from((await decodeFrame(file, 2)).data), Array.from(frames[2]!));
    assert.deepEqual(Array.from((await decodeFrame(file, 0)).data), Array.from(frames[0]!));
    await expectDecodeFailure(decodeFrame(file, 3));

    // Deflated Explicit VR Little Endian: the data set after the file meta group is a raw deflate stream.
    const metaLength = 144 + file.readUInt32LE(140);
    const deflatedMeta = new dcmjs.data.DicomDict(
      dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta('1.2.840.10008.1.2.1.99')),
    );
    deflatedMeta.dict = {};
    const deflated = Buffer.concat([
      Buffer.from(deflatedMeta.write()),
      deflateRawSync(file.subarray(metaLength)),
    ]);
    assert.equal(countFrames(deflated), 3);
    assert.deepEqual(Array.from((await decodeFrame(deflated, 1)).data), Array.from(frames[1]!));
  });

  it('groups fragments into frames when the Basic Offset Table is empty', async () => {
    await codecs.NativeCodecs.initializeAsync();
    const width = 40;
    const height = 30;
    const raw = [0, 1, 2].map((f) =>
      new Uint8Array(width * height).map((_, i) => (i * (f + 1) + f * 9) % 256),
    );
    const encoded = raw.map((pixels) => {
      const context = new codecs.Context({
        width,
        height,
        bitsAllocated: 8,
        bitsStored: 8,
        samplesPerPixel: 1,
        pixelRepresentation: 0,
        planarConfiguration: 0,
        photometricInterpretation: 'MONOCHROME2',
        decodedBuffer: pixels,
      });
      return new Uint8Array(codecs.NativeCodecs.encodeJpegLs(context, { lossy: false }).getEncodedBuffer()!);
    });
    const dataset = { Rows: height, Columns: width, NumberOfFrames: 3, ...mono8 };
    for (const withOffsetTable of [true, false]) {
      const file = encapsulatedFile('1.2.840.10008.1.2.4.80', dataset, encoded, withOffsetTable);
      for (const index of [0, 1, 2]) {
        const frame = await decodeFrame(file, index);
        assert.deepEqual(
          Array.from(frame.data),
          Array.from(raw[index]!),
          `frame ${index}, table ${withOffsetTable}`,
        );
      }
    }
  });

  it('reads a file from disk', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'fovea-decode-'));
    try {
      const fundus = await generateFundus(fundusOptions);
      const path = join(directory, 'op.dcm');
      writeFileSync(path, fundus.part10);
      const frame = await readFrameFromFile(path);
      assert.equal(maxDifference(frame.data, truth.rgb), 0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('fails with FOVEA_IMAGING_DECODE_FAILED on what it cannot decode', async () => {
    await expectDecodeFailure(decodeFrame(new Uint8Array(300).fill(7)));
    await expectDecodeFailure(decodeFrame(header(explicitLittle, { Rows: 2, Columns: 2, ...mono8 })));
    await expectDecodeFailure(
      decodeFrame(
        nativeFile(
          { Rows: 4, Columns: 4, ...mono8, PhotometricInterpretation: 'PALETTE COLOR' },
          new Uint8Array(16),
        ),
      ),
    );
    await expectDecodeFailure(decodeFrame(nativeFile({ Rows: 8, Columns: 8, ...mono8 }, new Uint8Array(10))));
    const unsupported = Buffer.concat([
      header('1.2.840.10008.1.2.4.100', { Rows: 2, Columns: 2, ...mono8 }),
      element('OB', 0xffffffff),
      item(0),
      item(4),
      Buffer.alloc(4),
      item(0, 0xe0dd),
    ]);
    await expectDecodeFailure(decodeFrame(unsupported));
    assert.equal(isDecodeFailure(new Error('other')), false);
  });
});
