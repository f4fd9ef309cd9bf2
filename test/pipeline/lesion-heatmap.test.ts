/**
 * Lesion heatmaps among an analysis's result objects: the lesions of a colour fundus photograph become a
 * Secondary Capture with the heatmap blended over the photograph (same matrix, DERIVED\SECONDARY, the
 * photograph as source image for processing, AI-generated with the analyzer id@version), dciodvfy-clean and
 * rebuilt byte-identical; read back, its pixels are the photograph's far from the lesions and coloured on them.
 * After review the replacement holds a clinician-reviewed heatmap without the rejected lesions, and the
 * rejection note can list the preliminary heatmap.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AnalysisRecord, Finding } from '../../src/core/finding.ts';
import { readNaturalPart10 } from '../../src/dicom/codec/index.ts';
import { heatmapReviewedStatement, secondaryCaptureImageSopClassUid } from '../../src/dicom/sc/index.ts';
import { decodeFrame } from '../../src/imaging/index.ts';
import { heatmapUid } from '../../src/pipeline/lesion-heatmap.ts';
import { readInstanceFiles } from '../../src/pipeline/offline-analysis.ts';
import {
  buildReplacementObjects,
  buildResultObjects,
  type SourceInstance,
} from '../../src/pipeline/result-objects.ts';
import { requirePeer, runAsync } from '../peers/peers.ts';
import { dciodvfyErrors, writeFundusStudy } from '../peers/results.ts';

describe('lesion heatmaps', () => {
  let directory: string;
  let sources: SourceInstance[];
  let analysis: AnalysisRecord;
  let right: SourceInstance;

  before(async () => {
    const study = await writeFundusStudy(53, 256);
    directory = study.directory;
    sources = (await readInstanceFiles(study.files)).map((record) => ({ ...record }));
    right = sources.find((source) => source.eye === 'R')!;
    const provenance = {
      analyzerId: 'dr-screening',
      analyzerVersion: '0.3.0',
      modelHash: 'c'.repeat(64),
      inputSopInstanceUids: sources.map((source) => source.sopInstanceUid),
      startedAt: new Date('2026-11-28T10:00:00Z'),
      finishedAt: new Date('2026-11-28T10:00:01Z'),
    };
    const lesion = (type: string, code: string, points: number[]): Finding => ({
      id: `fi-${type}`,
      analysisId: 'an-heatmap',
      studyInstanceUid: study.studyInstanceUid,
      eye: 'R',
      useCase: 'dr-screening',
      key: `lesions-${type}`,
      value: {
        kind: 'region',
        concept: { value: code, scheme: '99FOVEA', meaning: type },
        sopInstanceUid: right.sopInstanceUid,
        frame: 1,
        graphicType: 'MULTIPOINT',
        points,
        confidence: 0.7,
      },
      sourceSopInstanceUids: [right.sopInstanceUid],
      status: 'preliminary',
      createdAt: provenance.finishedAt,
      provenance,
    });
    analysis = {
      id: 'an-heatmap',
      studyInstanceUid: study.studyInstanceUid,
      analyzerId: 'dr-screening',
      analyzerVersion: '0.3.0',
      useCase: 'dr-screening',
      phase: 'assistive',
      status: 'succeeded',
      raw: {
        images: [
          {
            sopInstanceUid: right.sopInstanceUid,
            eye: 'R',
            analysis: {
              lesions: [
                { type: 'haemorrhage', x: 60, y: 70, radius: 9, confidence: 0.95 },
                { type: 'hard-exudate', x: 190, y: 180, radius: 5, confidence: 0.9 },
              ],
            },
          },
        ],
      },
      provenance,
      findings: [lesion('haemorrhage', 'DRS-HEM', [60, 70]), lesion('hard-exudate', 'DRS-EX', [190, 180])],
    };
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('writes the photograph with the heatmap blended over it as a derived Secondary Capture', async (t) => {
    const objects = await buildResultObjects(analysis, sources, 'preliminary');
    const heatmaps = objects.filter((object) => object.kind === 'sc');
    assert.equal(heatmaps.length, 1, 'one photograph has lesions');
    const [heatmap] = heatmaps;
    assert.equal(heatmap!.sopClassUid, secondaryCaptureImageSopClassUid);
    assert.equal(heatmap!.sopInstanceUid, heatmapUid(analysis.id, right.sopInstanceUid, 'preliminary'));
    const again = (await buildResultObjects(analysis, sources, 'preliminary')).find((o) => o.kind === 'sc');
    assert.deepEqual(again!.part10, heatmap!.part10, 'rebuilt byte-identical');

    const dataset = readNaturalPart10(heatmap!.part10) as Record<string, unknown>;
    assert.equal(dataset.StudyInstanceUID, analysis.studyInstanceUid);
    assert.deepEqual(dataset.ImageType, ['DERIVED', 'SECONDARY']);
    assert.equal(dataset.Laterality, 'R');
    assert.equal(dataset.BurnedInAnnotation, 'NO');
    assert.equal(dataset.ConversionType, 'WSD');
    assert.match(String(dataset.ImageComments), /^AI-generated; not reviewed \(dr-screening@0\.3\.0\)/u);
    assert.deepEqual(dataset.SoftwareVersions, [
      (dataset.SoftwareVersions as string[])[0],
      'dr-screening@0.3.0',
      'c'.repeat(64),
    ]);
    assert.match(String(dataset.DerivationDescription), /2 lesion\(s\) found by dr-screening@0\.3\.0/u);
    const source = (dataset.SourceImageSequence as Record<string, unknown>[])[0]!;
    assert.equal(source.ReferencedSOPInstanceUID, right.sopInstanceUid);
    assert.equal(source.ReferencedSOPClassUID, right.sopClassUid);
    assert.equal(
      (source.PurposeOfReferenceCodeSequence as Record<string, unknown>[])[0]!.CodeValue,
      '121322',
    );

    const photograph = await decodeFrame(await readFile(right.spoolPath), 0);
    const derived = await decodeFrame(heatmap!.part10, 0);
    assert.equal(derived.rows, photograph.rows);
    assert.equal(derived.columns, photograph.columns);
    assert.deepEqual(derived.pixelSpacing, photograph.pixelSpacing);
    const pixel = (frame: typeof derived, x: number, y: number): number[] => [
      ...frame.data.subarray((y * frame.columns + x) * 3, (y * frame.columns + x) * 3 + 3),
    ];
    assert.deepEqual(pixel(derived, 200, 40), pixel(photograph, 200, 40), 'untouched far from the lesions');
    assert.notDeepEqual(pixel(derived, 60, 70), pixel(photograph, 60, 70), 'coloured on a lesion');
    let changed = 0;
    for (let k = 0; k < derived.data.length; k++) {
      changed += derived.data[k] === photograph.data[k] ? 0 : 1;
    }
    assert.ok(changed > 0 && changed < derived.data.length / 3, `${changed} samples changed`);

    if (requirePeer(t, 'dciodvfy')) {
      const errors = await dciodvfyErrors(heatmap!.part10);
      assert.deepEqual(errors, []);
      const dir = mkdtempSync(join(tmpdir(), 'fovea-heatmap-'));
      writeFileSync(join(dir, 'heatmap.dcm'), heatmap!.part10);
      const full = await runAsync('dciodvfy', [join(dir, 'heatmap.dcm')]);
      rmSync(dir, { recursive: true, force: true });
      assert.match(full.output, /^SCImage$/mu, 'dciodvfy validates it as a Secondary Capture Image');
    }
  });

  it('after review: a clinician-reviewed heatmap without the rejected lesions', async (t) => {
    const [preliminary] = await buildResultObjects(analysis, sources, 'preliminary');
    const reviewed: AnalysisRecord = {
      ...analysis,
      findings: analysis.findings.filter((finding) => finding.key !== 'lesions-haemorrhage'),
    };
    const previous = heatmapUid(analysis.id, right.sopInstanceUid, 'preliminary');
    const objects = await buildReplacementObjects(
      reviewed,
      sources,
      preliminary!,
      { name: 'Reader^Dana', organization: 'EYE', dateTime: new Date('2026-11-29T09:00:00Z') },
      1,
      undefined,
      [
        {
          sopInstanceUid: previous,
          seriesInstanceUid: '1.2.3',
          sopClassUid: secondaryCaptureImageSopClassUid,
        },
      ],
    );
    const heatmap = objects.find((object) => object.kind === 'sc');
    assert.ok(heatmap !== undefined);
    assert.equal(heatmap.sopInstanceUid, heatmapUid(analysis.id, right.sopInstanceUid, 'final'));
    const dataset = readNaturalPart10(heatmap.part10) as Record<string, unknown>;
    assert.ok(String(dataset.ImageComments).startsWith(heatmapReviewedStatement));
    assert.match(String(dataset.DerivationDescription), /1 lesion\(s\)/u);
    const photograph = await decodeFrame(await readFile(right.spoolPath), 0);
    const derived = await decodeFrame(heatmap.part10, 0);
    const at = (frame: typeof derived, x: number, y: number): number[] => [
      ...frame.data.subarray((y * frame.columns + x) * 3, (y * frame.columns + x) * 3 + 3),
    ];
    assert.deepEqual(at(derived, 60, 70), at(photograph, 60, 70), 'the rejected haemorrhage is not drawn');
    assert.notDeepEqual(at(derived, 190, 180), at(photograph, 190, 180), 'the kept exudate is');
    const note = objects.find((object) => object.kind === 'kos')!;
    const kos = readNaturalPart10(note.part10) as Record<string, unknown>;
    assert.ok(JSON.stringify(kos).includes(previous), 'the rejection note lists the preliminary heatmap');
    if (requirePeer(t, 'dciodvfy')) {
      assert.deepEqual(await dciodvfyErrors(heatmap.part10), []);
    }
  });

  it('builds no heatmap without lesion findings', async () => {
    const none: AnalysisRecord = {
      ...analysis,
      findings: analysis.findings.map((finding) => ({ ...finding, status: 'rejected' as const })),
    };
    const objects = await buildResultObjects(none, sources, 'preliminary');
    assert.equal(objects.filter((object) => object.kind === 'sc').length, 0);
  });
});
