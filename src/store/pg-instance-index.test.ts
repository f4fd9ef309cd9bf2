import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InstanceRecord } from '../core/instance.ts';
import { newUid } from '../core/uid.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../test/peers/databases.ts';
import { listMigrations, migrate, openStore, type Store } from './index.ts';

function record(
  overrides: Partial<InstanceRecord> & { studyInstanceUid: string; seriesInstanceUid: string },
): InstanceRecord {
  return {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
    sopInstanceUid: newUid(),
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    patientId: 'PID-1',
    patientName: 'DOE^JANE',
    studyDate: '20260102',
    accessionNumber: 'ACC-1',
    modality: 'OP',
    eye: 'R',
    rows: 64,
    columns: 64,
    spoolPath: 'studies/x/y.dcm',
    sizeBytes: 1234,
    receivedAt: new Date('2026-01-02T10:00:00Z'),
    origin: {
      protocol: 'dimse',
      peerAddress: '127.0.0.1',
      callingAet: 'CAM',
      calledAet: 'FOVEA',
      requestId: 'a1',
      site: 'default',
    },
    ...overrides,
  };
}

for (const backend of await testBackends()) {
  describe(`PgInstanceIndex on ${backend}`, () => {
    let database: TestDatabase;
    let store: Store;

    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.location);
    });
    after(async () => {
      await store.close();
      await database.dispose();
    });

    it('applies every migration once, and again is a no-op', async () => {
      assert.deepEqual(
        store.migrated,
        listMigrations().map((migration) => migration.version),
      );
      assert.deepEqual(await migrate(store.sql), []);
    });

    it('records instances idempotently and keeps study counters right', async () => {
      const studyInstanceUid = newUid();
      const seriesR = newUid();
      const seriesL = newUid();
      const r1 = record({ studyInstanceUid, seriesInstanceUid: seriesR, eye: 'R' });
      const l1 = record({
        studyInstanceUid,
        seriesInstanceUid: seriesL,
        eye: 'L',
        sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.4',
        modality: 'OPT',
      });
      const first = await store.index.recordInstances([r1, l1, r1]);
      assert.deepEqual([...first.inserted].sort(), [r1.sopInstanceUid, l1.sopInstanceUid].sort());
      assert.deepEqual(first.duplicates, []);
      const again = await store.index.recordInstances([r1]);
      assert.deepEqual(again.inserted, []);
      assert.deepEqual(again.duplicates, [r1.sopInstanceUid]);
      const study = await store.index.getStudy(studyInstanceUid);
      assert.ok(study);
      assert.equal(study.instanceCount, 2);
      assert.equal(study.seriesCount, 2);
      assert.deepEqual(study.eyes, ['R', 'L']);
      assert.deepEqual(study.modalities, ['OP', 'OPT']);
      assert.equal(study.state, 'receiving');
      assert.equal(study.patientId, 'PID-1');
      const instances = await store.index.listInstances(studyInstanceUid);
      assert.equal(instances.length, 2);
      const stored = instances.find((instance) => instance.sopInstanceUid === r1.sopInstanceUid);
      assert.deepEqual(stored, r1);
      assert.equal(stored?.origin.callingAet, 'CAM');
      assert.equal(stored?.receivedAt.toISOString(), r1.receivedAt.toISOString());
      assert.deepEqual(
        await store.index.knownInstances([r1.sopInstanceUid, 'nope']),
        new Set([r1.sopInstanceUid]),
      );
    });

    it('moves a study through receiving → stable → routed and reopens it on a new instance', async () => {
      const studyInstanceUid = newUid();
      const seriesInstanceUid = newUid();
      await store.index.recordInstances([
        record({ studyInstanceUid, seriesInstanceUid, receivedAt: new Date('2026-01-01T00:00:00Z') }),
      ]);
      const quiet = await store.index.studiesQuietSince(new Date('2026-01-01T00:01:00Z'), 100);
      assert.ok(quiet.includes(studyInstanceUid));
      const study = (await store.index.getStudy(studyInstanceUid))!;
      assert.equal(await store.index.markStable(studyInstanceUid, study.version + 5, new Date()), false);
      assert.equal(await store.index.markStable(studyInstanceUid, study.version, new Date()), true);
      const stable = (await store.index.getStudy(studyInstanceUid))!;
      assert.equal(stable.state, 'stable');
      const assembly = {
        case: {
          studyInstanceUid,
          site: 'default',
          eyes: [],
          bothEyes: [],
          unknownEye: [],
          assembledAt: new Date(),
        },
        route: { studyInstanceUid, site: 'default', useCases: [], rules: [], evaluatedAt: new Date() },
      };
      assert.equal(await store.index.saveAssembly(studyInstanceUid, stable.version, assembly), true);
      assert.equal(await store.index.saveAssembly(studyInstanceUid, stable.version, assembly), false);
      const routed = (await store.index.getStudy(studyInstanceUid))!;
      assert.equal(routed.state, 'routed');
      const saved = await store.index.getAssembly(studyInstanceUid);
      assert.equal(saved?.case.assembledAt.toISOString(), assembly.case.assembledAt.toISOString());
      const reopened = await store.index.recordInstances([record({ studyInstanceUid, seriesInstanceUid })]);
      assert.deepEqual(reopened.reopened, [studyInstanceUid]);
      assert.equal((await store.index.getStudy(studyInstanceUid))?.state, 'receiving');
    });

    it('lists studies with filters and paging', async () => {
      const patientId = `LIST-${newUid().slice(-6)}`;
      for (let index = 0; index < 5; index++) {
        await store.index.recordInstances([
          record({
            studyInstanceUid: newUid(),
            seriesInstanceUid: newUid(),
            patientId,
            modality: index % 2 === 0 ? 'OP' : 'OPT',
            receivedAt: new Date(Date.UTC(2026, 0, 10 + index)),
          }),
        ]);
      }
      const page = await store.index.listStudies({ patientId, limit: 2, offset: 0 });
      assert.equal(page.total, 5);
      assert.equal(page.items.length, 2);
      assert.ok(page.items[0]!.lastReceivedAt > page.items[1]!.lastReceivedAt);
      const opt = await store.index.listStudies({ patientId, modality: 'OPT', limit: 10, offset: 0 });
      assert.equal(opt.total, 2);
      const beyond = await store.index.listStudies({ patientId, limit: 2, offset: 10 });
      assert.equal(beyond.items.length, 0);
      assert.equal(beyond.total, 5);
    });

    it('remembers the watcher cursor', async () => {
      assert.equal(await store.watchCursors.getPolledThrough('default'), undefined);
      const at = new Date('2026-02-01T12:00:00Z');
      await store.watchCursors.setPolledThrough('default', at);
      assert.equal((await store.watchCursors.getPolledThrough('default'))?.toISOString(), at.toISOString());
      await store.watchCursors.markSeen('default', '1.2.3', 4, at);
      await store.watchCursors.markSeen('default', '1.2.3', 6, at);
      assert.deepEqual(
        await store.watchCursors.seenCounts('default', ['1.2.3', '9.9']),
        new Map([['1.2.3', 6]]),
      );
    });
  });
}
