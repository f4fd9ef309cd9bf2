/**
 * Accuracy of the oct-macula core on synthetic OCT phantoms (src/synth, ground truth per A-scan): normal eyes
 * of both sides, IRF, DME, SRF, PED and all three together, at the generator's noise and with added noise.
 * The bounds are issue 5's acceptance bounds; the measured figures are printed as diagnostics.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  analyzeOctVolume,
  analyzer,
  sliceSpacingOf,
  etdrsSubfields,
  layerIndex,
  layerNames,
  subfieldAt,
  subfieldMap,
  type OctMaculaResult,
} from '../../src/analyzers/oct-macula/index.ts';
import { createSteepPathScratch, traceSteepPath } from '../../src/analyzers/oct-macula/steep-path.ts';
import { validateOutput, type AnalysisCase, type CaseInstance } from '../../src/analyzers/sdk/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { DecodedFrame } from '../../src/imaging/index.ts';
import { boundaryNames, generateOctVolumePixels, type FluidType } from '../../src/synth/index.ts';
import type { OctVolumePixels } from '../../src/synth/index.ts';

interface Phantom {
  readonly name: string;
  readonly volume: OctVolumePixels;
  readonly voxels: Uint8Array;
  readonly result: OctMaculaResult;
}

/** Adds zero-mean Gaussian noise (display units) with a fixed seed. */
function withNoise(voxels: Uint8Array, sigma: number, seed: number): Uint8Array {
  if (sigma === 0) {
    return voxels;
  }
  const out = new Uint8Array(voxels.length);
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < voxels.length; i++) {
    const gaussian = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = Math.max(0, Math.min(255, Math.round(voxels[i]! + sigma * gaussian)));
  }
  return out;
}

const cases: readonly {
  name: string;
  seed: string;
  eye: 'R' | 'L';
  fluid: FluidType[];
  dme?: boolean;
  noise: number;
}[] = [
  { name: 'normal R', seed: 'n1', eye: 'R', fluid: [], noise: 0 },
  { name: 'normal L, noise 10', seed: 'n2', eye: 'L', fluid: [], noise: 10 },
  { name: 'IRF L', seed: 'i1', eye: 'L', fluid: ['irf'], noise: 0 },
  { name: 'DME R, noise 6', seed: 'd1', eye: 'R', fluid: [], dme: true, noise: 6 },
  { name: 'SRF R', seed: 's1', eye: 'R', fluid: ['srf'], noise: 0 },
  { name: 'PED L, noise 6', seed: 'p1', eye: 'L', fluid: ['ped'], noise: 6 },
  { name: 'IRF+SRF+PED R', seed: 'm1', eye: 'R', fluid: ['irf', 'srf', 'ped'], noise: 0 },
];

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * p;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

function boundaryMae(phantom: Phantom, layer: (typeof layerNames)[number]): number {
  const { volume, result } = phantom;
  const truthIndex = boundaryNames.indexOf(layer);
  let sum = 0;
  for (let f = 0; f < volume.frames; f++) {
    for (let c = 0; c < volume.columns; c++) {
      const found =
        result.segmentation.boundaries[(f * layerNames.length + layerIndex[layer]) * volume.columns + c]!;
      sum += Math.abs(
        found - volume.boundaries[(f * volume.columns + c) * boundaryNames.length + truthIndex]!,
      );
    }
  }
  return sum / (volume.frames * volume.columns);
}

const fluidKindNames = ['irf', 'srf', 'ped'] as const;

/** Label-aware Dice of a fluid mask against the truth (all compartments, and per compartment). */
function fluidOverlap(
  truth: Uint8Array,
  found: Uint8Array,
): { dice: number; kinds: string; truthCount: number; foundCount: number } {
  let both = 0;
  let truthCount = 0;
  let foundCount = 0;
  const perKind = fluidKindNames.map(() => ({ both: 0, truth: 0, found: 0 }));
  for (let i = 0; i < truth.length; i++) {
    const a = truth[i]!;
    const b = found[i]!;
    if (a !== 0) {
      truthCount++;
      perKind[a - 1]!.truth++;
    }
    if (b !== 0) {
      foundCount++;
      perKind[b - 1]!.found++;
    }
    if (a !== 0 && a === b) {
      both++;
      perKind[a - 1]!.both++;
    }
  }
  const kinds = fluidKindNames
    .map((kind, k) => {
      const entry = perKind[k]!;
      return entry.truth === 0
        ? ''
        : `${kind} ${((2 * entry.both) / (entry.truth + entry.found)).toFixed(3)}`;
    })
    .filter((text) => text !== '')
    .join(' ');
  return { dice: (2 * both) / Math.max(1, truthCount + foundCount), kinds, truthCount, foundCount };
}

