/**
 * PgReviewStore on PGlite and PostgreSQL: reviews are appended and set the finding's status (the AI's value is
 * kept); an unknown finding records nothing; the database refuses a rejection without a reason; two sign-offs
 * of the same revision: the first wins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AnalysisRecord } from '../core/finding.ts';
import { newUid } from '../core/uid.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../test/peers/databases.ts';
import { openStore, PgResultStore, PgReviewStore, type Store } from './index.ts';

function analysis(studyInstanceUid: string, id: string): AnalysisRecord {
  const provenance = {
    analyzerId: 'fundus-quality',
    analyzerVersion: '1.0.0',
    modelHash: 'a'.repeat(64),
    inputSopInstanceUids: ['1.2.3'],
    startedAt: new Date('2026-01-02T10:00:00Z'),
    finishedAt: new Date('2026-01-02T10:00:01Z'),
  };
  return {
    id,
    studyInstanceUid,
    analyzerId: 'fundus-quality',
    analyzerVersion: '1.0.0',
    useCase: 'image-quality',
    phase: 'assistive',
    status: 'succeeded',
    raw: null,
    provenance,
    findings: (['R', 'L'] as const).map((eye) => ({
      id: `${id}-${eye}`,
      analysisId: id,
      studyInstanceUid,
      eye,
      useCase: 'image-quality',
      key: 'quality',
      value: { kind: 'quality', verdict: 'gradable', score: 0.9, reasons: [], components: {} },
      sourceSopInstanceUids: ['1.2.3'],
      status: 'preliminary',
      createdAt: provenance.finishedAt,
      provenance,
    })),
  };
}

for (const backend of await testBackends()) {
  describe(`PgReviewStore on ${backend}`, () => {
    let database: TestDatabase;
    let store: Store;
    let results: PgResultStore;
    let reviews: PgReviewStore;

    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.location);
      results = new PgResultStore(store.sql);
      reviews = new PgReviewStore(store.sql);
    });
    after(async () => {
      await store.close();
      await database.dispose();
    });

    it('appends reviews, sets the finding status and keeps the AI value', async () => {
      const uid = newUid();
      await store.index.recordInstances([
        {
          sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
          sopInstanceUid: newUid(),
          studyInstanceUid: uid,
          seriesInstanceUid: newUid(),
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          patientId: 'P-REV',
          eye: 'R',
          spoolPath: 'studies/x/y.dcm',
          sizeBytes: 10,
          receivedAt: new Date(),
          origin: { protocol: 'dimse', peerAddress: '127.0.0.1', requestId: 'r', site: 'default' },
        },
      ]);
      const record = analysis(uid, `an-${newUid()}`);
      assert.ok(await results.saveAnalysis(record));
      const base = { analysisId: record.id, studyInstanceUid: uid, reviewer: 'gill' };
      const modified = {
        kind: 'quality',
        verdict: 'ungradable',
        score: 0.1,
        reasons: ['blur'],
        components: {},
      } as const;
      assert.ok(
        await reviews.recordReview({
          ...base,
          id: 'rv-1',
          findingId: `${record.id}-R`,
          decision: 'modify',
          value: modified,
          reviewedAt: new Date('2026-01-03T10:00:00Z'),
        }),
      );
      assert.ok(
        await reviews.recordReview({
          ...base,
          id: 'rv-2',
          findingId: `${record.id}-L`,
          decision: 'reject',
          reason: 'artefact',
          reasonCode: 'image-quality',
          reviewedAt: new Date('2026-01-03T10:01:00Z'),
        }),
      );
      assert.equal(
        await reviews.recordReview({
          ...base,
          id: 'rv-3',
          findingId: 'nope',
          decision: 'accept',
          reviewedAt: new Date(),
        }),
        false,
      );
      await assert.rejects(
        reviews.recordReview({
          ...base,
          id: 'rv-4',
          findingId: `${record.id}-L`,
          decision: 'reject',
          reviewedAt: new Date(),
        }),
      );
      const listed = await reviews.listReviews(uid);
      assert.deepEqual(
        listed.map((review) => [
          review.id,
          review.decision,
          review.reason ?? null,
          review.reasonCode ?? null,
        ]),
        [
          ['rv-1', 'modify', null, null],
          ['rv-2', 'reject', 'artefact', 'image-quality'],
        ],
      );
      assert.deepEqual(listed[0]!.value, modified);
      const findings = await results.listFindings(uid);
      assert.deepEqual(
        findings.map((finding) => [
          finding.eye,
          finding.status,
          (finding.value as { verdict: string }).verdict,
        ]),
        [
          ['R', 'modified', 'gradable'],
          ['L', 'rejected', 'gradable'],
        ],
      );
    });

    it('gives a revision to the first sign-off only', async () => {
      const uid = newUid();
      const signOff = {
        studyInstanceUid: uid,
        revision: 1,
        text: 'signed',
        signer: 'dana',
        signerName: 'Reader^Dana',
        signedAt: new Date('2026-01-04T09:00:00Z'),
        analysisIds: ['an-1'],
      };
      const [first, second] = await Promise.all([
        reviews.recordSignOff({ ...signOff, id: 'so-a' }),
        reviews.recordSignOff({ ...signOff, id: 'so-b', signer: 'eve' }),
      ]);
      assert.equal([first, second].filter(Boolean).length, 1);
      assert.ok(await reviews.recordSignOff({ ...signOff, id: 'so-c', revision: 2 }));
      assert.deepEqual(
        (await reviews.listSignOffs(uid)).map((entry) => entry.revision),
        [1, 2],
      );
    });
  });
}
