/**
 * `GET /api/studies/{uid}/lesion-heatmap/{sop}` on a real gateway (PGlite) with a photograph sent by STOW-RS and
 * analyses stored in its result store: a silent-phase analysis's lesions are never shown (404); an assistive one's
 * heatmap is a PNG with alpha, coloured where the map of `imaging/lesion-heatmap.ts` is, transparent elsewhere,
 * at the photograph's aspect; a lesion finding the clinician rejected disappears from it; unknown images are 404,
 * callers without a reader role are refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { AnalysisRecord, Finding } from '../../src/core/finding.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { computeLesionHeatmap, sampleLesionHeatmap } from '../../src/imaging/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { PgReviewStore } from '../../src/store/index.ts';
import { makeOphthalmicPhotograph, type Fixture } from '../fixtures/dicom-files.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { bearer, startTestGateway, testApiToken, testIngestToken } from '../peers/gateway.ts';

function analysisOf(
  id: string,
  uid: string,
  photograph: Fixture,
  phase: AnalysisRecord['phase'],
  finishedAt: Date,
): AnalysisRecord {
  const provenance = {
    analyzerId: 'dr-screening',
    analyzerVersion: '0.3.0',
    modelHash: 'a'.repeat(64),
    inputSopInstanceUids: [photograph.sopInstanceUid],
    startedAt: finishedAt,
    finishedAt,
  };
  const region = (type: string, points: number[]): Finding => ({
    id: `${id}-${type}`,
    analysisId: id,
    studyInstanceUid: uid,
    eye: 'R',
    useCase: 'dr-screening',
    key: `lesions-${type}`,
    value: {
      kind: 'region',
      concept: { value: type, scheme: '99FOVEA', meaning: type },
      sopInstanceUid: photograph.sopInstanceUid,
      frame: 1,
      graphicType: 'MULTIPOINT',
      points,
      confidence: 0.9,
    },
    sourceSopInstanceUids: [photograph.sopInstanceUid],
    status: 'preliminary',
    createdAt: finishedAt,
    provenance,
  });
  return {
    id,
    studyInstanceUid: uid,
    analyzerId: 'dr-screening',
    analyzerVersion: '0.3.0',
    useCase: 'dr-screening',
    phase,
    status: 'succeeded',
    raw: {
      images: [
        {
          sopInstanceUid: photograph.sopInstanceUid,
          analysis: {
            lesions: [
              { type: 'haemorrhage', x: 20, y: 30, radius: 4, confidence: 0.9 },
              { type: 'hard-exudate', x: 100, y: 60, radius: 3, confidence: 0.8 },
            ],
          },
        },
      ],
    },
    provenance,
    findings:
      phase === 'silent'
        ? [region('haemorrhage', [20, 30])]
        : [region('haemorrhage', [20, 30]), region('hard-exudate', [100, 60])],
  };
}

async function heatmap(
  gateway: Gateway,
  uid: string,
  sop: string,
  headers: Record<string, string> = bearer(testApiToken),
): Promise<{ status: number; type: string; png: Buffer }> {
  const response = await fetch(`${gateway.httpUrl}/api/studies/${uid}/lesion-heatmap/${sop}`, { headers });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    png: Buffer.from(await response.arrayBuffer()),
  };
}

describe('lesion heatmap route', () => {
  let database: TestDatabase;
  let gateway: Gateway;
  let photograph: Fixture;
  const uid = `2.25.${Date.now()}9`;

  before(async () => {
    database = await createTestDatabase('pglite');
    gateway = await startTestGateway(database);
    photograph = await makeOphthalmicPhotograph({ studyInstanceUid: uid, eye: 'R', rows: 80, columns: 120 });
    const client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    assert.equal((await client.storeInstances([photograph.part10], uid)).status, 200);
    await gateway.ingest.flush();
  });
  after(async () => {
    await gateway.close();
    await database.dispose();
  });

  it('never shows a silent-phase analysis, shows the assistive one, and drops a rejected finding', async () => {
    assert.ok(
      await gateway.results.saveAnalysis(
        analysisOf('an-silent', uid, photograph, 'silent', new Date(Date.now() + 60_000)),
      ),
    );
    assert.equal((await heatmap(gateway, uid, photograph.sopInstanceUid)).status, 404, 'silent stays inside');

    const visible = analysisOf('an-visible', uid, photograph, 'assistive', new Date());
    assert.ok(await gateway.results.saveAnalysis(visible));
    const answer = await heatmap(gateway, uid, photograph.sopInstanceUid);
    assert.equal(answer.status, 200);
    assert.equal(answer.type, 'image/png');
    const { data, info } = await sharp(answer.png).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual(
      [info.width, info.height, info.channels],
      [120, 80, 4],
      'never enlarged, the aspect kept',
    );
    const alpha = (x: number, y: number): number => data[(y * info.width + x) * 4 + 3]!;
    const map = computeLesionHeatmap(
      [
        { x: 20, y: 30, radius: 4, confidence: 0.9 },
        { x: 100, y: 60, radius: 3, confidence: 0.8 },
      ],
      120,
      80,
    );
    assert.ok(sampleLesionHeatmap(map, 20, 30) > 0.8);
    assert.ok(alpha(20, 30) > 100 && alpha(100, 60) > 100, 'opaque on both lesions');
    assert.equal(sampleLesionHeatmap(map, 60, 5), 0);
    assert.equal(alpha(60, 5), 0, 'transparent away from them');

    // The clinician rejects the exudates: the heatmap no longer shows them.
    const reviews = new PgReviewStore(gateway.store.sql);
    assert.ok(
      await reviews.recordReview({
        id: 'rv-heatmap-1',
        findingId: 'an-visible-hard-exudate',
        analysisId: 'an-visible',
        studyInstanceUid: uid,
        decision: 'reject',
        reason: 'a drusen, not an exudate',
        reviewer: 'dr-heatmap',
        reviewedAt: new Date(),
      }),
    );
    const reviewed = await heatmap(gateway, uid, photograph.sopInstanceUid);
    const after = await sharp(reviewed.png).raw().toBuffer();
    assert.ok(after[(30 * 120 + 20) * 4 + 3]! > 100, 'the haemorrhage is still shown');
    assert.equal(after[(60 * 120 + 100) * 4 + 3], 0, 'the rejected exudate is not');
  });

  it('answers 404 for an image not in the study, and refuses callers without a reader role', async () => {
    assert.equal((await heatmap(gateway, uid, '1.2.3.4')).status, 404);
    assert.equal((await heatmap(gateway, '2.25.1', photograph.sopInstanceUid)).status, 404);
    assert.equal((await heatmap(gateway, uid, photograph.sopInstanceUid, {})).status, 401);
    assert.equal(
      (await heatmap(gateway, uid, photograph.sopInstanceUid, bearer(testIngestToken))).status,
      403,
    );
  });
});
