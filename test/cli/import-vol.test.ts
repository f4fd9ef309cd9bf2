/**
 * `fovea import-vol` and `fovea analyze` on Heidelberg `.vol` exports: the real Spectralis line scan in
 * ../shared/data/oct (read from there, never copied; skipped when absent, a failure under CI) and a synthetic
 * 25-B-scan phantom written as a `.vol` (the only real `.vol` here is a line scan, which oct-macula declines).
 * Each converted object passes dciodvfy (only the OPT false positives of peers.md §4.1), dcmdump shows the
 * header's geometry, and analysing the `.vol` gives the same numbers as analysing its DICOM; `--detail` gives
 * every B-scan's boundaries and the thickness map, checked against the phantom's truth.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { layerNames } from '../../src/analyzers/oct-macula/index.ts';
import { parseVol } from '../../src/dicom/vendor/heidelberg-vol.ts';
import { convertVol } from '../../src/cli/vol-to-dicom.ts';
import { boundaryNames, generateOctVolumePixels } from '../../src/synth/index.ts';
import { requirePeer, runAsync, underCi } from '../peers/peers.ts';
import { dciodvfyErrors } from '../peers/results.ts';
import { sharedDataDir } from '../analyzers/fundus-quality-data.ts';
import { writeVol } from './vol-writer.ts';

const cli = join(import.meta.dirname, '../../src/cli/fovea.ts');
const ophthalmicPhotographyUid = '1.2.840.10008.5.1.4.1.1.77.1.5.1';

/** dciodvfy's concatenation false positives for OPT (peers.md §4.1): exactly these are allowed. */
const optFalsePositives = [
  'Error - Attribute present when condition unsatisfied (which may not be present otherwise) Type 1C Conditional Element=<ConcatenationFrameOffsetNumber> Module=<MultiFrameFunctionalGroupsCommon>',
  'Error - Attribute present when condition unsatisfied (which may not be present otherwise) Type 1C Conditional Element=<InConcatenationNumber> Module=<MultiFrameFunctionalGroupsCommon>',
  'Error - Cannot be less than or equal to one since then not a Concatenation - attribute <InConcatenationTotalNumber>',
];

const directories: string[] = [];
after(() => {
  for (const directory of directories) {
    rmSync(directory, { recursive: true, force: true });
  }
});

function tempDir(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  directories.push(directory);
  return directory;
}

/** Every value dcmdump prints for each keyword (sequence items included), as the text between brackets. */
async function dcmdump(path: string, keywords: readonly string[]): Promise<Record<string, string[]>> {
  const result = await runAsync('dcmdump', ['-Un', ...keywords.flatMap((keyword) => ['+P', keyword]), path]);
  assert.equal(result.status, 0, result.output);
  const values: Record<string, string[]> = {};
  for (const line of result.stdout.split('\n')) {
    const match =
      /^\s*\([0-9a-f]{4},[0-9a-f]{4}\) [A-Z]{2} (?:\[([^\]]*)\]|\(no value available\)|(\S+))\s.*#.*\s(\w+)$/u.exec(
        line,
      );
    if (match !== null) {
      (values[match[3]!] ??= []).push(match[1] ?? match[2] ?? '');
    }
  }
  return values;
}

function numbers(value: string | undefined): number[] {
  return (value ?? '').split('\\').map(Number);
}

async function checkDciodvfy(t: TestContext, path: string, opt: boolean): Promise<void> {
  if (!requirePeer(t, 'dciodvfy')) {
    return;
  }
  const errors = await dciodvfyErrors(readFileSync(path));
  assert.deepEqual(
    errors.filter((line) => !(opt && optFalsePositives.includes(line.trim()))),
    [],
    `${path}: ${errors.join('\n')}`,
  );
}

interface StudyJson {
  studyInstanceUid: string;
  instances: number;
  importedFrom?: string[];
  eyes: Record<'R' | 'L', { analyzer: string; key: string; value: { value?: number } }[]>;
  analyses: {
    analyzer: string;
    status: string;
    provenance?: { startedAt: string; finishedAt: string };
    raw?: unknown;
  }[];
  detail?: { octMacula: OctDetail[] };
  written?: string[];
}

