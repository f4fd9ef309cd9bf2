import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FoveaError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { noMetrics } from '../core/metrics.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { Origin } from '../core/origin.ts';
import { acceptedStorageSopClasses, acceptedTransferSyntaxes, scanBuffer } from '../dicom/codec/index.ts';
import { FileSpool } from '../store/file-spool.ts';
import { openStore, type Store } from '../store/index.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../test/peers/databases.ts';
import { makeOphthalmicPhotograph, makeOphthalmicTomography } from '../../test/fixtures/dicom-files.ts';
import { Ingest, type IngestDependencies } from './ingest.ts';
import { nonEmptyFiles } from '../../test/peers/peers.ts';

const origin = (requestId: string): Origin => ({
  protocol: 'stow-rs',
  peerAddress: '127.0.0.1',
  requestId,
  site: 'default',
});

async function feed(ingest: Ingest, bytes: Buffer, requestId: string, chunk = 1000) {
  const incoming = await ingest.begin(origin(requestId), { part10: true });
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    await incoming.write(bytes.subarray(offset, offset + chunk));
  }
  return incoming.finish();
}

function ingestDependencies(store: Store, spool: FileSpool, sopClasses?: string[]): IngestDependencies {
  return {
    spool,
    index: store.index,
    logger: silentLogger,
    metrics: noMetrics,
    acceptedSopClasses: new Set(sopClasses ?? acceptedStorageSopClasses.map((entry) => entry.uid)),
    acceptedTransferSyntaxes: new Set(acceptedTransferSyntaxes),
  };
}

function newIngest(store: Store, spool: FileSpool, sopClasses?: string[]): Ingest {
  return new Ingest(ingestDependencies(store, spool, sopClasses));
}

/** A receiver that acknowledged a photograph but cannot index it until `database.down` is cleared. */
async function stalledReceiver(store: Store, spool: FileSpool, requestId: string) {
  const fixture = await makeOphthalmicPhotograph();
  const database = { down: true };
  const owner = new Ingest({ ...ingestDependencies(store, spool), index: unavailableWhile(store, database) });
  await feed(owner, fixture.part10, requestId);
  return { fixture, database, owner };
}

