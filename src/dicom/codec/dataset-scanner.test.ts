import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { FoveaError } from '../../core/errors.ts';
import { makeOphthalmicPhotograph, makeOphthalmicTomography } from '../../../test/fixtures/dicom-files.ts';
import { generateOctVolume, generateVisualField } from '../../synth/index.ts';
import { DatasetScanner, scanBuffer } from './dataset-scanner.ts';
import { readInstanceHeader } from './instance-header.ts';
import { TransferSyntax } from './transfer-syntax.ts';

function scanInChunks(data: Buffer, sizes: (index: number) => number) {
  const scanner = new DatasetScanner({ part10: true });
  let offset = 0;
  let index = 0;
  while (offset < data.length) {
    const size = Math.max(1, sizes(index++));
    scanner.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return scanner.end();
}

function expectMalformed(run: () => unknown, code = 'FOVEA_DICOM_MALFORMED'): void {
  assert.throws(run, (error: unknown) => error instanceof FoveaError && error.code === code);
}

describe('DatasetScanner', () => {
  it('reads the header of explicit, implicit and JPEG photographs, whatever the chunking', async () => {
    for (const transferSyntax of ['explicit', 'implicit', 'jpeg'] as const) {
      const fixture = await makeOphthalmicPhotograph({ transferSyntax, eye: 'L', patientId: 'P-42' });
      const whole = readInstanceHeader(scanBuffer(fixture.part10, { part10: true }));
      assert.equal(whole.sopInstanceUid, fixture.sopInstanceUid);
      assert.equal(whole.studyInstanceUid, fixture.studyInstanceUid);
      assert.equal(whole.seriesInstanceUid, fixture.seriesInstanceUid);
      assert.equal(whole.transferSyntaxUid, fixture.transferSyntaxUid);
      assert.equal(whole.patientId, 'P-42');
      assert.equal(whole.modality, 'OP');
      assert.equal(whole.eye, 'L');
      assert.equal(whole.rows, 64);
      for (const size of [1, 3, 7, 128, 4096]) {
        const chunked = readInstanceHeader(scanInChunks(fixture.part10, () => size));
        assert.deepEqual(chunked, whole, `${transferSyntax} in chunks of ${size}`);
      }
    }
  });

  it('splits at every byte position of a small file', async () => {
    const fixture = await makeOphthalmicPhotograph({ rows: 8, columns: 8 });
    const reference = scanBuffer(fixture.part10, { part10: true });
    for (let split = 1; split < fixture.part10.length; split++) {
      const result = scanInChunks(fixture.part10, (index) => (index === 0 ? split : fixture.part10.length));
      assert.equal(result.datasetBytes, reference.datasetBytes);
      assert.deepEqual(readInstanceHeader(result), readInstanceHeader(reference));
    }
  });

  it('finds Frame Laterality inside the functional group sequences', () => {
    const fixture = makeOphthalmicTomography({ eye: 'R' });
    const header = readInstanceHeader(scanBuffer(fixture.part10, { part10: true }));
    assert.equal(header.frameLaterality, 'R');
    assert.equal(header.eye, 'R');
    assert.equal(header.numberOfFrames, 4);
    assert.equal(header.modality, 'OPT');
  });

  it('resolves the eye of synthetic visual fields (Measurement Laterality) and OCT volumes', async () => {
    for (const eye of ['R', 'L'] as const) {
      const field = readInstanceHeader(
        scanBuffer(generateVisualField({ seed: 7, eye }).part10, { part10: true }),
      );
      assert.equal(field.measurementLaterality, eye);
      assert.equal(field.eye, eye);
      assert.equal(field.modality, 'OPV');
      const { oct } = await generateOctVolume({ seed: 3, eye, frames: 5, columns: 64, rows: 128 });
      const volume = readInstanceHeader(scanBuffer(oct.part10, { part10: true }));
      assert.equal(volume.eye, eye);
      assert.equal(volume.numberOfFrames, 5);
    }
  });

  it('reads a bare data set after the meta group, and a deflated one', async () => {
    const fixture = await makeOphthalmicPhotograph();
    const meta = scanBuffer(fixture.part10, { part10: true }).meta!;
    const dataset = fixture.part10.subarray(meta.byteLength);
    const bare = scanBuffer(dataset, {
      part10: false,
      transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
    });
    assert.equal(readInstanceHeader(bare).sopInstanceUid, fixture.sopInstanceUid);
    const deflated = deflateRawSync(dataset);
    const scanner = new DatasetScanner({
      part10: false,
      transferSyntaxUid: TransferSyntax.DeflatedExplicitVRLittleEndian,
    });
    scanner.push(deflated.subarray(0, 10));
    scanner.push(deflated.subarray(10));
    const result = scanner.end();
    assert.equal(readInstanceHeader(result).sopInstanceUid, fixture.sopInstanceUid);
    assert.equal(result.datasetBytes, deflated.length);
  });

  it('rejects truncated and malformed data', async () => {
    const fixture = await makeOphthalmicPhotograph();
    const jpeg = await makeOphthalmicPhotograph({ transferSyntax: 'jpeg' });
    const cases: [string, Buffer, string?][] = [
      ['empty', Buffer.alloc(0)],
      ['only a preamble', fixture.part10.subarray(0, 132)],
      ['not DICOM', Buffer.from('hello world, this is not a DICOM file at all'.repeat(5))],
      ['truncated in pixel data', fixture.part10.subarray(0, fixture.part10.length - 10)],
      ['truncated in an element header', fixture.part10.subarray(0, 400)],
      ['truncated JPEG fragments', jpeg.part10.subarray(0, jpeg.part10.length - 8)],
    ];
    for (const [name, data, code] of cases) {
      expectMalformed(() => scanBuffer(data, { part10: true }), code);
      assert.ok(name);
    }
    const badVr = Buffer.from(fixture.part10);
    const meta = scanBuffer(fixture.part10, { part10: true }).meta!;
    badVr.write('zz', meta.byteLength + 4, 'latin1');
    expectMalformed(() => scanBuffer(badVr, { part10: true }));
  });

  it('rejects an unsupported transfer syntax', async () => {
    const fixture = await makeOphthalmicPhotograph();
    const text = fixture.part10.toString('latin1');
    const at = text.indexOf(TransferSyntax.ExplicitVRLittleEndian + '\0');
    const patched = Buffer.from(fixture.part10);
    patched.write('1.2.840.10008.1.2.2\0', at, 'latin1');
    expectMalformed(() => scanBuffer(patched, { part10: true }), 'FOVEA_DICOM_TRANSFER_SYNTAX_UNSUPPORTED');
  });

  it('reports missing identifiers with the keyword', async () => {
    const fixture = await makeOphthalmicPhotograph();
    const text = fixture.part10.toString('latin1');
    const patched = Buffer.from(fixture.part10);
    const at = text.indexOf(fixture.studyInstanceUid, 300);
    patched.fill(0x20, at, at + fixture.studyInstanceUid.length);
    assert.throws(
      () => readInstanceHeader(scanBuffer(patched, { part10: true })),
      (error: unknown) => error instanceof FoveaError && error.path === 'StudyInstanceUID',
    );
  });
});
