/**
 * oct-macula change since the prior: the latest earlier volume of the same eye is found among the Case's
 * priors, both are measured, and ΔCST / Δ fluid follow the synthetic truth; a new subretinal fluid pocket is
 * "worse" (referable), the same eye imaged again without change is "no significant change". Also: a gradable
 * volume with fluid carries its run-length fluid mask in the raw output, equal to the analyzer's own labels;
 * and with the default triage measurement rules the eye with subfoveal SRF is referable for centre-involving
 * fluid while the normal eye gets no bucket.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  analyzeOctVolume,
  analyzer,
  changeThresholds,
  latestPriorVolume,
  macularChange,
  ophthalmicTomographySopClassUid,
} from '../../src/analyzers/oct-macula/index.ts';
import {
  validateOutput,
  type AnalysisCase,
  type AnalyzerOutput,
  type Case,
  type CaseInstance,
} from '../../src/analyzers/sdk/index.ts';
import { defaultMeasurementRules } from '../../src/config/schema.ts';
import type { AnalysisRecord, Finding } from '../../src/core/finding.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { ruleSuggestions, triageStudy } from '../../src/core/triage.ts';
import { decodeLabelRuns, isEncodedLabels, type DecodedFrame } from '../../src/imaging/index.ts';
import { generateOctVolumePixels, type FluidType, type OctVolumePixels } from '../../src/synth/index.ts';

const size = { frames: 25, columns: 256 } as const;

function volumeOf(visit: string, fluid: FluidType[]): OctVolumePixels {
  return generateOctVolumePixels({
    seed: `change/${visit}`,
    anatomySeed: 'change-eye',
    eye: 'R',
    fluid,
    ...size,
  });
}

function instanceOf(uid: string, volume: OctVolumePixels): CaseInstance {
  return {
    sopInstanceUid: uid,
    sopClassUid: ophthalmicTomographySopClassUid,
    seriesInstanceUid: `${uid}.1`,
    modality: 'OPT',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    numberOfFrames: volume.frames,
    rows: volume.rows,
    columns: volume.columns,
    spoolPath: `${uid}.dcm`,
  };
}

function caseOf(studyInstanceUid: string, studyDate: string, instance: CaseInstance): Case {
  return {
    studyInstanceUid,
    studyDate,
    site: 'test',
    eyes: [
      { eye: 'R', instances: [instance] },
      { eye: 'L', instances: [] },
    ],
    bothEyes: [],
    unknownEye: [],
    assembledAt: new Date(0),
  };
}

/** Runs the analyzer with frames served from the given volumes (by SOP Instance UID). */
async function run(
  analysisCase: AnalysisCase,
  volumes: ReadonlyMap<string, OctVolumePixels>,
): Promise<AnalyzerOutput> {
  return analyzer.analyze(analysisCase, {
    logger: silentLogger,
    signal: new AbortController().signal,
    tempDir: '/tmp',
    pixels: {
      frame(instance, frameIndex = 0): Promise<DecodedFrame> {
        const volume = volumes.get(instance.sopInstanceUid)!;
        const frameSize = volume.rows * volume.columns;
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
      dataset(instance): Promise<Readonly<Record<string, unknown>>> {
        const volume = volumes.get(instance.sopInstanceUid)!;
        return Promise.resolve({ SpacingBetweenSlices: String(volume.frameSpacingMm) });
      },
    },
  });
}

describe('oct-macula change since the prior', () => {
  const baseline = volumeOf('baseline', []);
  const repeat = volumeOf('repeat', []);
  const withSrf = volumeOf('srf', ['srf']);
  const volumes = new Map([
    ['2.25.101', baseline],
    ['2.25.102', repeat],
    ['2.25.103', withSrf],
  ]);
  const older = caseOf('2.25.11', '20240110', instanceOf('2.25.101', baseline));
  const later = caseOf('2.25.12', '20250110', instanceOf('2.25.102', repeat));
  const current = caseOf('2.25.13', '20260110', instanceOf('2.25.103', withSrf));
  let worse: AnalyzerOutput;
  let stable: AnalyzerOutput;

  before(async () => {
    worse = await run({ ...current, priors: [older, later] }, volumes);
    stable = await run({ ...later, priors: [older] }, volumes);
  });

  it('picks the latest earlier volume of the eye, whatever the order of the priors', () => {
    const isVolume = (instance: CaseInstance): boolean => instance.modality === 'OPT';
    for (const priors of [
      [older, later],
      [later, older],
    ]) {
      assert.equal(latestPriorVolume({ ...current, priors }, 'R', isVolume)?.studyInstanceUid, '2.25.12');
    }
    assert.equal(latestPriorVolume({ ...current, priors: [older, later] }, 'L', isVolume), undefined);
    const future = caseOf('2.25.14', '20270110', instanceOf('2.25.104', baseline));
    assert.equal(
      latestPriorVolume({ ...later, priors: [future, older] }, 'R', isVolume)?.studyInstanceUid,
      '2.25.11',
    );
  });

  it('reports ΔCST and Δ fluid close to the truth, and a new SRF pocket as worse and referable', (t) => {
    assert.deepEqual(validateOutput(analyzer.manifest, { ...current, priors: [older, later] }, worse), []);
    const value = (key: string): number => {
      const finding = worse.findings.find((entry) => entry.key === key);
      assert.ok(finding?.value.kind === 'measurement', key);
      return finding.value.value;
    };
    const truthCst = withSrf.truth.centralSubfieldThicknessUm - repeat.truth.centralSubfieldThicknessUm;
    const truthSrf = withSrf.truth.fluid.srf.volumeMm3 - repeat.truth.fluid.srf.volumeMm3;
    t.diagnostic(`ΔCST measured ${value('cst-change').toFixed(1)} µm, truth ${truthCst.toFixed(1)} µm`);
    t.diagnostic(
      `ΔSRF measured ${value('srf-volume-change').toFixed(4)} mm³, truth ${truthSrf.toFixed(4)} mm³`,
    );
    assert.ok(Math.abs(value('cst-change') - truthCst) <= 10, 'ΔCST within 10 µm of the truth');
    assert.ok(truthSrf >= 0.05, 'the phantom has a real SRF pocket');
    assert.ok(Math.abs(value('srf-volume-change') - truthSrf) <= 0.15 * truthSrf, 'ΔSRF within 15 %');
    const verdict = worse.findings.find((entry) => entry.key === 'change-since-prior');
    assert.ok(verdict?.value.kind === 'classification');
    assert.equal(verdict.value.value.value, 'WORSE');
    assert.equal(verdict.triage?.bucket, 'referable');
    assert.deepEqual(verdict.sourceSopInstanceUids, ['2.25.103']);
    const raw = worse.raw as { eyes: { changeSincePrior: { priorSopInstanceUid: string; fluid: string } }[] };
    assert.equal(raw.eyes[0]!.changeSincePrior.priorSopInstanceUid, '2.25.102');
    assert.equal(raw.eyes[0]!.changeSincePrior.fluid, 'increase');
  });

  it('calls a repeat scan of an unchanged eye "no significant change", within the repeatability limit', (t) => {
    const cst = stable.findings.find((entry) => entry.key === 'cst-change');
    assert.ok(cst?.value.kind === 'measurement');
    t.diagnostic(
      `repeat scan ΔCST ${cst.value.value.toFixed(2)} µm (threshold ${changeThresholds.cstMinimumUm} µm)`,
    );
    assert.ok(Math.abs(cst.value.value) < changeThresholds.cstMinimumUm / 2);
    const verdict = stable.findings.find((entry) => entry.key === 'change-since-prior');
    assert.ok(verdict?.value.kind === 'classification');
    assert.equal(verdict.value.value.value, 'NO-SIG-CHANGE');
    assert.equal(verdict.triage, undefined);
  });

  it('says so when there is no prior, and gives no change findings', async () => {
    const output = await run({ ...older, priors: [] }, volumes);
    assert.equal(
      output.findings.some((entry) => entry.key.endsWith('change') || entry.key === 'change-since-prior'),
      false,
    );
    const raw = output.raw as { eyes: { changeSincePrior: { compared: boolean; reason: string } }[] };
    assert.deepEqual(raw.eyes[0]!.changeSincePrior, {
      compared: false,
      reason: 'no prior macular OCT volume of this eye',
    });
  });

  it('flags CST changes from max(20 µm, 10 % of the prior CST) on', () => {
    const result = analyzeOctVolume(
      {
        frames: repeat.frames,
        rows: repeat.rows,
        columns: repeat.columns,
        voxels: repeat.voxels,
        axialSpacingMm: repeat.axialSpacingMm,
        lateralSpacingMm: repeat.lateralSpacingMm,
        frameSpacingMm: repeat.frameSpacingMm,
      },
      'R',
    );
    const shifted = (cstUm: number): typeof result => ({ ...result, ilmBm: { ...result.ilmBm, cstUm } });
    const threshold = Math.max(20, 0.1 * result.ilmBm.cstUm);
    assert.equal(macularChange(shifted(result.ilmBm.cstUm + threshold + 0.5), result).cst, 'increase');
    assert.equal(macularChange(shifted(result.ilmBm.cstUm + threshold - 0.5), result).cst, 'none');
    assert.equal(macularChange(shifted(result.ilmBm.cstUm - threshold - 0.5), result).cst, 'decrease');
  });

  it('keeps the fluid mask of a volume with fluid in the raw output, run-length encoded', () => {
    const raw = worse.raw as { eyes: { fluidLabels?: unknown }[] };
    const encoded = raw.eyes[0]!.fluidLabels;
    assert.ok(isEncodedLabels(encoded));
    assert.deepEqual(encoded.shape, [withSrf.frames, withSrf.rows, withSrf.columns]);
    const labels = decodeLabelRuns(encoded);
    let srf = 0;
    let overlap = 0;
    for (let i = 0; i < labels.length; i++) {
      srf += labels[i] === 2 ? 1 : 0;
      overlap += labels[i] === 2 && withSrf.labels[i] === 2 ? 1 : 0;
    }
    const srfVolume = worse.findings.find((entry) => entry.key === 'srf-volume');
    assert.ok(srfVolume?.value.kind === 'measurement');
    const voxelMm3 = withSrf.axialSpacingMm * withSrf.lateralSpacingMm * withSrf.frameSpacingMm;
    assert.ok(Math.abs(srf * voxelMm3 - srfVolume.value.value) < 1e-3, 'the mask is the one measured');
    assert.ok(overlap / srf > 0.85, 'the mask lies on the truth');
    const stableRaw = stable.raw as { eyes: { fluidLabels?: unknown }[] };
    assert.equal(stableRaw.eyes[0]!.fluidLabels, undefined, 'no mask without fluid');
  });

  it('is referable for centre-involving fluid under the default triage rules; the normal eye gets no bucket', (t) => {
    const record = (output: AnalyzerOutput): AnalysisRecord => {
      const provenance = {
        analyzerId: analyzer.manifest.id,
        analyzerVersion: analyzer.manifest.version,
        modelHash: analyzer.manifest.modelHash,
        inputSopInstanceUids: [],
        startedAt: new Date(0),
        finishedAt: new Date(0),
      };
      const findings: Finding[] = output.findings
        .filter((draft) => draft.key !== 'change-since-prior')
        .map((draft, index) => ({
          ...draft,
          id: `f${index}`,
          studyInstanceUid: '2.25.9',
          analysisId: 'an',
          provenance,
          status: 'preliminary',
          createdAt: new Date(0),
        }));
      return {
        id: 'an',
        studyInstanceUid: '2.25.9',
        analyzerId: 'oct-macula',
        analyzerVersion: analyzer.manifest.version,
        useCase: 'dme-quantification',
        phase: 'assistive',
        status: 'succeeded',
        findings,
        raw: null,
        provenance,
      };
    };
    const policy = { releaseConfidence: 0.9, measurementRules: defaultMeasurementRules };
    const fluid = triageStudy('2.25.9', [record(worse)], policy, new Date(0));
    const central = worse.findings.find((entry) => entry.key === 'central-fluid-volume');
    assert.ok(central?.value.kind === 'measurement');
    t.diagnostic(
      `central subfield IRF+SRF ${central.value.value} mm³, truth SRF total ${withSrf.truth.fluid.srf.volumeMm3.toFixed(4)} mm³`,
    );
    assert.equal(fluid?.bucket, 'referable');
    const centralRecord = record(worse).findings.find((entry) => entry.key === 'central-fluid-volume')!;
    assert.deepEqual(
      ruleSuggestions(centralRecord, defaultMeasurementRules).map((suggestion) => suggestion.reason),
      [`centre-involving macular fluid (${central.value.value} mm3)`],
      'the central fluid rule fires on its own',
    );
    assert.equal(triageStudy('2.25.9', [record(stable)], policy, new Date(0)), undefined);
  });
});