describe('oct-macula on synthetic OCT phantoms', () => {
  const phantoms: Phantom[] = [];
  before(() => {
    cases.forEach((entry, index) => {
      const volume = generateOctVolumePixels({
        seed: entry.seed,
        eye: entry.eye,
        fluid: entry.fluid,
        ...(entry.dme === true ? { dme: true } : {}),
      });
      const voxels = withNoise(volume.voxels, entry.noise, 1000 + index);
      const result = analyzeOctVolume(
        {
          frames: volume.frames,
          rows: volume.rows,
          columns: volume.columns,
          voxels,
          axialSpacingMm: volume.axialSpacingMm,
          lateralSpacingMm: volume.lateralSpacingMm,
          frameSpacingMm: volume.frameSpacingMm,
        },
        entry.eye,
      );
      phantoms.push({ name: entry.name, volume, voxels, result });
    });
  });

  it('finds the ILM and the RPE within 1.5 px (mean absolute error) on every phantom', (t) => {
    for (const phantom of phantoms) {
      const figures = layerNames.map((layer) => `${layer} ${boundaryMae(phantom, layer).toFixed(2)}`);
      t.diagnostic(`${phantom.name}: MAE px ${figures.join(', ')}`);
    }
    for (const phantom of phantoms) {
      assert.ok(boundaryMae(phantom, 'ILM') <= 1.5, `${phantom.name}: ILM`);
      assert.ok(boundaryMae(phantom, 'RPE') <= 1.5, `${phantom.name}: RPE`);
    }
  });

  it('measures CST (ILM→BM) within 5 µm median and 10 µm 95th percentile', (t) => {
    const errors = phantoms.map((phantom) => {
      const error = Math.abs(phantom.result.ilmBm.cstUm - phantom.volume.truth.centralSubfieldThicknessUm);
      const fovea = phantom.result.fovea;
      const truth = phantom.volume.truth.geometry.fovea;
      t.diagnostic(
        `${phantom.name}: CST ${phantom.result.ilmBm.cstUm.toFixed(1)} µm (truth ` +
          `${phantom.volume.truth.centralSubfieldThicknessUm.toFixed(1)}), error ${error.toFixed(2)} µm; fovea ` +
          `frame ${fovea.frame.toFixed(2)} column ${fovea.column.toFixed(1)} (truth ${truth.frame}, ${truth.column}); ` +
          `total volume ${phantom.result.ilmBm.totalVolumeMm3.toFixed(3)} mm³ (truth ${phantom.volume.truth.totalMacularVolumeMm3})`,
      );
      return error;
    });
    t.diagnostic(
      `CST abs error: median ${percentile(errors, 0.5).toFixed(2)} µm, p95 ${percentile(errors, 0.95).toFixed(2)} µm`,
    );
    assert.ok(percentile(errors, 0.5) <= 5);
    assert.ok(percentile(errors, 0.95) <= 10);
  });

  it('measures subfield thickness and total volume close to the truth', () => {
    for (const phantom of phantoms) {
      for (const name of etdrsSubfields) {
        const error = Math.abs(phantom.result.ilmBm.subfields[name] - phantom.volume.truth.etdrs[name]);
        assert.ok(error <= 10, `${phantom.name} ${name}: ${error.toFixed(1)} µm`);
      }
      const volumeError = Math.abs(
        phantom.result.ilmBm.totalVolumeMm3 - phantom.volume.truth.totalMacularVolumeMm3,
      );
      assert.ok(volumeError <= 0.1, `${phantom.name}: total volume off by ${volumeError.toFixed(3)} mm³`);
    }
  });

  function relativeErrors(t: { diagnostic(message: string): void }): { name: string; error: number }[] {
    const out: { name: string; error: number }[] = [];
    for (const phantom of phantoms) {
      for (const kind of fluidKindNames) {
        const truth = phantom.volume.truth.fluid[kind].volumeMm3;
        const found = phantom.result.fluid[kind].volumeMm3;
        if (truth >= 0.05) {
          const error = Math.abs(found - truth) / truth;
          out.push({ name: `${phantom.name} ${kind}`, error });
          t.diagnostic(
            `${phantom.name} ${kind}: ${found.toFixed(4)} mm³ (${phantom.result.fluid[kind].volumeNl.toFixed(1)} nl) ` +
              `vs truth ${truth.toFixed(4)} mm³, relative error ${(100 * error).toFixed(1)} %, max height ` +
              `${phantom.result.fluid[kind].maxHeightUm.toFixed(0)} µm`,
          );
        } else if (found > 0.01) {
          t.diagnostic(
            `${phantom.name} ${kind}: ${found.toFixed(4)} mm³ found where the truth has ${truth.toFixed(4)}`,
          );
        }
      }
    }
    return out;
  }

  it('measures IRF, SRF and PED volumes ≥ 0.05 mm³ within 10 %', (t) => {
    const errors = relativeErrors(t);
    assert.ok(errors.length >= 6);
    for (const { name, error } of errors) {
      assert.ok(error <= 0.1, `${name}: ${(100 * error).toFixed(1)} %`);
    }
  });

  it('segments fluid with Dice ≥ 0.85 (all compartments, label-aware) on every phantom with fluid', (t) => {
    for (const phantom of phantoms) {
      const overlap = fluidOverlap(phantom.volume.labels, phantom.result.fluidMask.labels);
      if (overlap.truthCount * phantom.volume.truth.voxelVolumeMm3 < 0.05) {
        t.diagnostic(
          `${phantom.name}: ${overlap.foundCount} fluid voxels found, truth ${overlap.truthCount}`,
        );
        continue;
      }
      t.diagnostic(`${phantom.name}: Dice ${overlap.dice.toFixed(3)} (${overlap.kinds})`);
      assert.ok(overlap.dice >= 0.85, `${phantom.name}: Dice ${overlap.dice.toFixed(3)}`);
    }
  });

  it('finds no fluid in normal eyes and calls every phantom gradable', () => {
    for (const phantom of phantoms) {
      assert.equal(phantom.result.quality.verdict, 'gradable', phantom.name);
      if (phantom.name.startsWith('normal')) {
        const total =
          phantom.result.fluid.irf.volumeMm3 +
          phantom.result.fluid.srf.volumeMm3 +
          phantom.result.fluid.ped.volumeMm3;
        assert.ok(total < 0.005, `${phantom.name}: ${total.toFixed(4)} mm³ of fluid`);
      }
    }
  });

  it('calls a volume with the retina cut off by the window ungradable', () => {
    const { volume } = phantoms[0]!;
    // Shift every B-scan up so that the retina leaves the top of the window.
    const shift = 140;
    const frameSize = volume.rows * volume.columns;
    const voxels = new Uint8Array(volume.voxels.length);
    for (let f = 0; f < volume.frames; f++) {
      voxels.set(
        volume.voxels.subarray(f * frameSize + shift * volume.columns, (f + 1) * frameSize),
        f * frameSize,
      );
    }
    const result = analyzeOctVolume({ ...volume, voxels }, 'R');
    assert.equal(result.quality.verdict, 'ungradable');
    assert.ok(result.quality.reasons.includes('field-of-view'));
  });
});

