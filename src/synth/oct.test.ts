import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type DcmjsDefault from 'dcmjs';
import {
  boundaryNames,
  decodeRle,
  etdrsSubfield,
  fluidLabels,
  generateOctCircleScan,
  generateOctCircleScanPixels,
  generateOctVolume,
  generateOctVolumePixels,
  rnflClockHour,
  rnflQuadrant,
} from './index.ts';
import type { BoundaryName, OctVolumePixels, OctVolumeTruth } from './index.ts';

const dcmjs = createRequire(import.meta.url)('dcmjs') as typeof DcmjsDefault;
dcmjs.log.setLevel('error');

const small = { frames: 25, columns: 256, rows: 384 } as const;

/** Mean thickness (µm) between two boundaries over the A-scans within 0.5 mm of the fovea, from the truth file. */
function centralSubfield(truth: OctVolumeTruth, inner: BoundaryName, outer: BoundaryName): number {
  const g = truth.geometry;
  const sign = g.columnOrder === 'temporal-to-nasal' ? 1 : -1;
  let sum = 0;
  let n = 0;
  for (let f = 0; f < g.frames; f++) {
    for (let c = 0; c < g.columns; c++) {
      const x = sign * (c - g.fovea.column) * g.lateralSpacingMm;
      const y = (f - g.fovea.frame) * g.frameSpacingMm;
      if (etdrsSubfield(x, y) === 'CSF') {
        const top = truth.boundaries[inner][f]![c]!;
        const bottom = truth.boundaries[outer][f]![c]!;
        sum += (bottom - top) * g.axialSpacingUm;
        n++;
      }
    }
  }
  return sum / n;
}

function voxel(volume: OctVolumePixels, frame: number, row: number, column: number): number {
  return volume.voxels[(frame * volume.rows + row) * volume.columns + column]!;
}