interface OctDetail {
  eye: string;
  sopInstanceUid: string;
  frames: number;
  columns: number;
  layers: string[];
  bScans: { frame: number; boundaries: Record<string, (number | null)[]>; thicknessUm: (number | null)[] }[];
}

async function analyze(paths: readonly string[], ...flags: string[]): Promise<StudyJson[]> {
  const result = await runAsync(process.execPath, [cli, 'analyze', ...paths, '--json', ...flags]);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as StudyJson[];
}

/** A value without what legitimately differs between two runs (times, durations). */
function withoutTimes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, entry: unknown) =>
    key === 'timingsMs' || key === 'durationMs' || key === 'startedAt' || key === 'finishedAt'
      ? undefined
      : entry,
  ) as unknown;
}

/** Asserts two runs printed the same study: the same findings and, analyzer by analyzer, the same output. */
function assertSameStudy(actual: StudyJson, expected: StudyJson): void {
  assert.equal(actual.studyInstanceUid, expected.studyInstanceUid);
  assert.equal(actual.instances, expected.instances);
  assert.deepEqual(withoutTimes(actual.eyes), withoutTimes(expected.eyes), 'findings differ');
  assert.deepEqual(
    actual.analyses.map((analysis) => analysis.analyzer),
    expected.analyses.map((analysis) => analysis.analyzer),
  );
  actual.analyses.forEach((analysis, index) => {
    assert.deepEqual(
      withoutTimes(analysis),
      withoutTimes(expected.analyses[index]),
      `${analysis.analyzer} printed something else`,
    );
  });
}

const linescan = join(sharedDataDir, 'oct/Linescan_1.vol');
const present = existsSync(linescan);
if (!present && underCi) {
  throw new Error('the real OCT data (../shared/data/oct/Linescan_1.vol) is required under CI');
}

