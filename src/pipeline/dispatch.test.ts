/**
 * Dispatch on a real PGlite store: a routed study becomes its analysis jobs once, however often it is dispatched,
 * and the safety sweep dispatches a study that another process routed but did not dispatch (it died in
 * between), without this process routing anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { silentLogger } from '../core/logger.ts';
import { newUid } from '../core/uid.ts';
import type { AnalyzerManifest } from '../analyzers/sdk/index.ts';
import { instanceRecord, recordRoutedStudy } from '../../test/fixtures/index-records.ts';
import { createTestDatabase, type TestDatabase } from '../../test/peers/databases.ts';
import { waitFor } from '../../test/peers/gateway.ts';
import { openStore, type Store } from '../store/index.ts';
import { Dispatcher } from './dispatch.ts';

const manifest: AnalyzerManifest = {
  id: 'quality-probe',
  version: '1.0.0',
  displayName: 'quality probe',
  intendedUse: 'test',
  useCases: ['image-quality'],
  inputs: { sopClassUids: ['1.2.840.10008.5.1.4.1.1.77.1.5.1'], modalities: ['OP'] },
  outputs: ['quality'],
  timeoutMs: 1000,
  reviewRequired: true,
  modelHash: 'c'.repeat(64),
};

describe('dispatch', () => {
  let database: TestDatabase;
  let store: Store;

  /** Records and routes a study to image-quality as a process's assembler does; returns its UID. */
  async function routedStudy(): Promise<string> {
    const uid = newUid();
    const instance = instanceRecord(uid, { patientId: 'P-DISPATCH' });
    await recordRoutedStudy(
      store.index,
      [instance],
      [
        {
          useCase: 'image-quality',
          analyzers: [manifest.id],
          ruleIds: ['r'],
          sopInstanceUids: [instance.sopInstanceUid],
        },
      ],
    );
    return uid;
  }

  function dispatcher(): Dispatcher {
    return new Dispatcher({
      config: loadConfig({ env: {} }),
      index: store.index,
      jobs: store.jobs,
      manifests: [manifest],
      logger: silentLogger,
    });
  }

  async function jobsOf(uid: string): Promise<number> {
    return (await store.jobs.listJobs({ kind: 'analyze', studyInstanceUid: uid, limit: 10, offset: 0 })).items
      .length;
  }

  before(async () => {
    database = await createTestDatabase('pglite');
    store = await openStore(database.location);
  });
  after(async () => {
    await store.close();
    await database.dispose();
  });

  it('turns a routed study into one job per analyzer, once however often it is swept', async () => {
    const uid = await routedStudy();
    const one = dispatcher();
    assert.ok((await one.sweep()) >= 1);
    assert.equal(await jobsOf(uid), 1);
    await one.dispatchOne(uid, (await store.index.getStudy(uid))!.version);
    await dispatcher().sweep();
    assert.equal(await jobsOf(uid), 1, 'a repeated dispatch (crash, restart, another process) adds nothing');
  });

  it('dispatches, on its safety sweep, a study another process routed and died before dispatching', async () => {
    const uid = await routedStudy();
    assert.ok(
      (await store.index.studiesToDispatch(100)).some((entry) => entry.studyInstanceUid === uid),
      'routed, not dispatched: the routing process is gone',
    );
    const survivor = dispatcher();
    survivor.start(50);
    try {
      await waitFor(async () => (await jobsOf(uid)) > 0, 10_000, 'the safety sweep');
      assert.equal(await jobsOf(uid), 1, 'the survivor dispatched it without routing anything itself');
    } finally {
      await survivor.stop();
    }
  });
});