describe('synthetic OCT cube', () => {
  it('has ordered boundaries, a foveal pit and a normal CST', () => {
    const volume = generateOctVolumePixels({ seed: 'normal', eye: 'R', ...small });
    const { truth } = volume;
    for (let f = 0; f < small.frames; f++) {
      for (let c = 0; c < small.columns; c++) {
        for (let b = 1; b < boundaryNames.length; b++) {
          const above = truth.boundaries[boundaryNames[b - 1]!][f]![c]!;
          const below = truth.boundaries[boundaryNames[b]!][f]![c]!;
          assert.ok(below >= above, `${boundaryNames[b]} below ${boundaryNames[b - 1]} at ${f},${c}`);
        }
        assert.ok(truth.boundaries.ILM[f]![c]! > 0 && truth.boundaries.CSI[f]![c]! < small.rows);
      }
    }
    assert.ok(
      truth.centralSubfieldThicknessUm > 230 && truth.centralSubfieldThicknessUm < 310,
      `CST ${truth.centralSubfieldThicknessUm}`,
    );
    assert.ok(truth.centralPointThicknessUm < truth.etdrs.IN, 'foveal pit thinner than the inner ring');
    assert.ok(truth.totalMacularVolumeMm3 > 7 && truth.totalMacularVolumeMm3 < 10.5);
    assert.equal(truth.fluid.irf.voxels + truth.fluid.srf.voxels + truth.fluid.ped.voxels, 0);
  });

  it('reports the CST that the written boundaries give', () => {
    const { truth } = generateOctVolumePixels({ seed: 'cst', eye: 'L', fluid: ['srf'], ...small });
    const recomputed = centralSubfield(truth, 'ILM', 'BM');
    assert.ok(
      Math.abs(recomputed - truth.centralSubfieldThicknessUm) < 0.01,
      `${recomputed} vs ${truth.centralSubfieldThicknessUm}`,
    );
    const ilmRpe = centralSubfield(truth, 'ILM', 'RPE');
    assert.ok(Math.abs(ilmRpe - truth.etdrsIlmRpe.CSF) < 0.01);
    // Round-tripped through the JSON file.
    const reread = JSON.parse(JSON.stringify(truth)) as OctVolumeTruth;
    assert.ok(Math.abs(centralSubfield(reread, 'ILM', 'BM') - truth.centralSubfieldThicknessUm) < 0.01);
  });

  it('has image edges where the truth puts the boundaries', () => {
    const volume = generateOctVolumePixels({ seed: 'edges', eye: 'R', ...small });
    const { truth } = volume;
    let above = 0;
    let below = 0;
    let rpe = 0;
    let onl = 0;
    let n = 0;
    for (let f = 2; f < small.frames; f += 5) {
      for (let c = 10; c < small.columns; c += 17) {
        const ilm = Math.round(truth.boundaries.ILM[f]![c]!);
        const rpeRow = Math.round(truth.boundaries.RPE[f]![c]!);
        const onlRow = Math.round((truth.boundaries['OPL-ONL'][f]![c]! + truth.boundaries.ELM[f]![c]!) / 2);
        for (let k = 2; k <= 4; k++) {
          above += voxel(volume, f, ilm - k, c);
          below += voxel(volume, f, ilm + k - 1, c);
        }
        rpe += voxel(volume, f, rpeRow + 1, c) + voxel(volume, f, rpeRow + 2, c);
        onl += voxel(volume, f, onlRow, c) + voxel(volume, f, onlRow + 1, c);
        n++;
      }
    }
    assert.ok(below / n > above / n + 60, `vitreous ${above / (3 * n)} vs RNFL ${below / (3 * n)}`);
    assert.ok(rpe / n > onl / n + 60, `RPE ${rpe / (2 * n)} vs ONL ${onl / (2 * n)}`);
  });

  it('labels fluid voxels that are dark, and their volume is voxels × voxel volume', () => {
    const volume = generateOctVolumePixels({
      seed: 'fluid',
      eye: 'R',
      fluid: ['irf', 'srf', 'ped'],
      dme: true,
      ...small,
    });
    const { truth } = volume;
    const mask = decodeRle(truth.fluidMask);
    assert.ok(Buffer.from(mask).equals(Buffer.from(volume.labels)));
    const voxelVolume = truth.voxelVolumeMm3;
    const fromSpacing =
      truth.geometry.lateralSpacingMm *
      truth.geometry.frameSpacingMm *
      (truth.geometry.axialSpacingUm / 1000);
    assert.ok(Math.abs(voxelVolume - fromSpacing) / voxelVolume < 1e-4);
    for (const type of ['irf', 'srf', 'ped'] as const) {
      const count = mask.reduce((n, v) => n + (v === fluidLabels[type] ? 1 : 0), 0);
      assert.ok(count > 100, `${type} voxels ${count}`);
      assert.equal(truth.fluid[type].voxels, count);
      assert.ok(Math.abs(truth.fluid[type].volumeMm3 - count * voxelVolume) < 1e-6);
      assert.ok(Math.abs(truth.fluid[type].volumeNl - count * voxelVolume * 1000) < 1e-3);
    }
    // Fluid is hyporeflective: darker than the retina around it.
    let fluidSum = 0;
    let fluidN = 0;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] !== 0) {
        fluidSum += volume.voxels[i]!;
        fluidN++;
      }
    }
    const rpeMean = (() => {
      let s = 0;
      let n = 0;
      for (let f = 0; f < small.frames; f++) {
        for (let c = 0; c < small.columns; c += 8) {
          s += voxel(volume, f, Math.round(truth.boundaries.RPE[f]![c]!) + 1, c);
          n++;
        }
      }
      return s / n;
    })();
    assert.ok(fluidSum / fluidN < rpeMean - 80, `fluid ${fluidSum / fluidN} vs RPE ${rpeMean}`);
    // Fluid thickens the central retina.
    assert.ok(truth.centralSubfieldThicknessUm > 320);
  });

  it('is deterministic and writes the cube and its SLO with frame geometry', async () => {
    const a = await generateOctVolume({ seed: 'dicom', eye: 'L', ...small, frames: 7 });
    const b = await generateOctVolume({ seed: 'dicom', eye: 'L', ...small, frames: 7 });
    assert.ok(a.oct.part10.equals(b.oct.part10));
    assert.ok(a.slo.part10.equals(b.slo.part10));
    assert.equal(a.slo.studyInstanceUid, a.oct.studyInstanceUid);
    assert.equal(a.slo.truth.octSopInstanceUid, a.oct.sopInstanceUid);
    const part10 = a.oct.part10;
    const dict = dcmjs.data.DicomMessage.readFile(new Uint8Array(part10).buffer);
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    assert.equal(ds.Modality, 'OPT');
    assert.equal(Number(ds.NumberOfFrames), 7);
    const shared = (ds.SharedFunctionalGroupsSequence as Record<string, unknown>[])[0]!;
    const measures = (shared.PixelMeasuresSequence as Record<string, unknown>[])[0]!;
    const spacing = (measures.PixelSpacing as (string | number)[]).map(Number);
    assert.ok(Math.abs(spacing[0]! - 0.00387) < 1e-6);
    assert.ok(Math.abs(spacing[1]! - 6 / small.columns) < 1e-6);
    const perFrame = ds.PerFrameFunctionalGroupsSequence as Record<string, unknown>[];
    assert.equal(perFrame.length, 7);
    const z = perFrame.map((frame) => {
      const position = (frame.PlanePositionSequence as Record<string, unknown>[])[0]!
        .ImagePositionPatient as (string | number)[];
      return Number(position[2]);
    });
    for (let f = 1; f < z.length; f++) {
      assert.ok(Math.abs(z[f - 1]! - z[f]! - 6 / 7) < 1e-4, 'frames evenly spaced, superior first');
    }
    const location = (perFrame[3]!.OphthalmicFrameLocationSequence as Record<string, unknown>[])[0]!;
    assert.equal(location.ReferencedSOPInstanceUID, a.slo.sopInstanceUid);
    const pixels = new Uint8Array((ds.PixelData as ArrayBuffer[])[0]!);
    const reference = generateOctVolumePixels({
      seed: 'dicom',
      eye: 'L',
      ...small,
      frames: 7,
      anatomySeed: 'dicom/anatomy',
    });
    assert.ok(Buffer.from(pixels).equals(Buffer.from(reference.voxels)));
  });
});