describe(
  'fovea import-vol on the real Spectralis line scan',
  {
    skip: present ? false : 'the real OCT data (../shared/data/oct/Linescan_1.vol) is not present',
  },
  () => {
    it('writes a dciodvfy-clean OPT and OP with the header geometry, identically on every run', async (t) => {
      const out = tempDir('fovea-import-vol-');
      const first = await runAsync(process.execPath, [cli, 'import-vol', linescan, '--out', out]);
      assert.equal(first.status, 0, first.stderr);
      const names = readdirSync(out).sort();
      assert.equal(names.length, 2);
      const optPath = join(
        out,
        names.find((name) => name.startsWith('OPT-R-'))!,
      );
      const opPath = join(
        out,
        names.find((name) => name.startsWith('OP-R-'))!,
      );
      // No identifiers of the patient in what the command prints.
      assert.doesNotMatch(first.output, /01234/u);

      const vol = parseVol(readFileSync(linescan));
      const { header } = vol;
      const optBytes = readFileSync(optPath);
      const opBytes = readFileSync(opPath);
      // Native pixel data end the files: the B-scan's display values and the SLO, byte for byte.
      assert.deepEqual(
        optBytes.subarray(optBytes.length - header.sizeX * header.sizeZ),
        Buffer.from(vol.bScans[0]!.display),
      );
      assert.deepEqual(
        opBytes.subarray(opBytes.length - header.sizeXSlo * header.sizeYSlo),
        Buffer.from(vol.slo),
      );

      if (requirePeer(t, 'dcmtk')) {
        const opt = await dcmdump(optPath, [
          'SOPClassUID',
          'SOPInstanceUID',
          'Rows',
          'Columns',
          'NumberOfFrames',
          'PixelSpacing',
          'ImageOrientationPatient',
          'ImagePositionPatient',
          'ReferenceCoordinates',
          'ReferencedSOPInstanceUID',
          'ImageLaterality',
          'PatientID',
          'PatientBirthDate',
          'StudyDate',
          'StudyInstanceUID',
        ]);
        assert.deepEqual(opt.SOPClassUID, ['1.2.840.10008.5.1.4.1.1.77.1.5.4']);
        assert.deepEqual([opt.Rows, opt.Columns, opt.NumberOfFrames], [['496'], ['768'], ['1']]);
        const [rowSpacing, columnSpacing] = numbers(opt.PixelSpacing?.[0]);
        assert.ok(Math.abs(rowSpacing! - header.scaleZMm) < 1e-9, `row spacing ${rowSpacing}`);
        assert.ok(Math.abs(columnSpacing! - header.scaleXMm) < 1e-9, `column spacing ${columnSpacing}`);
        assert.deepEqual(numbers(opt.ImageOrientationPatient?.[0]), [1, 0, 0, 0, 1, 0]);
        // The B-scan runs across the middle of the 9.08-mm SLO: it starts 4.54 mm left of its centre.
        const position = numbers(opt.ImagePositionPatient?.[0]);
        assert.ok(
          Math.abs(position[0]! + 4.5391) < 1e-3 && position[1] === 0 && Math.abs(position[2]!) < 1e-9,
        );
        // Its line on the SLO: row 384 from column 0 to column 768.
        assert.deepEqual(numbers(opt.ReferenceCoordinates?.[0]).map(Math.round), [384, 0, 384, 768]);
        assert.deepEqual(
          [opt.ImageLaterality, opt.PatientID, opt.PatientBirthDate, opt.StudyDate],
          [['R'], ['01234'], ['19511003'], ['20170111']],
        );
        const op = await dcmdump(opPath, [
          'SOPClassUID',
          'SOPInstanceUID',
          'Rows',
          'Columns',
          'PixelSpacing',
          'HorizontalFieldOfView',
          'StudyInstanceUID',
        ]);
        assert.deepEqual(op.SOPClassUID, [ophthalmicPhotographyUid]);
        assert.deepEqual([op.Rows, op.Columns, op.HorizontalFieldOfView], [['768'], ['768'], ['30']]);
        assert.ok(
          numbers(op.PixelSpacing?.[0]).every((value) => Math.abs(value - header.scaleXSloMm) < 1e-9),
        );
        assert.deepEqual(opt.ReferencedSOPInstanceUID, op.SOPInstanceUID);
        assert.deepEqual(op.StudyInstanceUID, opt.StudyInstanceUID);
      }
      await checkDciodvfy(t, optPath, true);
      await checkDciodvfy(t, opPath, false);

      const again = tempDir('fovea-import-vol-again-');
      assert.equal(
        (await runAsync(process.execPath, [cli, 'import-vol', linescan, '--out', again])).status,
        0,
      );
      assert.deepEqual(readdirSync(again).sort(), names);
      for (const name of names) {
        assert.ok(readFileSync(join(again, name)).equals(readFileSync(join(out, name))), `${name} differs`);
      }
    });

    it('fovea analyze on the .vol prints what it prints for the converted DICOM', async () => {
      const out = tempDir('fovea-import-vol-analyze-');
      writeFilesOf(convertVol(readFileSync(linescan)), out);
      const [fromVol] = await analyze([linescan]);
      const [fromDicom] = await analyze([out]);
      assert.deepEqual(fromVol!.importedFrom, [linescan]);
      assert.equal(fromVol!.instances, 2);
      assert.ok(fromVol!.analyses.some((analysis) => analysis.status === 'succeeded'));
      assertSameStudy(fromVol!, fromDicom!);
      // A line scan has no ETDRS grid: oct-macula declines it, and says why.
      const octMacula = fromVol!.analyses.find((analysis) => analysis.analyzer.startsWith('oct-macula@'));
      assert.equal(octMacula?.status, 'not-applicable');
    });
  },
);

function writeFilesOf(converted: ReturnType<typeof convertVol>, directory: string): string[] {
  const paths: string[] = [];
  for (const object of [converted.oct, ...(converted.slo === undefined ? [] : [converted.slo])]) {
    const path = join(directory, object.fileName);
    writeFileSync(path, object.part10);
    paths.push(path);
  }
  return paths;
}