/** The store's index, whose batch writes fail while `database.down` (a receiver that cannot reach its database). */
function unavailableWhile(store: Store, database: { down: boolean }): InstanceIndex {
  return new Proxy(store.index, {
    get(target, key) {
      if (key === 'recordInstances') {
        return async (records: Parameters<InstanceIndex['recordInstances']>[0]) => {
          if (database.down) {
            throw new Error('database unavailable');
          }
          return target.recordInstances(records);
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

for (const backend of await testBackends()) {
  describe(`ingest on ${backend}`, () => {
    let database: TestDatabase;
    let store: Store;
    let spool: FileSpool;
    let ingest: Ingest;

    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.location);
      spool = new FileSpool(join(database.dataDir, 'spool'));
      ingest = newIngest(store, spool);
    });
    after(async () => {
      await ingest.close();
      await store.close();
      await database.dispose();
    });

    it('stores a Part 10 instance byte for byte and indexes it once', async () => {
      const fixture = await makeOphthalmicPhotograph({ eye: 'L' });
      const accepted = await feed(ingest, fixture.part10, 'req-a');
      assert.equal(accepted.header.sopInstanceUid, fixture.sopInstanceUid);
      await ingest.flush();
      const [record] = await store.index.listInstances(fixture.studyInstanceUid);
      assert.ok(record);
      assert.equal(record.eye, 'L');
      assert.deepEqual(readFileSync(spool.resolve(record.spoolPath)), fixture.part10);
      await feed(ingest, fixture.part10, 'req-b');
      await ingest.flush();
      assert.equal((await store.index.getStudy(fixture.studyInstanceUid))?.instanceCount, 1);
      assert.deepEqual(readdirSync(join(spool.root, 'pending')), []);
    });

    it('writes a valid file meta group for a bare DIMSE data set', async () => {
      const fixture = makeOphthalmicTomography({ eye: 'R' });
      const meta = scanBuffer(fixture.part10, { part10: true }).meta!;
      const dataset = fixture.part10.subarray(meta.byteLength);
      const incoming = await ingest.begin(
        {
          protocol: 'dimse',
          peerAddress: '127.0.0.1',
          callingAet: 'OCT1',
          calledAet: 'FOVEA',
          requestId: 'assoc-1',
          site: 'default',
        },
        {
          part10: false,
          sopClassUid: fixture.sopClassUid,
          sopInstanceUid: fixture.sopInstanceUid,
          transferSyntaxUid: fixture.transferSyntaxUid,
        },
      );
      await incoming.write(dataset.subarray(0, 77));
      await incoming.write(dataset.subarray(77));
      await incoming.finish();
      await ingest.flush();
      const [record] = await store.index.listInstances(fixture.studyInstanceUid);
      const written = readFileSync(spool.resolve(record!.spoolPath));
      const rescanned = scanBuffer(written, { part10: true });
      assert.equal(rescanned.meta?.mediaStorageSopInstanceUid, fixture.sopInstanceUid);
      assert.equal(rescanned.meta?.sourceApplicationEntityTitle, 'OCT1');
      assert.deepEqual(written.subarray(rescanned.meta!.byteLength), dataset);
      assert.equal(record?.origin.callingAet, 'OCT1');
    });

    it('rejects bad input with the right code and leaves nothing behind', async () => {
      const good = await makeOphthalmicPhotograph();
      const cases: [string, Buffer, string][] = [
        ['truncated', good.part10.subarray(0, good.part10.length - 100), 'FOVEA_DICOM_MALFORMED'],
        ['garbage', Buffer.from('x'.repeat(500)), 'FOVEA_DICOM_MALFORMED'],
      ];
      const missing = Buffer.from(good.part10);
      const at = missing.toString('latin1').indexOf(good.seriesInstanceUid, 200);
      missing.fill(0x20, at, at + good.seriesInstanceUid.length);
      cases.push(['missing series UID', missing, 'FOVEA_DICOM_MISSING_ATTRIBUTE']);
      const narrow = newIngest(store, spool, ['1.2.840.10008.5.1.4.1.1.77.1.5.4']);
      for (const [name, bytes, code] of cases) {
        await assert.rejects(
          feed(ingest, bytes, 'req-bad'),
          (error: unknown) => error instanceof FoveaError && error.code === code,
          name,
        );
      }
      await assert.rejects(
        feed(narrow, good.part10, 'req-bad'),
        (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_DICOM_SOP_CLASS_UNSUPPORTED',
      );
      assert.deepEqual(nonEmptyFiles(join(spool.root, 'tmp')), []);
      assert.deepEqual(readdirSync(join(spool.root, 'pending')), []);
      assert.equal(await store.index.getStudy(good.studyInstanceUid), undefined);
      assert.equal(existsSync(join(spool.root, 'studies', good.studyInstanceUid)), false);
    });

    it('logs a numbered event without patient data for every rejection, unsupported transfer syntax included', async () => {
      const lines: Record<string, unknown>[] = [];
      const capture: Logger = {
        debug: (fields) => lines.push(fields),
        info: (fields) => lines.push(fields),
        warn: (fields) => lines.push(fields),
        error: (fields) => lines.push(fields),
        child: () => capture,
      };
      const logged = new Ingest({
        spool,
        index: store.index,
        logger: capture,
        metrics: noMetrics,
        acceptedSopClasses: new Set(acceptedStorageSopClasses.map((entry) => entry.uid)),
        acceptedTransferSyntaxes: new Set(acceptedTransferSyntaxes),
      });
      const good = await makeOphthalmicPhotograph({ patientId: 'SECRET-PID', patientName: 'SECRET^NAME' });
      const bigEndian = Buffer.from(good.part10);
      const at = bigEndian.toString('latin1').indexOf('1.2.840.10008.1.2.1\0');
      bigEndian.write('1.2.840.10008.1.2.2\0', at, 'latin1');
      const cases: [Buffer, string][] = [
        [bigEndian, 'FOVEA_DICOM_TRANSFER_SYNTAX_UNSUPPORTED'],
        [good.part10.subarray(0, 300), 'FOVEA_DICOM_MALFORMED'],
      ];
      for (const [bytes, code] of cases) {
        await assert.rejects(
          feed(logged, bytes, 'req-log'),
          (error: unknown) => error instanceof FoveaError && error.code === code,
        );
        const line = lines.at(-1);
        assert.equal(line?.event, 3011);
        assert.equal(line?.code, code);
      }
      assert.ok(!JSON.stringify(lines).includes('SECRET'));
      await logged.close();
    });

    it('recovers committed but unindexed instances after a crash', async () => {
      const fixture = await makeOphthalmicPhotograph();
      const crashed = newIngest(store, spool);
      await crashed.close();
      await feed(crashed, fixture.part10, 'req-crash');
      assert.equal(readdirSync(join(spool.root, 'pending')).length, 1);
      assert.equal(await store.index.getStudy(fixture.studyInstanceUid), undefined);
      const restarted = newIngest(store, spool);
      assert.equal(await restarted.recover('default'), 1);
      const [record] = await store.index.listInstances(fixture.studyInstanceUid);
      assert.equal(record?.origin.requestId, 'req-crash');
      assert.equal(record?.origin.protocol, 'stow-rs');
      assert.deepEqual(readdirSync(join(spool.root, 'pending')), []);
      await restarted.close();
    });

    it('a process sharing the spool adopts what a dead process acknowledged, once it is old enough', async () => {
      const fixture = await makeOphthalmicPhotograph();
      const dead = newIngest(store, spool);
      await dead.close();
      await feed(dead, fixture.part10, 'req-dead');
      const survivor = newIngest(store, spool);
      assert.equal(
        await survivor.adopt('default', 60_000),
        0,
        'committed just now: its receiver may be indexing it',
      );
      const later = new Ingest({
        ...ingestDependencies(store, spool),
        now: () => new Date(Date.now() + 61_000),
      });
      assert.equal(await later.adopt('default', 60_000), 1);
      await later.flush();
      const [record] = await store.index.listInstances(fixture.studyInstanceUid);
      assert.equal(record?.origin.requestId, 'req-dead');
      assert.deepEqual(readdirSync(join(spool.root, 'pending')), []);
      assert.equal(await later.adopt('default', 0), 0);
      await survivor.close();
      await later.close();
    });

    it(
      'the receiver and an adopting process index one pending instance once, and neither stalls',
      { timeout: 60_000 },
      async () => {
        const { fixture, database, owner } = await stalledReceiver(store, spool, 'req-owner');
        const adopter = newIngest(store, spool);
        assert.equal(await adopter.adopt('default', 0), 1);
        await adopter.flush();
        assert.deepEqual(readdirSync(join(spool.root, 'pending')), []);
        database.down = false;
        // The receiver retries its batch: the pending file is gone, the instance is in place and indexed.
        await owner.flush();
        assert.equal(owner.queueDepth, 0);
        assert.equal((await store.index.getStudy(fixture.studyInstanceUid))?.instanceCount, 1);
        await owner.close();
        await adopter.close();
      },
    );

    it(
      'a pending instance quarantined by another process leaves the receiver queue',
      { timeout: 60_000 },
      async () => {
        const { fixture, database, owner } = await stalledReceiver(store, spool, 'req-quarantined');
        const [pending] = await spool.listPending();
        assert.ok(pending);
        await spool.quarantine(pending);
        database.down = false;
        await owner.flush();
        assert.equal(owner.queueDepth, 0);
        assert.equal(await store.index.getStudy(fixture.studyInstanceUid), undefined);
        assert.ok(readdirSync(join(spool.root, 'quarantine')).includes(pending.name));
        await owner.close();
      },
    );

    it('deletes the temporary files of a process that died, empty spares included, never a live process’s', async () => {
      const root = mkdtempSync(join(database.dataDir, 'spool-temporary-'));
      const tmp = join(root, 'tmp');
      const settle = async (count: number): Promise<string[]> => {
        for (let tries = 0; readdirSync(tmp).length < count && tries < 200; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return readdirSync(tmp);
      };
      // Each process: the instance it is receiving and four spares opened ahead (empty).
      const live = new FileSpool(root);
      const writing = await live.begin('req-writing');
      await writing.write(Buffer.from('DICM'));
      const liveFiles = await settle(5);
      assert.equal(liveFiles.length, 5);
      const dead = new FileSpool(root);
      const abandoned = await dead.begin('req-abandoned');
      await abandoned.write(Buffer.from('DICM'));
      const deadFiles = (await settle(10)).filter((name) => !liveFiles.includes(name));
      assert.equal(deadFiles.length, 5);
      assert.equal(await live.cleanTemporary(60_000), 0);
      // Every file an hour old (the dead process stopped refreshing its own): the live process refreshes its
      // files before deleting the others.
      const hourAgo = new Date(Date.now() - 3_600_000);
      for (const name of readdirSync(tmp)) {
        utimesSync(join(tmp, name), hourAgo, hourAgo);
      }
      assert.equal(await live.cleanTemporary(60_000), 5);
      assert.deepEqual(readdirSync(tmp).sort(), [...liveFiles].sort());
      // A second process's clean keeps them too: they were refreshed.
      const other = new FileSpool(root);
      assert.equal(await other.cleanTemporary(60_000), 0);
      // The live process's instance still commits from its refreshed file.
      assert.equal((await writing.commit('1.2.3.4')).sizeBytes, 4);
      await live.close();
      assert.deepEqual(readdirSync(tmp), []);
      await abandoned.discard();
      await dead.close();
      await other.close();
    });
  });
}
