import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AnalysisRecord } from '../core/finding.ts';
import type { InstanceRecord } from '../core/instance.ts';
import { newUid } from '../core/uid.ts';
import { instanceRecord } from '../../test/fixtures/index-records.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../test/peers/databases.ts';
import { openStore, PgResultStore, type Store } from './index.ts';

function instance(
  studyInstanceUid: string,
  patientId: string,
  studyDate: string,
  modality: string,
): InstanceRecord {
  return instanceRecord(studyInstanceUid, { patientId, studyDate, modality });
}

async function route(store: Store, uid: string): Promise<number> {
  const study = (await store.index.getStudy(uid))!;
  assert.ok(await store.index.markStable(uid, study.version, new Date()));
  const now = new Date();
  assert.ok(
    await store.index.saveAssembly(uid, study.version + 1, {
      case: {
        studyInstanceUid: uid,
        site: 'default',
        eyes: [],
        bothEyes: [],
        unknownEye: [],
        assembledAt: now,
      },
      route: { studyInstanceUid: uid, site: 'default', useCases: [], rules: [], evaluatedAt: now },
    }),
  );
  return study.version + 2;
}

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
    raw: { images: [{ sharpness: 0.5 }] },
    provenance,
    findings: (['R', 'L'] as const).map((eye) => ({
      id: `${id}-${eye}`,
      analysisId: id,
      studyInstanceUid,
      eye,
      useCase: 'image-quality',
      key: 'quality',
      value: {
        kind: 'quality',
        verdict: eye === 'R' ? 'gradable' : 'ungradable',
        score: eye === 'R' ? 0.9 : 0.2,
        reasons: eye === 'R' ? [] : ['blur'],
        components: { sharpness: 0.5 },
      },
      sourceSopInstanceUids: ['1.2.3'],
      status: 'preliminary',
      createdAt: provenance.finishedAt,
      provenance,
    })),
  };
}