describe('ETDRS grid orientation', () => {
  it('puts nasal towards the disc: image right for a right eye, image left for a left eye', () => {
    assert.equal(subfieldAt(1, 0), 'IN');
    assert.equal(subfieldAt(-1, 0), 'IT');
    assert.equal(subfieldAt(0, -2), 'OS');
    assert.equal(subfieldAt(0, 2), 'OI');
    assert.equal(subfieldAt(0.2, 0.2), 'CSF');
    assert.equal(subfieldAt(3.5, 0), undefined);
    const geometry = { frames: 3, columns: 61, lateralSpacingMm: 0.1, frameSpacingMm: 0.1 };
    const fovea = { frame: 1, column: 30, xMm: 0, yMm: 0 };
    const right = subfieldMap({ ...geometry, nasalSign: 1 }, fovea);
    const left = subfieldMap({ ...geometry, nasalSign: -1 }, fovea);
    const at = (map: Int8Array, column: number): string => etdrsSubfields[map[61 + column]!]!;
    assert.equal(at(right, 50), 'ON');
    assert.equal(at(right, 10), 'OT');
    assert.equal(at(left, 50), 'OT');
    assert.equal(at(left, 10), 'ON');
  });
});

describe('oct-macula analyzer', () => {
  it('produces valid per-eye findings from decoded frames', async () => {
    const volume = generateOctVolumePixels({
      seed: 'a1',
      eye: 'L',
      frames: 25,
      columns: 256,
      fluid: ['srf'],
    });
    const instance: CaseInstance = {
      sopInstanceUid: '2.25.1',
      sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.4',
      seriesInstanceUid: '2.25.2',
      modality: 'OPT',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      numberOfFrames: volume.frames,
      rows: volume.rows,
      columns: volume.columns,
      spoolPath: 'x.dcm',
    };
    const analysisCase: AnalysisCase = {
      studyInstanceUid: '2.25.3',
      site: 'test',
      eyes: [
        { eye: 'R', instances: [] },
        { eye: 'L', instances: [instance] },
      ],
      bothEyes: [],
      unknownEye: [],
      assembledAt: new Date(0),
      priors: [],
    };
    assert.equal(analyzer.isApplicable(analysisCase).applicable, true);
    const frameSize = volume.rows * volume.columns;
    const output = await analyzer.analyze(analysisCase, {
      logger: silentLogger,
      signal: new AbortController().signal,
      tempDir: '/tmp',
      pixels: {
        frame(_instance, frameIndex = 0): Promise<DecodedFrame> {
          return Promise.resolve({
            rows: volume.rows,
            columns: volume.columns,
            samplesPerPixel: 1,
            bitsAllocated: 8,
            photometricInterpretation: 'MONOCHROME2',
            data: volume.voxels.subarray(frameIndex * frameSize, (frameIndex + 1) * frameSize),
            pixelSpacing: [volume.axialSpacingMm, volume.lateralSpacingMm],
          });
        },
        dataset(): Promise<Readonly<Record<string, unknown>>> {
          return Promise.resolve({
            SharedFunctionalGroupsSequence: [
              { PixelMeasuresSequence: [{ SpacingBetweenSlices: String(volume.frameSpacingMm) }] },
            ],
          });
        },
      },
    });
    assert.deepEqual(validateOutput(analyzer.manifest, analysisCase, output), []);
    const keys = output.findings.map((finding) => finding.key);
    assert.ok(keys.includes('oct-quality') && keys.includes('cst') && keys.includes('srf-volume'));
    const cst = output.findings.find((finding) => finding.key === 'cst')!;
    assert.equal(cst.eye, 'L');
    assert.ok(cst.value.kind === 'measurement' && cst.value.unit.value === 'um');
    assert.ok(
      cst.value.kind === 'measurement' &&
        Math.abs(cst.value.value - volume.truth.centralSubfieldThicknessUm) < 20,
    );
    const raw = output.raw as {
      eyes: { geometry: { frameSpacingAssumed: boolean; frameSpacingMm: number } }[];
    };
    assert.equal(raw.eyes[0]!.geometry.frameSpacingAssumed, false);
    assert.equal(raw.eyes[0]!.geometry.frameSpacingMm, 0.24);
  });

  it('reads Spacing Between Slices from the shared functional groups or the top level', () => {
    assert.equal(
      sliceSpacingOf({
        SharedFunctionalGroupsSequence: [{ PixelMeasuresSequence: [{ SpacingBetweenSlices: 0.12 }] }],
      }),
      0.12,
    );
    assert.equal(sliceSpacingOf({ SpacingBetweenSlices: '0.0625' }), 0.0625);
    assert.equal(sliceSpacingOf({}), undefined);
  });
});

