/**
 * The OCT fluid Segmentation: dciodvfy (zero Error lines), dcentvfy against the source OPT, dcmdump, and a
 * dcmjs read-back whose unpacked masks must equal the input labels frame by frame, each frame referencing
 * its source B-scan. The source is a synthetic OPT cube with all three fluid compartments.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NaturalDataset } from 'dcmjs';
import { requirePeer, run, which } from '../../../test/peers/peers.ts';
import { decodeRle, generateOctVolume, makePatient, makeStudy } from '../../synth/index.ts';
import type { OctVolumeTruth, SynthObject } from '../../synth/index.ts';
import { readSourceStudyContext } from '../sr/source-study.ts';
import {
  buildOctFluidSegmentation,
  fluidLabelValues,
  segCodes,
  segmentationSopClassUid,
  unpackBinaryFrame,
} from './oct-fluid-segmentation.ts';
import type {
  FluidCompartment,
  OctFluidSegmentationInput,
  OctSourceVolume,
} from './oct-fluid-segmentation.ts';
import { readSegPart10 } from './part10.ts';

const temp = mkdtempSync(join(tmpdir(), 'fovea-seg-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});

let oct: SynthObject;
let labels: Uint8Array;
let withoutFrameOfReference: OctFluidSegmentationInput;
let withFrameOfReference: OctFluidSegmentationInput;
const files: { name: string; file: string }[] = [];

function items(dataset: NaturalDataset | undefined, keyword: string): NaturalDataset[] {
  const value = dataset?.[keyword];
  return Array.isArray(value)
    ? (value as NaturalDataset[])
    : value === undefined
      ? []
      : [value as NaturalDataset];
}

function numbers(value: unknown): number[] {
  return (Array.isArray(value) ? value : [value]).map(Number);
}

function pixelBytes(dataset: NaturalDataset): Uint8Array {
  const value = dataset.PixelData;
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (first instanceof ArrayBuffer) {
    return new Uint8Array(first);
  }
  if (ArrayBuffer.isView(first)) {
    return new Uint8Array(first.buffer, first.byteOffset, first.byteLength);
  }
  throw new Error('no Pixel Data');
}

before(async () => {
  const patient = makePatient({ seed: 'seg-test' });
  const study = makeStudy({ seed: 'seg-test' });
  oct = (
    await generateOctVolume({
      seed: 'seg-test',
      eye: 'L',
      patient,
      study,
      frames: 7,
      columns: 96,
      rows: 128,
      fluid: ['irf', 'srf', 'ped'],
    })
  ).oct;
  const truth = oct.truth as unknown as OctVolumeTruth;
  labels = decodeRle(truth.fluidMask);
  const [frames = 0, rows = 0, columns = 0] = truth.fluidMask.shape;
  const header = readSegPart10(oct.part10);
  const shared = items(header, 'SharedFunctionalGroupsSequence')[0];
  const measures = items(shared, 'PixelMeasuresSequence')[0];
  const spacing = numbers(measures?.PixelSpacing);
  const source: OctSourceVolume = {
    study: readSourceStudyContext(oct.part10),
    seriesInstanceUid: oct.seriesInstanceUid,
    sopInstanceUid: oct.sopInstanceUid,
    sopClassUid: oct.sopClassUid,
    eye: 'L',
    frames,
    rows,
    columns,
    pixelSpacingMm: [spacing[0] ?? 0, spacing[1] ?? 0],
  };
  const base = {
    labels,
    device: {
      uid: '2.25.95308216133416152212390786386358163233',
      name: 'FOVEA-TEST',
      softwareVersion: '0.1.0',
    },
    algorithm: { analyzerId: 'oct-macula', analyzerVersion: '0.3.0', modelHash: 'cd'.repeat(32) },
    seriesInstanceUid: '2.25.274718101539035227893958232227011542811',
    seriesNumber: 9201,
    instanceNumber: 1,
    contentDateTime: new Date('2026-01-10T09:00:06Z'),
  };
  withoutFrameOfReference = {
    ...base,
    source,
    sopInstanceUid: '2.25.86006291567306069126815367658347452881',
  };
  withFrameOfReference = {
    ...base,
    instanceNumber: 2,
    sopInstanceUid: '2.25.116353898575264591911217719934582151937',
    source: {
      ...source,
      frameOfReferenceUid: String(header.FrameOfReferenceUID),
      imageOrientationPatient: numbers(items(shared, 'PlaneOrientationSequence')[0]?.ImageOrientationPatient),
      imagePositionsPatient: items(header, 'PerFrameFunctionalGroupsSequence').map((frame) =>
        numbers(items(frame, 'PlanePositionSequence')[0]?.ImagePositionPatient),
      ),
      sliceThicknessMm: Number(measures?.SliceThickness),
    },
  };
  writeFileSync(join(temp, 'source-opt.dcm'), oct.part10);
  for (const [name, input] of [
    ['seg-derivation-only', withoutFrameOfReference],
    ['seg-frame-of-reference', withFrameOfReference],
  ] as const) {
    const bytes = buildOctFluidSegmentation(input);
    assert.ok(bytes);
    const file = join(temp, `${name}.dcm`);
    writeFileSync(file, bytes);
    files.push({ name, file });
  }
});

describe('OCT fluid SEG content', () => {
  it('reads back (dcmjs) to the input masks, each frame referencing its source B-scan', () => {
    for (const input of [withoutFrameOfReference, withFrameOfReference]) {
      const bytes = buildOctFluidSegmentation(input);
      assert.ok(bytes);
      const dataset = readSegPart10(bytes);
      assert.equal(dataset.SOPClassUID, segmentationSopClassUid);
      assert.equal(dataset.SegmentationType, 'BINARY');
      assert.equal(Number(dataset.BitsAllocated), 1);
      const { frames, rows, columns } = input.source;
      const pixels = rows * columns;
      const segments = new Map<number, FluidCompartment>();
      for (const segment of items(dataset, 'SegmentSequence')) {
        assert.equal(segment.SegmentAlgorithmType, 'AUTOMATIC');
        assert.equal(segment.SegmentAlgorithmName, 'oct-macula@0.3.0');
        assert.equal(items(segment, 'SegmentedPropertyCategoryCodeSequence')[0]?.CodeValue, '49755003');
        const type = items(segment, 'SegmentedPropertyTypeCodeSequence')[0]?.CodeValue as FluidCompartment;
        assert.ok(type in fluidLabelValues);
        const modifier = items(
          items(segment, 'AnatomicRegionSequence')[0],
          'AnatomicRegionModifierSequence',
        )[0];
        assert.equal(modifier?.CodeValue, segCodes.left.value);
        segments.set(Number(segment.SegmentNumber), type);
      }
      assert.deepEqual([...segments.values()], ['IRF', 'SRF', 'PED']);
      assert.deepEqual([...segments.keys()], [1, 2, 3]);
      const perFrame = items(dataset, 'PerFrameFunctionalGroupsSequence');
      assert.equal(perFrame.length, Number(dataset.NumberOfFrames));
      const packed = pixelBytes(dataset);
      const rebuilt = new Uint8Array(labels.length);
      const seen = new Set<string>();
      for (const [index, frame] of perFrame.entries()) {
        const segmentNumber = Number(
          items(frame, 'SegmentIdentificationSequence')[0]?.ReferencedSegmentNumber,
        );
        const compartment = segments.get(segmentNumber);
        assert.ok(compartment);
        const derivation = items(frame, 'DerivationImageSequence')[0];
        assert.equal(items(derivation, 'DerivationCodeSequence')[0]?.CodeValue, '113076');
        const sourceImage = items(derivation, 'SourceImageSequence')[0];
        assert.equal(sourceImage?.ReferencedSOPInstanceUID, oct.sopInstanceUid);
        assert.equal(items(sourceImage, 'PurposeOfReferenceCodeSequence')[0]?.CodeValue, '121322');
        const sourceFrame = numbers(sourceImage?.ReferencedFrameNumber)[0] ?? 0;
        assert.ok(sourceFrame >= 1 && sourceFrame <= frames);
        const content = items(frame, 'FrameContentSequence')[0];
        assert.deepEqual(numbers(content?.DimensionIndexValues), [segmentNumber, sourceFrame]);
        seen.add(`${compartment}/${sourceFrame}`);
        const mask = unpackBinaryFrame(packed, index, pixels);
        const offset = (sourceFrame - 1) * pixels;
        const value: number = fluidLabelValues[compartment];
        const expected = labels.subarray(offset, offset + pixels).map((label) => (label === value ? 1 : 0));
        assert.deepEqual(mask, expected, `frame ${index + 1}`);
        let set = 0;
        for (let i = 0; i < pixels; i++) {
          if (mask[i] === 1) {
            set += 1;
            rebuilt[offset + i] = value;
          }
        }
        assert.ok(set > 0, 'no empty frames');
        const position = items(frame, 'PlanePositionSequence')[0];
        if (input.source.frameOfReferenceUid === undefined) {
          assert.equal(position, undefined);
        } else {
          assert.deepEqual(
            numbers(position?.ImagePositionPatient),
            input.source.imagePositionsPatient?.[sourceFrame - 1],
          );
        }
      }
      assert.deepEqual(rebuilt, labels, 'the SEG frames together give back the whole label volume');
      assert.equal(seen.size, perFrame.length, 'one frame per segment and B-scan');
    }
  });

  it('returns undefined for a volume without fluid, rejects bad labels, and is deterministic', () => {
    const empty = new Uint8Array(labels.length);
    assert.equal(buildOctFluidSegmentation({ ...withoutFrameOfReference, labels: empty }), undefined);
    const bad = labels.slice();
    bad[0] = 7;
    assert.throws(
      () => buildOctFluidSegmentation({ ...withoutFrameOfReference, labels: bad }),
      /label value 7/u,
    );
    assert.throws(() =>
      buildOctFluidSegmentation({ ...withoutFrameOfReference, labels: labels.subarray(1) }),
    );
    assert.deepEqual(
      buildOctFluidSegmentation(withFrameOfReference),
      buildOctFluidSegmentation(withFrameOfReference),
    );
  });
});

describe('OCT fluid SEG with peers', () => {
  it('passes dciodvfy with zero Error lines (only the 99FOVEA scheme warning)', (t) => {
    if (!requirePeer(t, 'dciodvfy')) {
      return;
    }
    for (const { name, file } of files) {
      const output = run('dciodvfy', [file]).output;
      const lines = output.split('\n');
      assert.deepEqual(
        lines.filter((line) => line.startsWith('Error')),
        [],
        `${name}:\n${output}`,
      );
      assert.ok(lines.includes('Segmentation'), `${name}:\n${output}`);
      assert.deepEqual(
        lines.filter((line) => line.startsWith('Warning') && !line.includes('<99FOVEA>')),
        [],
        `${name}:\n${output}`,
      );
    }
  });

  it('is consistent with its source OPT (dcentvfy: same patient, study, frame of reference)', (t) => {
    if (!requirePeer(t, 'dciodvfy', which('dcentvfy') !== undefined)) {
      return;
    }
    for (const { name, file } of files) {
      const result = run('dcentvfy', [file, join(temp, 'source-opt.dcm')]);
      assert.deepEqual(
        result.output.split('\n').filter((line) => line.startsWith('Error')),
        [],
        `${name}:\n${result.output}`,
      );
    }
  });

  it('reads in DCMTK dcmdump', (t) => {
    if (!requirePeer(t, 'dcmtk', which('dcmdump') !== undefined)) {
      return;
    }
    for (const { name, file } of files) {
      const result = run('dcmdump', [
        '+P',
        'SOPClassUID',
        '+P',
        'SegmentationType',
        '+P',
        'NumberOfFrames',
        file,
      ]);
      assert.equal(result.status, 0, `${name}:\n${result.output}`);
      assert.match(result.stdout, /=SegmentationStorage/u);
      assert.match(result.stdout, /CS \[BINARY\]/u);
      assert.doesNotMatch(result.output, /E: |W: /u);
    }
  });
});