for (const backend of await testBackends()) {
  describe(`PgResultStore and dispatch bookkeeping on ${backend}`, () => {
    let database: TestDatabase;
    let store: Store;
    let results: PgResultStore;

    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.location);
      results = new PgResultStore(store.sql);
    });
    after(async () => {
      await store.close();
      await database.dispose();
    });

    it('lists routed studies to dispatch until they are marked, and again after a re-route', async () => {
      const uid = newUid();
      await store.index.recordInstances([instance(uid, 'P-D', '20260101', 'OP')]);
      const version = await route(store, uid);
      assert.deepEqual(
        (await store.index.studiesToDispatch(10)).filter((entry) => entry.studyInstanceUid === uid),
        [{ studyInstanceUid: uid, version }],
      );
      assert.equal(await store.index.markDispatched(uid, version - 1, new Date()), false);
      assert.equal(await store.index.markDispatched(uid, version, new Date()), true);
      assert.deepEqual(
        (await store.index.studiesToDispatch(10)).filter((entry) => entry.studyInstanceUid === uid),
        [],
      );
    });

    it('finds priors of the same patient and modality, newest first', async () => {
      const [old, middle, current, otherPatient, otherModality] = [
        newUid(),
        newUid(),
        newUid(),
        newUid(),
        newUid(),
      ];
      await store.index.recordInstances([
        instance(old, 'P-PRIOR', '20200101', 'OPT'),
        instance(middle, 'P-PRIOR', '20230101', 'OPT'),
        instance(current, 'P-PRIOR', '20260101', 'OPT'),
        instance(otherPatient, 'P-OTHER', '20230101', 'OPT'),
        instance(otherModality, 'P-PRIOR', '20240101', 'OPV'),
      ]);
      for (const uid of [old, middle, current, otherPatient, otherModality]) {
        await route(store, uid);
      }
      assert.deepEqual(await store.index.priorStudies(current, ['OPT'], 10), [middle, old]);
      assert.deepEqual(await store.index.priorStudies(current, ['OPV'], 10), [otherModality]);
    });

    it('stores an analysis with its findings once, and reads it back', async () => {
      const uid = newUid();
      await store.index.recordInstances([instance(uid, 'P-A', '20260101', 'OP')]);
      const record = analysis(uid, `an-${newUid()}`);
      assert.equal(await results.saveAnalysis(record), true);
      assert.equal(await results.saveAnalysis(record), false);
      const back = await results.getAnalysis(record.id);
      assert.ok(back);
      assert.equal(back.findings.length, 2);
      assert.deepEqual(
        back.findings.map((finding) => [
          finding.eye,
          finding.value.kind === 'quality' && finding.value.verdict,
        ]),
        [
          ['R', 'gradable'],
          ['L', 'ungradable'],
        ],
      );
      assert.equal(back.findings[0]!.provenance.analyzerVersion, '1.0.0');
      assert.deepEqual(back.raw, { images: [{ sharpness: 0.5 }] });
      assert.equal((await results.listFindings(uid)).length, 2);
    });

    it('records result objects and deliveries idempotently, with attempts and the final state', async () => {
      const uid = newUid();
      await store.index.recordInstances([instance(uid, 'P-O', '20260101', 'OP')]);
      const record = analysis(uid, `an-${newUid()}`);
      await results.saveAnalysis(record);
      const object = {
        sopInstanceUid: newUid(),
        sopClassUid: '1.2.840.10008.5.1.4.1.1.88.34',
        seriesInstanceUid: newUid(),
        studyInstanceUid: uid,
        analysisId: record.id,
        kind: 'sr',
        path: 'results/x.dcm',
        status: 'preliminary',
        createdAt: new Date(),
      };
      const deliveryId = `de-${newUid()}`;
      await results.saveResultObject(object, [{ id: deliveryId, destination: 'pacs', protocol: 'dimse' }]);
      await results.saveResultObject(object, [{ id: deliveryId, destination: 'pacs', protocol: 'dimse' }]);
      assert.equal((await results.listResultObjects(uid)).length, 1);
      assert.equal((await results.listDeliveries(uid)).length, 1);
      await results.recordDeliveryAttempt(deliveryId, {
        delivered: false,
        dead: false,
        code: 'FOVEA_DIMSE_PEER',
        message: 'down',
      });
      let delivery = await results.getDelivery(deliveryId);
      assert.equal(delivery?.state, 'pending');
      assert.equal(delivery?.attempts, 1);
      assert.equal(delivery?.lastError?.code, 'FOVEA_DIMSE_PEER');
      await results.recordDeliveryAttempt(deliveryId, { delivered: true });
      delivery = await results.getDelivery(deliveryId);
      assert.equal(delivery?.state, 'delivered');
      assert.equal(delivery?.attempts, 2);
      assert.ok(delivery?.deliveredAt instanceof Date);
      assert.equal(delivery?.lastError, undefined);
    });
    it('keeps a finding triage suggestion, and the triage computed from the most analyses', async () => {
      const uid = newUid();
      await store.index.recordInstances([instance(uid, 'P-T', '20260101', 'OP')]);
      const base = analysis(uid, `an-${newUid()}`);
      const record: AnalysisRecord = {
        ...base,
        findings: base.findings.map((finding) => ({
          ...finding,
          triage: { bucket: 'referable', reason: 'test', confidence: 0.8 },
        })),
      };
      await results.saveAnalysis(record);
      const back = await results.getAnalysis(record.id);
      assert.deepEqual(back?.findings[0]?.triage, { bucket: 'referable', reason: 'test', confidence: 0.8 });
      const triage = (bucket: 'stat' | 'recapture' | 'routine', ids: string[], priority: number) => ({
        studyInstanceUid: uid,
        bucket,
        priority,
        reasons: [],
        analysisIds: ids,
        computedAt: new Date(),
      });
      assert.equal(await results.saveTriage(triage('recapture', ['a', 'b'], 500)), true);
      assert.equal(
        await results.saveTriage(triage('routine', ['a'], 300)),
        false,
        'an older view never wins',
      );
      assert.equal((await results.getTriage(uid))?.bucket, 'recapture');
      assert.equal(await results.saveTriage(triage('stat', ['a', 'b'], 950)), true);
      const other = newUid();
      await store.index.recordInstances([instance(other, 'P-T2', '20260101', 'OP')]);
      await results.saveTriage({ ...triage('routine', ['c'], 310), studyInstanceUid: other });
      const worklist = await results.listWorklist({ limit: 500 });
      const mine = worklist.filter((entry) => [uid, other].includes(entry.triage.studyInstanceUid));
      assert.deepEqual(
        mine.map((entry) => [entry.triage.bucket, entry.triage.priority]),
        [
          ['stat', 950],
          ['routine', 310],
        ],
      );
      assert.ok(
        (await results.listWorklist({ limit: 500, bucket: 'routine' })).every(
          (entry) => entry.triage.bucket === 'routine',
        ),
      );
      await results.clearTriage(uid);
      assert.equal(await results.getTriage(uid), undefined);
    });
    it('filters the worklist by use case, report status, site and study date, and counts the matches', async () => {
      const site = `filters-${newUid().slice(-6)}`;
      const study = async (studyDate: string, useCase: string, priority: number) => {
        const uid = newUid();
        const record = instance(uid, `P-${priority}`, studyDate, 'OP');
        await store.index.recordInstances([{ ...record, origin: { ...record.origin, site } }]);
        const saved = { ...analysis(uid, `an-${newUid()}`), useCase };
        await results.saveAnalysis(saved);
        await results.saveTriage({
          studyInstanceUid: uid,
          bucket: 'referable',
          priority,
          reasons: [],
          analysisIds: [saved.id],
          computedAt: new Date(),
        });
        return uid;
      };
      const dr2025 = await study('20250301', 'dr-screening', 800);
      const oct2025 = await study('20251231', 'dme-quantification', 700);
      const dr2026 = await study('20260115', 'dr-screening', 600);
      for (const revision of [1, 2]) {
        await store.sql.query(
          `INSERT INTO report_signoff (id, study_instance_uid, revision, report_text, signer, signer_name,
                                       signed_at, analysis_ids)
           VALUES ($1, $2, $3, 'text', 'u1', 'Reader^Dana', now(), '{}')`,
          [`so-${newUid()}`, dr2026, revision],
        );
      }
      const uids = async (filter: Omit<Parameters<typeof results.listWorklist>[0], 'limit'>) => {
        const page = await results.listWorklist({ ...filter, site, limit: 500 });
        assert.equal(await results.countWorklist({ ...filter, site }), page.length, 'count = listed');
        return page.map((entry) => entry.triage.studyInstanceUid);
      };
      assert.deepEqual(await uids({}), [dr2025, oct2025, dr2026], 'most urgent first');
      assert.deepEqual(await uids({ useCase: 'dr-screening' }), [dr2025, dr2026]);
      assert.deepEqual(await uids({ useCase: 'glaucoma-progression' }), []);
      assert.deepEqual(await uids({ status: 'signed' }), [dr2026]);
      assert.deepEqual(await uids({ status: 'unsigned' }), [dr2025, oct2025]);
      assert.deepEqual(await uids({ studyDateFrom: '20250401', studyDateTo: '20251231' }), [oct2025]);
      assert.deepEqual(await uids({ studyDateFrom: '20251231' }), [oct2025, dr2026]);
      assert.deepEqual(await uids({ useCase: 'dr-screening', status: 'unsigned' }), [dr2025]);
      const signed = (await results.listWorklist({ site, limit: 500 })).map((entry) => entry.signedRevision);
      assert.deepEqual(signed, [undefined, undefined, 2], 'the latest signed revision');
      const second = await results.listWorklist({ site, limit: 1, offset: 1 });
      assert.deepEqual(
        second.map((entry) => entry.triage.studyInstanceUid),
        [oct2025],
        'a page',
      );
    });
  });
}