describe('fovea analyze on a 25-B-scan phantom written as .vol', () => {
  const phantom = generateOctVolumePixels({
    seed: 'vol-import',
    eye: 'L',
    frames: 25,
    columns: 256,
    fluid: ['srf'],
  });
  const { frames, rows, columns } = phantom;
  const frameBytes = rows * columns;
  const sloScale = phantom.slo.pixelSpacingMm;
  // Stored inferior first, as a device may: the import puts the superior B-scan first again.
  const bScans = phantom.truth.slo.scanLines
    .map((line, frame) => ({
      startXMm: line.startColumn * sloScale,
      startYMm: line.startRow * sloScale,
      endXMm: line.endColumn * sloScale,
      endYMm: line.endRow * sloScale,
      display: phantom.voxels.subarray(frame * frameBytes, (frame + 1) * frameBytes),
    }))
    .reverse();
  const bytes = writeVol({
    sizeX: columns,
    sizeZ: rows,
    scaleXMm: phantom.lateralSpacingMm,
    scaleZMm: phantom.axialSpacingMm,
    distanceMm: phantom.frameSpacingMm,
    slo: { size: phantom.slo.size, scaleMm: sloScale, pixels: phantom.slo.pixels },
    scanPosition: 'OS',
    examTime: new Date('2024-05-06T09:10:11Z'),
    patientId: 'PHANTOM-1',
    dateOfBirthOle: 20_000,
    pid: 7,
    vid: 9,
    bScans,
  });
  const directory = tempDir('fovea-vol-phantom-');
  const volPath = join(directory, 'phantom.vol');
  writeFileSync(volPath, bytes);
  const converted = convertVol(bytes);
  const dicomDir = join(directory, 'dicom');
  mkdirSync(dicomDir);
  const paths = writeFilesOf(converted, dicomDir);

  it('converts the volume superior first with its B-scan spacing, dciodvfy-clean', async (t) => {
    const optBytes = converted.oct.part10;
    assert.ok(optBytes.subarray(optBytes.length - phantom.voxels.length).equals(Buffer.from(phantom.voxels)));
    if (requirePeer(t, 'dcmtk')) {
      const opt = await dcmdump(paths[0]!, [
        'NumberOfFrames',
        'SpacingBetweenSlices',
        'PixelSpacing',
        'ImagePositionPatient',
        'ImageLaterality',
      ]);
      assert.deepEqual([opt.NumberOfFrames, opt.ImageLaterality], [['25'], ['L']]);
      assert.ok(Math.abs(numbers(opt.SpacingBetweenSlices?.[0])[0]! - phantom.frameSpacingMm) < 1e-9);
      const positions = (opt.ImagePositionPatient ?? []).map(numbers);
      assert.equal(positions.length, frames);
      // z is superior: it falls by one B-scan spacing per frame (the truth's SLO lines are rounded to 0.001 px).
      for (let f = 1; f < frames; f++) {
        assert.ok(Math.abs(positions[f - 1]![2]! - positions[f]![2]! - phantom.frameSpacingMm) < 1e-4);
      }
    }
    await checkDciodvfy(t, paths[0]!, true);
    await checkDciodvfy(t, paths[1]!, false);
  });

  it('gives the same numbers for the .vol and its DICOM, and --detail matches the truth', async (t) => {
    const resultsDir = join(directory, 'results');
    const [fromVol] = await analyze([volPath], '--detail', '--out', resultsDir);
    const [fromDicom] = await analyze([dicomDir]);
    assertSameStudy(fromVol!, fromDicom!);
    // The result objects written for the .vol reference the converted instances, so they fit what
    // `fovea import-vol` writes for the same file.
    const written = fromVol!.written ?? [];
    assert.ok(
      written.some((path) => path.includes('/sr-')) && written.some((path) => path.includes('/seg-')),
    );
    for (const path of written) {
      const part10 = readFileSync(path);
      const sources = [converted.oct.sopInstanceUid, converted.slo!.sopInstanceUid];
      assert.ok(
        sources.some((uid) => part10.includes(Buffer.from(uid))),
        `${path} references a converted instance`,
      );
      await checkDciodvfy(t, path, false);
    }
    const cst = fromVol!.eyes.L.find((finding) => finding.key === 'cst');
    assert.ok(cst !== undefined, 'oct-macula measured the volume');
    const truthCst = phantom.truth.centralSubfieldThicknessUm;
    assert.ok(Math.abs(cst.value.value! - truthCst) <= 20, `CST ${cst.value.value} vs truth ${truthCst}`);

    const detail = fromVol!.detail!.octMacula;
    assert.equal(detail.length, 1);
    const volume = detail[0]!;
    assert.equal(volume.eye, 'L');
    assert.equal(volume.bScans.length, frames);
    assert.deepEqual(volume.layers, layerNames);
    for (const bScan of volume.bScans) {
      assert.deepEqual(Object.keys(bScan.boundaries), layerNames);
    }
    // Boundaries against the phantom's truth (same row convention: 0 = top edge of the first row).
    const meanAbsolute = (layer: 'ILM' | 'BM' | 'RPE'): number => {
      const truthIndex = boundaryNames.indexOf(layer);
      let sum = 0;
      for (let f = 0; f < frames; f++) {
        const rowsOf = volume.bScans[f]!.boundaries[layer]!;
        assert.equal(rowsOf.length, columns);
        for (let c = 0; c < columns; c++) {
          const truth = phantom.boundaries[(f * columns + c) * boundaryNames.length + truthIndex]!;
          sum += Math.abs(rowsOf[c]! - truth);
        }
      }
      return sum / (frames * columns);
    };
    t.diagnostic(
      `CST ${cst.value.value} µm (truth ${truthCst.toFixed(1)}); detail vs truth: ILM ${meanAbsolute('ILM').toFixed(3)} px, ` +
        `BM ${meanAbsolute('BM').toFixed(3)} px; detail JSON ${JSON.stringify(volume).length} characters`,
    );
    assert.ok(meanAbsolute('ILM') <= 0.5, `ILM ${meanAbsolute('ILM')} px`);
    assert.ok(meanAbsolute('BM') <= 1, `BM ${meanAbsolute('BM')} px`);

    // The thickness map is ILM → BM: the mean over the A-scans in the central 1-mm disc is the CST in raw.
    const raw = fromVol!.analyses.find((analysis) => analysis.analyzer.startsWith('oct-macula@'))!.raw as {
      eyes: {
        fovea: { xMm: number; yMm: number };
        geometry: { lateralSpacingMm: number; frameSpacingMm: number };
        thicknessIlmBm: { cstUm: number };
        thicknessMap: {
          inner: string;
          outer: string;
          rows: number;
          columns: number;
          framesPerCell: number;
          aScansPerCell: number;
          valuesUm: (number | null)[][];
        };
      }[];
    };
    const eye = raw.eyes[0]!;
    let sum = 0;
    let count = 0;
    for (let f = 0; f < frames; f++) {
      const y = (f + 0.5 - frames / 2) * eye.geometry.frameSpacingMm - eye.fovea.yMm;
      for (let c = 0; c < columns; c++) {
        const x = (c + 0.5 - columns / 2) * eye.geometry.lateralSpacingMm - eye.fovea.xMm;
        const thickness = volume.bScans[f]!.thicknessUm[c]!;
        const ilm = volume.bScans[f]!.boundaries.ILM![c]!;
        const bm = volume.bScans[f]!.boundaries.BM![c]!;
        assert.ok(Math.abs(thickness - (bm - ilm) * phantom.axialSpacingMm * 1000) < 0.2);
        if (Math.hypot(x, y) <= 0.5) {
          sum += thickness;
          count++;
        }
      }
    }
    assert.ok(count > 0);
    assert.ok(
      Math.abs(sum / count - eye.thicknessIlmBm.cstUm) < 0.1,
      `${sum / count} vs ${eye.thicknessIlmBm.cstUm}`,
    );

    // The small grid in raw: ILM → BM, cells of whole B-scans, each the mean of its A-scans.
    const grid = eye.thicknessMap;
    assert.deepEqual([grid.inner, grid.outer, grid.framesPerCell], ['ILM', 'BM', 1]);
    assert.equal(grid.rows, frames);
    assert.equal(grid.columns, Math.ceil(columns / grid.aScansPerCell));
    assert.ok(grid.rows * grid.columns <= 32 * 32);
    const row = 12;
    const column = Math.floor(grid.columns / 2);
    const cell = volume.bScans[row]!.thicknessUm.slice(
      column * grid.aScansPerCell,
      (column + 1) * grid.aScansPerCell,
    );
    const cellMean = cell.reduce<number>((total, value) => total + value!, 0) / cell.length;
    assert.ok(Math.abs(grid.valuesUm[row]![column]! - cellMean) < 0.1);
  });
});

