/**
 * The objects an analysis becomes: a preliminary SR that is rebuilt byte-identical (so a retried delivery
 * resends the same instance), and its replacement after review — a final SR naming the preliminary one as its
 * predecessor, plus an IOCM rejection note for it. All pass dciodvfy.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AnalysisRecord } from '../../src/core/finding.ts';
import { parseMeasurementReport, readDocumentTitle } from '../../src/dicom/sr/index.ts';
import {
  buildReplacementObjects,
  buildResultObjects,
  type SourceInstance,
} from '../../src/pipeline/result-objects.ts';
import { readInstanceFiles } from '../../src/pipeline/offline-analysis.ts';
import { requirePeer } from '../peers/peers.ts';
import { dciodvfyErrors, writeFundusStudy } from '../peers/results.ts';

describe('result objects', () => {
  let directory: string;
  let sources: SourceInstance[];
  let analysis: AnalysisRecord;

  before(async () => {
    const study = await writeFundusStudy(51, 256);
    directory = study.directory;
    const records = await readInstanceFiles(study.files);
    sources = records.map((record) => ({ ...record }));
    const provenance = {
      analyzerId: 'fundus-quality',
      analyzerVersion: '1.0.0',
      modelHash: 'b'.repeat(64),
      inputSopInstanceUids: records.map((record) => record.sopInstanceUid),
      startedAt: new Date('2026-11-28T10:00:00Z'),
      finishedAt: new Date('2026-11-28T10:00:01Z'),
    };
    analysis = {
      id: 'an-test',
      studyInstanceUid: study.studyInstanceUid,
      analyzerId: 'fundus-quality',
      analyzerVersion: '1.0.0',
      useCase: 'image-quality',
      phase: 'assistive',
      status: 'succeeded',
      raw: null,
      provenance,
      findings: records.map((record) => ({
        id: `fi-${record.eye}`,
        analysisId: 'an-test',
        studyInstanceUid: study.studyInstanceUid,
        eye: record.eye as 'R' | 'L',
        useCase: 'image-quality',
        key: 'quality',
        value: {
          kind: 'quality',
          verdict: record.eye === 'R' ? 'gradable' : 'ungradable',
          score: record.eye === 'R' ? 0.8 : 0.1,
          reasons: record.eye === 'R' ? [] : ['blur'],
          components: { sharpness: 0.4 },
        },
        sourceSopInstanceUids: [record.sopInstanceUid],
        status: 'preliminary',
        createdAt: provenance.finishedAt,
        provenance,
      })),
    };
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('builds the same preliminary SR twice, byte for byte, in the source study', async (t) => {
    const [first] = await buildResultObjects(analysis, sources, 'preliminary');
    const [again] = await buildResultObjects(analysis, sources, 'preliminary');
    assert.ok(first !== undefined && again !== undefined);
    assert.equal(first.sopInstanceUid, again.sopInstanceUid);
    assert.ok(Buffer.from(first.part10).equals(Buffer.from(again.part10)));
    const report = parseMeasurementReport(first.part10);
    assert.equal(report.study.studyInstanceUid, analysis.studyInstanceUid);
    assert.equal(report.completionFlag, 'PARTIAL');
    assert.equal(report.verificationFlag, 'UNVERIFIED');
    assert.deepEqual(report.groups.map((group) => group.eye).sort(), ['L', 'R']);
    if (requirePeer(t, 'dciodvfy')) {
      assert.deepEqual(await dciodvfyErrors(first.part10), []);
    }
  });

  it('replaces it after review: a final SR with its predecessor, and a rejection note for the preliminary one', async (t) => {
    const [preliminary] = await buildResultObjects(analysis, sources, 'preliminary');
    assert.ok(preliminary !== undefined);
    const verifier = {
      name: 'Grader^Ann',
      organization: 'North eye clinic',
      dateTime: new Date('2026-11-28T11:00:00Z'),
    };
    const [final, note] = await buildReplacementObjects(analysis, sources, preliminary, verifier, 1);
    assert.ok(final !== undefined && note !== undefined);
    assert.notEqual(final.sopInstanceUid, preliminary.sopInstanceUid);
    assert.equal(final.seriesInstanceUid, preliminary.seriesInstanceUid);
    const report = parseMeasurementReport(final.part10);
    assert.equal(report.completionFlag, 'COMPLETE');
    assert.equal(report.verificationFlag, 'VERIFIED');
    assert.equal(report.verifiers[0]?.name, 'Grader^Ann');
    assert.deepEqual(
      report.predecessors.map((reference) => reference.sopInstanceUid),
      [preliminary.sopInstanceUid],
    );
    assert.equal(note.kind, 'kos');
    assert.equal(readDocumentTitle(note.part10)?.value, '113001');
    assert.ok(Buffer.from(note.part10).includes(Buffer.from(preliminary.sopInstanceUid)));
    if (requirePeer(t, 'dciodvfy')) {
      assert.deepEqual(await dciodvfyErrors(final.part10), []);
      assert.deepEqual(await dciodvfyErrors(note.part10), []);
    }
  });
});