describe('oct-macula on held-out phantoms (seeds not used while tuning)', () => {
  const fluids: readonly FluidType[][] = [[], ['irf'], ['srf'], ['ped'], ['irf', 'srf', 'ped']];
  const results: { name: string; volume: OctVolumePixels; result: OctMaculaResult }[] = [];
  before(() => {
    for (let i = 0; i < 10; i++) {
      const eye = i % 2 === 1 ? 'L' : 'R';
      const volume = generateOctVolumePixels({ seed: `w${i}`, eye, fluid: fluids[i % 5]!, dme: i === 6 });
      const result = analyzeOctVolume({ ...volume }, eye);
      results.push({
        name: `w${i} ${eye} ${fluids[i % 5]!.join('+') || (i === 6 ? 'dme' : 'normal')}`,
        volume,
        result,
      });
    }
  });

  it('finds the ILM and the RPE within 1.5 px on every held-out phantom', (t) => {
    for (const { name, volume, result } of results) {
      const mae = (layer: 'ILM' | 'RPE'): number =>
        boundaryMae({ name, volume, voxels: volume.voxels, result }, layer);
      t.diagnostic(`${name}: ILM ${mae('ILM').toFixed(2)} px, RPE ${mae('RPE').toFixed(2)} px`);
    }
    for (const { name, volume, result } of results) {
      const phantom = { name, volume, voxels: volume.voxels, result };
      assert.ok(boundaryMae(phantom, 'ILM') <= 1.5 && boundaryMae(phantom, 'RPE') <= 1.5, name);
    }
  });

  it('measures CST within 5 µm median and 10 µm 95th percentile', (t) => {
    const errors = results.map(({ name, volume, result }) => {
      const error = Math.abs(result.ilmBm.cstUm - volume.truth.centralSubfieldThicknessUm);
      t.diagnostic(`${name}: CST error ${error.toFixed(2)} µm`);
      return error;
    });
    t.diagnostic(
      `held-out CST abs error: median ${percentile(errors, 0.5).toFixed(2)} µm, p95 ${percentile(errors, 0.95).toFixed(2)} µm`,
    );
    assert.ok(percentile(errors, 0.5) <= 5);
    assert.ok(percentile(errors, 0.95) <= 10);
  });

  it('measures fluid volumes ≥ 0.05 mm³ within 10 %', (t) => {
    const failures: string[] = [];
    for (const { name, volume, result } of results) {
      for (const kind of fluidKindNames) {
        const truth = volume.truth.fluid[kind].volumeMm3;
        if (truth < 0.05) {
          continue;
        }
        const error = (result.fluid[kind].volumeMm3 - truth) / truth;
        t.diagnostic(`${name} ${kind}: relative error ${(100 * error).toFixed(1)} %`);
        if (Math.abs(error) > 0.1) {
          failures.push(`${name} ${kind}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('segments fluid with Dice ≥ 0.85 on every held-out phantom with fluid', (t) => {
    let measured = 0;
    for (const { name, volume, result } of results) {
      const overlap = fluidOverlap(volume.labels, result.fluidMask.labels);
      if (overlap.truthCount * volume.truth.voxelVolumeMm3 < 0.05) {
        t.diagnostic(`${name}: ${overlap.foundCount} fluid voxels found, truth ${overlap.truthCount}`);
        continue;
      }
      measured++;
      t.diagnostic(`${name}: Dice ${overlap.dice.toFixed(3)} (${overlap.kinds})`);
      assert.ok(overlap.dice >= 0.85, `${name}: Dice ${overlap.dice.toFixed(3)}`);
    }
    assert.ok(measured >= 6);
  });
});

describe('steep boundary paths', () => {
  // A line on row 50, and a brighter one on row 10 over columns 10–29 (a dome with vertical walls).
  const rows = 60;
  const columns = 40;
  const cost = new Float32Array(rows * columns);
  for (let c = 0; c < columns; c++) {
    cost[50 * columns + c] = 100;
    if (c >= 10 && c < 30) {
      cost[10 * columns + c] = 150;
    }
  }
  const trace = (steepPenalty: number): number[] => {
    const out = new Int32Array(columns);
    traceSteepPath(
      cost,
      -1,
      createSteepPathScratch(rows, columns),
      new Int32Array(columns).fill(0),
      new Int32Array(columns).fill(rows - 1),
      { smallStep: 3, smallPenalty: 2, steepPenalty },
      out,
    );
    return [...out];
  };

  it('climbs a wall of 40 rows between two columns when the top is worth it', () => {
    const path = trace(10);
    assert.deepEqual(path.slice(8, 12), [50, 50, 10, 10]);
    assert.deepEqual(path.slice(28, 32), [10, 10, 50, 50]);
  });

  it('stays down when each row of the climb costs more than the top gains', () => {
    // 2 × (6 + 37 × 60) > 20 columns × 50 of extra brightness.
    assert.ok(trace(60).every((row) => row === 50));
  });
});
