/**
 * Lesion overlays among an analysis's result objects: lesion positions on a colour fundus photograph become a
 * Color Softcopy Presentation State (one layer per lesion type, a circle per position, the photograph referenced,
 * not reviewed), rebuilt byte-identical; after review the replacement has a clinician-reviewed overlay without
 * the rejected lesion type, and the rejection note lists the preliminary overlay beside the preliminary SR. All
 * pass dciodvfy.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AnalysisRecord, Finding } from '../../src/core/finding.ts';
import {
  colorSoftcopyPresentationStateSopClassUid,
  readPresentationStatePart10,
} from '../../src/dicom/pr/index.ts';
import { overlayUid } from '../../src/pipeline/lesion-overlays.ts';
import { readInstanceFiles } from '../../src/pipeline/offline-analysis.ts';
import {
  buildReplacementObjects,
  buildResultObjects,
  type SourceInstance,
} from '../../src/pipeline/result-objects.ts';
import { requirePeer } from '../peers/peers.ts';
import { dciodvfyErrors, writeFundusStudy } from '../peers/results.ts';

interface Layer {
  GraphicLayer: string;
  GraphicObjectSequence?: { GraphicType: string; GraphicData: number[] }[];
}

describe('lesion overlays', () => {
  let directory: string;
  let sources: SourceInstance[];
  let analysis: AnalysisRecord;
  let right: SourceInstance;

  before(async () => {
    const study = await writeFundusStudy(52, 256);
    directory = study.directory;
    sources = (await readInstanceFiles(study.files)).map((record) => ({ ...record }));
    right = sources.find((source) => source.eye === 'R')!;
    const provenance = {
      analyzerId: 'dr-screening',
      analyzerVersion: '0.1.0',
      modelHash: 'c'.repeat(64),
      inputSopInstanceUids: sources.map((source) => source.sopInstanceUid),
      startedAt: new Date('2026-11-28T10:00:00Z'),
      finishedAt: new Date('2026-11-28T10:00:01Z'),
    };
    const lesion = (type: string, code: string, meaning: string, points: number[]): Finding => ({
      id: `fi-${type}`,
      analysisId: 'an-overlay',
      studyInstanceUid: study.studyInstanceUid,
      eye: 'R',
      useCase: 'dr-screening',
      key: `lesions-${type}`,
      value: {
        kind: 'region',
        concept: { value: code, scheme: '99FOVEA', meaning },
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
      id: 'an-overlay',
      studyInstanceUid: study.studyInstanceUid,
      analyzerId: 'dr-screening',
      analyzerVersion: '0.1.0',
      useCase: 'dr-screening',
      phase: 'assistive',
      status: 'succeeded',
      raw: null,
      provenance,
      findings: [
        lesion('microaneurysm', 'DRS-MA', 'Microaneurysm', [40, 50, 120, 130, 255, 0]),
        lesion('haemorrhage', 'DRS-HEM', 'Intraretinal haemorrhage', [200, 60]),
      ],
    };
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('marks the lesions of a photograph in a colour presentation state, the same bytes when rebuilt', async (t) => {
    const objects = await buildResultObjects(analysis, sources, 'preliminary');
    const overlays = objects.filter((object) => object.kind === 'pr');
    assert.equal(overlays.length, 1, 'one photograph has lesions');
    const [overlay] = overlays;
    assert.equal(overlay!.sopClassUid, colorSoftcopyPresentationStateSopClassUid);
    assert.equal(overlay!.sopInstanceUid, overlayUid(analysis.id, right.sopInstanceUid, 'preliminary'));
    const again = (await buildResultObjects(analysis, sources, 'preliminary')).find((o) => o.kind === 'pr');
    assert.deepEqual(again!.part10, overlay!.part10);

    const dataset = readPresentationStatePart10(overlay!.part10) as Record<string, unknown>;
    assert.equal(dataset.StudyInstanceUID, analysis.studyInstanceUid);
    assert.equal(dataset.Laterality, 'R');
    assert.match(
      String(dataset.ContentDescription),
      /^AI-generated; not reviewed \(dr-screening@0\.1\.0\)$/u,
    );
    const series = dataset.ReferencedSeriesSequence as {
      SeriesInstanceUID: string;
      ReferencedImageSequence: { ReferencedSOPInstanceUID: string }[];
    }[];
    assert.equal(series[0]!.ReferencedImageSequence[0]!.ReferencedSOPInstanceUID, right.sopInstanceUid);
    const annotations = dataset.GraphicAnnotationSequence as Layer[];
    assert.deepEqual(
      annotations.map((layer) => layer.GraphicLayer),
      ['DRS_MA', 'DRS_HEM'],
    );
    const circles = annotations[0]!.GraphicObjectSequence!;
    assert.equal(circles.length, 3, 'a circle per microaneurysm');
    assert.ok(circles.every((circle) => circle.GraphicType === 'CIRCLE'));
    assert.deepEqual(
      circles.map((circle) => circle.GraphicData.slice(0, 2)),
      [
        [40.5, 50.5],
        [120.5, 130.5],
        [255.5, 0.5],
      ],
      'pixel centres in DICOM PIXEL units',
    );
    if (requirePeer(t, 'dciodvfy')) {
      assert.deepEqual(await dciodvfyErrors(overlay!.part10), []);
    }
  });

  it('after review: a clinician-reviewed overlay without the rejected lesions, the preliminary one in the rejection note', async (t) => {
    const [preliminary] = await buildResultObjects(analysis, sources, 'preliminary');
    const previous = overlayUid(analysis.id, right.sopInstanceUid, 'preliminary');
    const reviewed: AnalysisRecord = {
      ...analysis,
      findings: analysis.findings.filter((finding) => finding.key !== 'lesions-haemorrhage'),
    };
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
          seriesInstanceUid: '2.25.1',
          sopClassUid: colorSoftcopyPresentationStateSopClassUid,
        },
      ],
    );
    assert.deepEqual(
      objects.map((object) => object.kind),
      ['sr', 'pr', 'sc', 'kos'],
      'the reviewed SR, overlay and heatmap (lesion-heatmap.test.ts), then the rejection note',
    );
    const overlay = objects[1]!;
    assert.equal(overlay.sopInstanceUid, overlayUid(analysis.id, right.sopInstanceUid, 'final'));
    const dataset = readPresentationStatePart10(overlay.part10) as Record<string, unknown>;
    assert.match(String(dataset.ContentDescription), /^AI-generated; clinician-reviewed/u);
    assert.deepEqual(
      (dataset.GraphicAnnotationSequence as Layer[]).map((layer) => layer.GraphicLayer),
      ['DRS_MA'],
    );
    const note = objects[3]!;
    const noteText = Buffer.from(note.part10).toString('latin1');
    assert.ok(noteText.includes(previous), 'the rejection note lists the preliminary overlay');
    assert.ok(noteText.includes(preliminary!.sopInstanceUid), 'and the preliminary SR');
    if (requirePeer(t, 'dciodvfy')) {
      assert.deepEqual(await dciodvfyErrors(overlay.part10), []);
      assert.deepEqual(await dciodvfyErrors(note.part10), []);
    }
  });
});