describe('synthetic circle scan', () => {
  it('knows the RNFL per sector and thins it in glaucoma', () => {
    const normal = generateOctCircleScanPixels({ seed: 'rnfl', eye: 'R', columns: 384 });
    const t = normal.truth.rnfl;
    assert.ok(t.averageUm > 80 && t.averageUm < 115, `average ${t.averageUm}`);
    assert.ok(t.quadrants.S > t.quadrants.T && t.quadrants.I > t.quadrants.N, 'double hump');
    // Recompute from the written boundaries.
    const b = normal.truth.boundaries;
    let sumI = 0;
    let nI = 0;
    for (let c = 0; c < 384; c++) {
      const thickness = (b['RNFL-GCL'][c]! - b.ILM[c]!) * normal.truth.geometry.axialSpacingUm;
      assert.ok(Math.abs(thickness - t.perAScanUm[c]!) < 0.01);
      if (rnflQuadrant((360 * (c + 0.5)) / 384) === 'I') {
        sumI += thickness;
        nI++;
      }
    }
    assert.ok(Math.abs(sumI / nI - t.quadrants.I) < 0.01);
    assert.equal(t.clockHours.length, 12);
    assert.equal(rnflClockHour(0, 'R'), 9);
    assert.equal(rnflClockHour(0, 'L'), 3);
    assert.equal(rnflClockHour(90, 'R'), 12);
    const glaucoma = generateOctCircleScanPixels({ seed: 'rnfl', eye: 'R', columns: 384, inferiorLoss: 0.6 });
    assert.ok(glaucoma.truth.rnfl.quadrants.I < t.quadrants.I - 25);
    assert.ok(Math.abs(glaucoma.truth.rnfl.quadrants.N - t.quadrants.N) < 8);
  });

  it('writes a one-frame OPT registered to a disc-centred SLO', async () => {
    const { oct, slo } = await generateOctCircleScan({ seed: 'circle', eye: 'L', columns: 384 });
    assert.equal(oct.modality, 'OPT');
    assert.equal(slo.truth.scanPattern, 'circle');
    const centre = slo.truth.size / 2;
    assert.ok(
      Math.hypot(slo.truth.disc.x - centre, slo.truth.disc.y - centre) < 2,
      'SLO centred on the disc',
    );
    assert.equal(oct.truth.slo.pathRowColumn.length, 74);
  });
});
