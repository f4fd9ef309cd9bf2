/**
 * The Heidelberg `.vol` reader: a file built here byte by byte (every header field checked), the errors for
 * foreign and truncated input, and the real Spectralis export in ../shared/data/oct when it is present.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseVol, toDisplay, VolFormatError } from './heidelberg-vol.ts';

function buildVol(): Uint8Array {
  const sizeX = 4;
  const sizeZ = 3;
  const slo = 2;
  const headerSize = 256 + 2 * sizeX * 4;
  const bytes = new Uint8Array(2048 + slo * slo + headerSize + sizeX * sizeZ * 4);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) {
      bytes[offset + i] = text.charCodeAt(i);
    }
  };
  ascii(0, 'HSF-OCT-103');
  view.setInt32(12, sizeX, true);
  view.setInt32(16, 1, true);
  view.setInt32(20, sizeZ, true);
  view.setFloat64(24, 0.0118, true);
  view.setFloat64(32, 0.12, true);
  view.setFloat64(40, 0.00387, true);
  view.setInt32(48, slo, true);
  view.setInt32(52, slo, true);
  view.setFloat64(56, 0.0118, true);
  view.setFloat64(64, 0.0118, true);
  view.setInt32(72, 30, true);
  view.setFloat64(76, -1.5, true);
  ascii(84, 'OS');
  // 2017-01-11T14:27:41.621Z as a Windows FILETIME.
  view.setBigInt64(88, 131286184616210000n, true);
  view.setInt32(96, 1, true);
  view.setInt32(100, headerSize, true);
  ascii(104, 'ID1');
  ascii(140, 'PAT');
  view.setFloat64(164, 18904, true);
  bytes.set([10, 20, 30, 40], 2048);
  const b = 2048 + slo * slo;
  ascii(b, 'HSF-BS-103');
  view.setInt32(b + 12, headerSize, true);
  view.setFloat64(b + 16, 1, true);
  view.setFloat64(b + 24, 2, true);
  view.setFloat64(b + 32, 3, true);
  view.setFloat64(b + 40, 2, true);
  view.setInt32(b + 48, 2, true);
  view.setInt32(b + 52, 256, true);
  view.setFloat32(b + 56, 30.5, true);
  for (let i = 0; i < sizeX; i++) {
    view.setFloat32(b + 256 + 4 * i, 1 + i, true);
    view.setFloat32(b + 256 + 4 * (sizeX + i), i === 0 ? 3.4028234663852886e38 : 2.5, true);
  }
  const data = b + headerSize;
  const values = [0, 1, 0.0625, Number.NaN, 2, -1, 3.4028234663852886e38, 0.5, 0, 0, 0, 0];
  values.forEach((value, i) => {
    view.setFloat32(data + 4 * i, value, true);
  });
  return bytes;
}

describe('Heidelberg .vol reader', () => {
  it('reads the header, the SLO, the B-scan header, the boundaries and the intensities', () => {
    const vol = parseVol(buildVol());
    assert.equal(vol.header.version, 'HSF-OCT-103');
    assert.equal(vol.header.sizeX, 4);
    assert.equal(vol.header.sizeZ, 3);
    assert.equal(vol.header.numBScans, 1);
    assert.equal(vol.header.scaleZMm, 0.00387);
    assert.equal(vol.header.distanceMm, 0.12);
    assert.equal(vol.header.fieldSizeSloDeg, 30);
    assert.equal(vol.header.scanFocusDpt, -1.5);
    assert.equal(vol.header.scanPosition, 'OS');
    assert.equal(vol.header.examTime?.toISOString(), '2017-01-11T14:27:41.621Z');
    assert.equal(vol.header.id, 'ID1');
    assert.equal(vol.header.patientId, 'PAT');
    assert.equal(vol.header.dateOfBirthOle, 18904);
    assert.equal(vol.eye, 'L');
    assert.deepEqual([...vol.slo], [10, 20, 30, 40]);
    const bScan = vol.bScans[0]!;
    assert.equal(bScan.numSeg, 2);
    assert.equal(bScan.quality, 30.5);
    assert.deepEqual([bScan.startXMm, bScan.startYMm, bScan.endXMm, bScan.endYMm], [1, 2, 3, 2]);
    assert.deepEqual([...bScan.boundaries[0]!], [1, 2, 3, 4]);
    assert.ok(Number.isNaN(bScan.boundaries[1]![0]!));
    assert.equal(bScan.boundaries[1]![1], 2.5);
    // Display: 255·v^0.25; NaN, negative and missing values are 0; above 1 clipped to 255.
    assert.deepEqual([...bScan.display.subarray(0, 8)], [0, 255, 128, 0, 255, 0, 0, 214]);
    assert.ok(Number.isNaN(bScan.intensities[6]!));
  });

  it('converts linear intensity to display values as Heidelberg does', () => {
    assert.deepEqual(
      [...toDisplay(new Float32Array([0, 0.0001, 0.0625, 1, 4, Number.NaN]))],
      [0, 25, 128, 255, 255, 0],
    );
  });

  it('rejects a foreign or truncated file with a reason', () => {
    const foreign = buildVol();
    foreign.set([0x58], 0);
    assert.throws(() => parseVol(foreign), VolFormatError);
    assert.throws(() => parseVol(buildVol().subarray(0, 2100)), /truncated/);
    assert.throws(() => parseVol(new Uint8Array(100)), VolFormatError);
  });

  const linescan = resolve(import.meta.dirname, '../../../../shared/data/oct/Linescan_1.vol');
  it(
    'reads the real Spectralis line scan',
    { skip: existsSync(linescan) ? false : 'Linescan_1.vol absent' },
    () => {
      const vol = parseVol(readFileSync(join(linescan)));
      assert.equal(vol.header.version, 'HSF-OCT-103');
      assert.deepEqual([vol.header.sizeX, vol.header.sizeZ, vol.header.numBScans], [768, 496, 1]);
      assert.deepEqual([vol.header.sizeXSlo, vol.header.sizeYSlo], [768, 768]);
      assert.equal(vol.eye, 'R');
      const bScan = vol.bScans[0]!;
      assert.equal(bScan.numSeg, 3);
      const finite = (line: Float32Array): number => line.filter((value) => Number.isFinite(value)).length;
      assert.equal(finite(bScan.boundaries[0]!), 759);
      assert.equal(finite(bScan.boundaries[1]!), 633);
      assert.equal(bScan.display.length, 768 * 496);
    },
  );
});