describe('convertVol on small hand-made files', () => {
  const base = {
    sizeX: 8,
    sizeZ: 6,
    scaleXMm: 0.01,
    scaleZMm: 0.004,
    distanceMm: 0,
    slo: { size: 4, scaleMm: 0.05, pixels: new Uint8Array(16).fill(90) },
    scanPosition: 'OS' as const,
    examTime: new Date('2020-02-03T04:05:06Z'),
    patientId: '',
    dateOfBirthOle: 0,
    pid: 42,
    vid: 0,
  };
  const display = (value: number): Uint8Array => new Uint8Array(8 * 6).fill(value);
  const line = (y: number, value: number, x0 = 0.02, x1 = 0.1) => ({
    startXMm: x0,
    startYMm: y,
    endXMm: x1,
    endYMm: y,
    display: display(value),
  });

  it('measures the B-scan spacing when Distance is 0, and keeps identity fields it does not have empty', async (t) => {
    const converted = convertVol(
      writeVol({ ...base, bScans: [line(0.05, 10), line(0.08, 20), line(0.11, 30)] }),
    );
    const directory = tempDir('fovea-vol-small-');
    const [optPath] = writeFilesOf(converted, directory);
    if (requirePeer(t, 'dcmtk')) {
      const opt = await dcmdump(optPath!, [
        'SpacingBetweenSlices',
        'ImageLaterality',
        'PatientID',
        'PatientName',
        'PatientAge',
        'PatientBirthDate',
      ]);
      assert.ok(Math.abs(numbers(opt.SpacingBetweenSlices?.[0])[0]! - 0.03) < 1e-9);
      assert.deepEqual(opt.ImageLaterality, ['L']);
      // No PatientID in the header: the device's PID stands in.
      assert.deepEqual(opt.PatientID, ['42']);
      assert.equal(opt.PatientAge, undefined);
      assert.deepEqual([opt.PatientBirthDate, opt.PatientName], [[''], ['']]);
    }
    await checkDciodvfy(t, optPath!, true);
    // Without a visit the study UID comes from the file: another file is another study.
    const other = convertVol(writeVol({ ...base, bScans: [line(0.05, 11), line(0.08, 20), line(0.11, 30)] }));
    assert.notEqual(other.oct.studyInstanceUid, converted.oct.studyInstanceUid);
    // With a visit, two files of the visit are one study (other series and instances).
    const visitA = convertVol(writeVol({ ...base, vid: 5, bScans: [line(0.05, 10)] }));
    const visitB = convertVol(writeVol({ ...base, vid: 5, bScans: [line(0.05, 12)] }));
    assert.equal(visitA.oct.studyInstanceUid, visitB.oct.studyInstanceUid);
    assert.notEqual(visitA.oct.seriesInstanceUid, visitB.oct.seriesInstanceUid);
    assert.notEqual(visitA.oct.sopInstanceUid, visitB.oct.sopInstanceUid);
  });

  it('writes no OP and no frame location for a blank SLO', async (t) => {
    const converted = convertVol(
      writeVol({ ...base, slo: { ...base.slo, pixels: new Uint8Array(16) }, bScans: [line(0.05, 10)] }),
    );
    assert.equal(converted.slo, undefined);
    assert.ok(!converted.oct.part10.includes(Buffer.from(ophthalmicPhotographyUid)));
    await checkDciodvfy(t, writeFilesOf(converted, tempDir('fovea-vol-noslo-'))[0]!, true);
  });

  it('refuses circle and radial scans with the reason', () => {
    assert.throws(
      () => convertVol(writeVol({ ...base, bScans: [line(0.05, 10, 0.1, 0.1)] })),
      /circle scan/u,
    );
    const radial = {
      startXMm: 0.02,
      startYMm: 0.02,
      endXMm: 0.1,
      endYMm: 0.1,
      display: display(10),
    };
    assert.throws(() => convertVol(writeVol({ ...base, bScans: [line(0.05, 10), radial] })), /radial/u);
  });
});
