/**
 * The oct-macula layer segmentation on the real Heidelberg Spectralis line scan in ../shared/data/oct
 * (never copied here): ILM and Bruch's membrane against the device's own segmentation stored in the file,
 * over the A-scans where the device has a boundary. Skipped when the data is absent, a failure under CI.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { layerIndex, segmentVolume } from '../../src/analyzers/oct-macula/index.ts';
import { parseVol } from '../../src/dicom/vendor/heidelberg-vol.ts';
import { underCi } from '../peers/peers.ts';
import { sharedDataDir } from './fundus-quality-data.ts';

const linescan = join(sharedDataDir, 'oct/Linescan_1.vol');
const present = existsSync(linescan);
if (!present && underCi) {
  throw new Error('the real OCT data (../shared/data/oct/Linescan_1.vol) is required under CI');
}
const skip = present ? false : 'the real OCT data (../shared/data/oct/Linescan_1.vol) is not present';

describe('oct-macula on the real Spectralis line scan', { skip }, () => {
  it('finds the ILM and BM within 2 px (mean absolute difference) of the device', (t) => {
    const vol = parseVol(readFileSync(linescan));
    const bScan = vol.bScans[0]!;
    const columns = vol.header.sizeX;
    const started = performance.now();
    const segmentation = segmentVolume({
      frames: 1,
      rows: vol.header.sizeZ,
      columns,
      voxels: bScan.display,
      axialSpacingMm: vol.header.scaleZMm,
      lateralSpacingMm: vol.header.scaleXMm,
      frameSpacingMm: 0,
    });
    t.diagnostic(
      `segmentation of one ${columns}×${vol.header.sizeZ} B-scan: ${(performance.now() - started).toFixed(0)} ms`,
    );
    // The device's lines are in pixel-centre rows; ours put row 0 at the top edge of the first row.
    const compare = (
      layer: 'ILM' | 'BM',
      device: Float32Array,
    ): { mae: number; bias: number; count: number } => {
      let sum = 0;
      let bias = 0;
      let count = 0;
      for (let c = 0; c < columns; c++) {
        if (!Number.isFinite(device[c]!)) {
          continue;
        }
        const difference = segmentation.boundaries[layerIndex[layer] * columns + c]! - (device[c]! + 0.5);
        sum += Math.abs(difference);
        bias += difference;
        count++;
      }
      return { mae: sum / count, bias: bias / count, count };
    };
    const ilm = compare('ILM', bScan.boundaries[0]!);
    const bm = compare('BM', bScan.boundaries[1]!);
    t.diagnostic(
      `ILM: mean absolute difference ${ilm.mae.toFixed(2)} px, bias ${ilm.bias.toFixed(2)} px over ${ilm.count} A-scans`,
    );
    t.diagnostic(
      `BM: mean absolute difference ${bm.mae.toFixed(2)} px, bias ${bm.bias.toFixed(2)} px over ${bm.count} A-scans`,
    );
    assert.ok(ilm.count > 700 && bm.count > 600);
    assert.ok(ilm.mae <= 2, `ILM ${ilm.mae.toFixed(2)} px`);
    assert.ok(bm.mae <= 2, `BM ${bm.mae.toFixed(2)} px`);
  });
});
