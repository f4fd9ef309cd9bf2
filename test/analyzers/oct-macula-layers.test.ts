/**
 * The compact layer lines oct-macula keeps in its raw output for the review station (ILM, OPL/ONL, RPE, BM every
 * 4th A-scan, 0.1 px): on a full-size synthetic cube (49 × 496 × 512) they are the segmentation at the sampled
 * A-scans, close to the phantom's truth, and small enough to keep with every analysis (the JSON size is printed).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  analyzeOctVolume,
  layerLinesOf,
  layerNames,
  rawLayerNames,
  sampledAScans,
  type OctMaculaResult,
  type RawLayerLines,
} from '../../src/analyzers/oct-macula/index.ts';
import { generateOctVolumePixels, type OctVolumePixels } from '../../src/synth/index.ts';

describe('oct-macula raw layer lines', () => {
  let volume: OctVolumePixels;
  let result: OctMaculaResult;
  let lines: RawLayerLines;

  before(() => {
    volume = generateOctVolumePixels({ seed: 'layers-1', eye: 'R', fluid: ['srf'] });
    result = analyzeOctVolume(
      {
        frames: volume.frames,
        rows: volume.rows,
        columns: volume.columns,
        voxels: volume.voxels,
        axialSpacingMm: volume.axialSpacingMm,
        lateralSpacingMm: volume.lateralSpacingMm,
        frameSpacingMm: volume.frameSpacingMm,
      },
      'R',
    );
    lines = layerLinesOf(result.segmentation);
  });

  it('samples every 4th A-scan and the last one', () => {
    assert.deepEqual(sampledAScans(9), [0, 4, 8]);
    assert.deepEqual(sampledAScans(10), [0, 4, 8, 9]);
    assert.equal(lines.aScans.length, 129);
    assert.equal(lines.aScans.at(-1), volume.columns - 1);
  });

  it('keeps the segmentation of each B-scan at the sampled A-scans to 0.05 px, near the truth', (t) => {
    assert.deepEqual(Object.keys(lines.layers), [...rawLayerNames]);
    const { frames, columns } = volume;
    for (const name of rawLayerNames) {
      const perFrame = lines.layers[name]!;
      assert.equal(perFrame.length, frames);
      const layer = layerNames.indexOf(name);
      let worst = 0;
      let truthError = 0;
      let count = 0;
      for (let frame = 0; frame < frames; frame++) {
        for (const [index, column] of lines.aScans.entries()) {
          const kept = perFrame[frame]![index];
          assert.ok(typeof kept === 'number' && Number.isInteger(kept), `${name} frame ${frame + 1}`);
          const segmented =
            result.segmentation.boundaries[(frame * layerNames.length + layer) * columns + column]!;
          worst = Math.max(worst, Math.abs(kept / 10 - segmented));
          truthError += Math.abs(kept / 10 - volume.truth.boundaries[name][frame]![column]!);
          count++;
        }
      }
      assert.ok(worst <= 0.05 + 1e-9, `${name}: rounding only (${worst})`);
      const mae = truthError / count;
      t.diagnostic(`${name}: MAE against the truth ${mae.toFixed(2)} px over ${count} samples`);
      assert.ok(mae < 1, `${name} MAE ${mae.toFixed(2)} px`);
    }
  });

  it('stays under 200 kB of JSON for a 49 × 496 × 512 cube', (t) => {
    const bytes = Buffer.byteLength(JSON.stringify(lines));
    t.diagnostic(
      `layer lines of ${volume.frames} × ${volume.rows} × ${volume.columns}: ${bytes} bytes of JSON`,
    );
    assert.ok(bytes < 200_000, `${bytes} bytes`);
  });
});
