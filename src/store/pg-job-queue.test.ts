import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { JobNotice } from '../core/job-queue.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../test/peers/databases.ts';
import { openStore, type Store } from './index.ts';

function uniqueKind(): string {
  return `k-${randomUUID().slice(0, 8)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const retryable = { code: 'FOVEA_ANALYZER_TIMEOUT', message: 'slow', retryable: true };

for (const backend of await testBackends()) {
  describe(`PgJobQueue on ${backend}`, () => {
    let database: TestDatabase;
    let store: Store;
    /** A second pool on PostgreSQL (another "process"); PGlite is one process, so the same store. */
    let other: Store;

    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.location);
      other = backend === 'postgres' ? await openStore(database.location) : store;
    });
    after(async () => {
      if (other !== store) {
        await other.close();
      }
      await store.close();
      await database.dispose();
    });

    it('enqueues idempotently by (kind, key) and announces only new jobs', async () => {
      const kind = uniqueKind();
      const notices: JobNotice[] = [];
      const unsubscribe = await store.jobs.onAvailable((notice) => {
        if (notice.kind === kind) {
          notices.push(notice);
        }
      });
      const ids = await store.jobs.enqueue([
        { kind, key: 'a', payload: { n: 1 }, studyInstanceUid: '1.2.3' },
        { kind, key: 'b', payload: { n: 2 }, maxAttempts: 2 },
        { kind, key: 'a', payload: { n: 99 } },
      ]);
      assert.equal(ids.length, 3);
      assert.equal(ids[0], ids[2]);
      assert.notEqual(ids[0], ids[1]);
      await sleep(150);
      assert.equal(notices.length, 1, 'one notice per kind per statement');
      assert.equal(notices[0]!.inMs, 0);

      const again = await other.jobs.enqueue([
        { kind, key: 'b', payload: {} },
        { kind, key: 'a', payload: {} },
      ]);
      assert.deepEqual(again, [ids[1], ids[0]]);
      await sleep(150);
      assert.equal(notices.length, 1, 'no notice when nothing new was enqueued');

      const job = await store.jobs.getJob(ids[0]!);
      assert.ok(job);
      assert.equal(job.kind, kind);
      assert.equal(job.key, 'a');
      assert.deepEqual(job.payload, { n: 1 });
      assert.equal(job.studyInstanceUid, '1.2.3');
      assert.equal(job.state, 'queued');
      assert.equal(job.attempts, 0);
      assert.equal(job.maxAttempts, 5);
      assert.equal((await store.jobs.getJob(ids[1]!))?.maxAttempts, 2);
      assert.equal(await store.jobs.getJob('999999999'), undefined);
      assert.equal(await store.jobs.getJob('not-an-id'), undefined);
      assert.deepEqual(await store.jobs.countByState(kind), { queued: 2, running: 0, succeeded: 0, dead: 0 });
      await unsubscribe();
    });

    it('announces a delayed job with its delay in database time and holds it until due', async () => {
      const kind = uniqueKind();
      const notices: JobNotice[] = [];
      const unsubscribe = await store.jobs.onAvailable((notice) => {
        if (notice.kind === kind) {
          notices.push(notice);
        }
      });
      await store.jobs.enqueue([{ kind, key: 'later', payload: {}, runAt: new Date(Date.now() + 400) }]);
      assert.deepEqual(await store.jobs.claim([kind], 'w1', 10_000, 5), []);
      await sleep(100);
      assert.equal(notices.length, 1);
      assert.ok(notices[0]!.inMs > 200 && notices[0]!.inMs <= 400, `inMs ${notices[0]!.inMs}`);
      await sleep(400);
      const claimed = await store.jobs.claim([kind], 'w1', 10_000, 5);
      assert.equal(claimed.length, 1);
      await unsubscribe();
    });

    it('never hands the same job to two concurrent claimers', async () => {
      const kind = uniqueKind();
      const count = 120;
      await store.jobs.enqueue(
        Array.from({ length: count }, (_, index) => ({ kind, key: String(index), payload: { index } })),
      );
      const claimedBy = new Map<string, string[]>();
      const claimer = async (queueStore: Store, workerId: string): Promise<void> => {
        for (;;) {
          const jobs = await queueStore.jobs.claim([kind], workerId, 30_000, 3);
          if (jobs.length === 0) {
            return;
          }
          for (const job of jobs) {
            claimedBy.set(job.id, [...(claimedBy.get(job.id) ?? []), workerId]);
            assert.equal(job.state, 'running');
            assert.equal(job.lockedBy, workerId);
            assert.equal(job.attempts, 1);
            assert.ok(await queueStore.jobs.complete(job.id, workerId));
          }
        }
      };
      await Promise.all([
        claimer(store, 'a1'),
        claimer(store, 'a2'),
        claimer(store, 'a3'),
        claimer(other, 'b1'),
        claimer(other, 'b2'),
        claimer(other, 'b3'),
      ]);
      assert.equal(claimedBy.size, count);
      const twice = [...claimedBy.entries()].filter(([, workers]) => workers.length > 1);
      assert.deepEqual(twice, []);
      assert.deepEqual(await store.jobs.countByState(kind), {
        queued: 0,
        running: 0,
        succeeded: count,
        dead: 0,
      });
    });

    it('claims in run_at order, only the kinds asked for, up to the limit', async () => {
      const kind = uniqueKind();
      const otherKind = uniqueKind();
      const base = Date.now() - 10_000;
      const [late, early] = await store.jobs.enqueue([
        { kind, key: 'late', payload: {}, runAt: new Date(base + 2000) },
        { kind, key: 'early', payload: {}, runAt: new Date(base) },
        { kind: otherKind, key: 'x', payload: {} },
      ]);
      const first = await store.jobs.claim([kind], 'w', 10_000, 1);
      assert.deepEqual(
        first.map((job) => job.id),
        [early],
      );
      const second = await store.jobs.claim([kind], 'w', 10_000, 5);
      assert.deepEqual(
        second.map((job) => job.id),
        [late],
      );
      assert.deepEqual(await store.jobs.claim([kind], 'w', 10_000, 5), []);
      assert.equal((await store.jobs.claim([otherKind], 'w', 10_000, 5)).length, 1);
    });

    it('lets another worker take over an expired lease; the old holder can no longer finish it', async () => {
      const kind = uniqueKind();
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {} }]);
      const [held] = await store.jobs.claim([kind], 'old', 200, 1);
      assert.ok(held);
      assert.equal(held.id, id);
      assert.ok(held.lockedUntil !== undefined && held.lockedUntil > held.updatedAt);
      assert.deepEqual(await other.jobs.claim([kind], 'new', 10_000, 1), [], 'the lease still holds');
      assert.equal(await store.jobs.extendLease(id!, 'old', 200), true);
      await sleep(350);
      const [taken] = await other.jobs.claim([kind], 'new', 10_000, 1);
      assert.ok(taken);
      assert.equal(taken.id, id);
      assert.equal(taken.attempts, 2);
      assert.equal(taken.lockedBy, 'new');
      assert.equal(await store.jobs.complete(id!, 'old'), false);
      assert.equal(await store.jobs.extendLease(id!, 'old', 10_000), false);
      assert.equal(await store.jobs.fail(id!, 'old', retryable, new Date()), 'lost');
      assert.equal(await store.jobs.release(id!, 'old'), false);
      assert.equal(await other.jobs.extendLease(id!, 'new', 10_000), true);
      assert.equal(await other.jobs.complete(id!, 'new'), true);
      const done = await store.jobs.getJob(id!);
      assert.equal(done?.state, 'succeeded');
      assert.equal(done?.lockedBy, 'new', 'the worker that ran it is kept');
      assert.equal(done?.lockedUntil, undefined);
      assert.equal(await other.jobs.complete(id!, 'new'), false, 'completing twice is refused');
    });

    it('retries a retryable failure after its delay, then dead-letters it when attempts run out', async () => {
      const kind = uniqueKind();
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {}, maxAttempts: 2 }]);
      const notices: JobNotice[] = [];
      const unsubscribe = await store.jobs.onAvailable((notice) => {
        // The enqueue's own notice (inMs 0) may still be on its way.
        if (notice.kind === kind && notice.inMs > 0) {
          notices.push(notice);
        }
      });
      await store.jobs.claim([kind], 'w', 10_000, 1);
      assert.equal(await store.jobs.fail(id!, 'w', retryable, new Date(Date.now() + 300)), 'retrying');
      const waiting = await store.jobs.getJob(id!);
      assert.equal(waiting?.state, 'queued');
      assert.equal(waiting?.attempts, 1);
      assert.deepEqual(waiting?.lastError, { code: 'FOVEA_ANALYZER_TIMEOUT', message: 'slow' });
      assert.equal(waiting?.lockedUntil, undefined);
      assert.deepEqual(await store.jobs.claim([kind], 'w', 10_000, 1), [], 'not before its retry time');
      await sleep(100);
      assert.equal(notices.length, 1);
      assert.ok(notices[0]!.inMs > 150 && notices[0]!.inMs <= 300, `inMs ${notices[0]!.inMs}`);
      await sleep(300);
      const [again] = await store.jobs.claim([kind], 'w', 10_000, 1);
      assert.equal(again?.attempts, 2);
      assert.equal(
        await store.jobs.fail(id!, 'w', { ...retryable, message: 'x'.repeat(5000) }, new Date()),
        'dead',
      );
      const dead = await store.jobs.getJob(id!);
      assert.equal(dead?.state, 'dead');
      assert.equal(dead?.lastError?.message.length, 2000, 'long messages are cut');
      await unsubscribe();
    });

    it('dead-letters a non-retryable failure at once, and requeues it on demand', async () => {
      const kind = uniqueKind();
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {} }]);
      await store.jobs.claim([kind], 'w', 10_000, 1);
      const outcome = await store.jobs.fail(
        id!,
        'w',
        { code: 'FOVEA_DICOM_MALFORMED', message: 'bad', retryable: false },
        new Date(),
      );
      assert.equal(outcome, 'dead');
      assert.equal((await store.jobs.getJob(id!))?.attempts, 1);
      const deadPage = await store.jobs.listJobs({ state: 'dead', kind, limit: 10, offset: 0 });
      assert.deepEqual(
        deadPage.items.map((job) => job.id),
        [id],
      );

      assert.equal(await store.jobs.requeue('not-an-id'), false);
      assert.equal(await store.jobs.requeue(id!), true);
      assert.equal(await store.jobs.requeue(id!), false, 'only a dead job is requeued');
      const requeued = await store.jobs.getJob(id!);
      assert.equal(requeued?.state, 'queued');
      assert.equal(requeued?.attempts, 0);
      assert.equal(requeued?.lastError?.code, 'FOVEA_DICOM_MALFORMED', 'the last error stays for the record');
      const [claimed] = await store.jobs.claim([kind], 'w', 10_000, 1);
      assert.equal(claimed?.attempts, 1);
    });

    it('releases a held job without counting the attempt', async () => {
      const kind = uniqueKind();
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {} }]);
      await store.jobs.claim([kind], 'w', 10_000, 1);
      assert.equal(await store.jobs.release(id!, 'w'), true);
      const released = await store.jobs.getJob(id!);
      assert.equal(released?.state, 'queued');
      assert.equal(released?.attempts, 0);
      assert.equal(released?.lockedBy, undefined);
      assert.equal((await other.jobs.claim([kind], 'w2', 10_000, 1))[0]?.id, id);
    });

    it('dead-letters a job whose lease expired during its last attempt instead of taking it over', async () => {
      const kind = uniqueKind();
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {}, maxAttempts: 1 }]);
      await store.jobs.claim([kind], 'crashed', 100, 1);
      assert.deepEqual(await store.jobs.reapExpired([kind]), [], 'not while the lease holds');
      await sleep(250);
      assert.deepEqual(await other.jobs.claim([kind], 'w', 10_000, 1), []);
      const reaped = await other.jobs.reapExpired([kind]);
      assert.deepEqual(
        reaped.map((job) => job.id),
        [id],
      );
      assert.equal(reaped[0]!.state, 'dead');
      assert.equal(reaped[0]!.lastError?.code, 'FOVEA_JOB_LEASE_LOST');
      assert.deepEqual(await other.jobs.reapExpired([kind]), []);
    });

    it('lists jobs newest first with filters and paging, and counts them by state', async () => {
      const kind = uniqueKind();
      const study = `2.25.${Date.now()}`;
      const ids = await store.jobs.enqueue(
        Array.from({ length: 5 }, (_, index) => ({
          kind,
          key: String(index),
          payload: {},
          ...(index < 3 ? { studyInstanceUid: study } : {}),
        })),
      );
      const page = await store.jobs.listJobs({ kind, limit: 2, offset: 0 });
      assert.equal(page.total, 5);
      assert.deepEqual(
        page.items.map((job) => job.id),
        [ids[4], ids[3]],
      );
      const last = await store.jobs.listJobs({ kind, limit: 2, offset: 4 });
      assert.deepEqual(
        last.items.map((job) => job.id),
        [ids[0]],
      );
      const beyond = await store.jobs.listJobs({ kind, limit: 2, offset: 10 });
      assert.equal(beyond.items.length, 0);
      assert.equal(beyond.total, 5);
      const byStudy = await store.jobs.listJobs({ studyInstanceUid: study, limit: 10, offset: 0 });
      assert.equal(byStudy.total, 3);
      await store.jobs.claim([kind], 'w', 10_000, 1);
      assert.deepEqual(await store.jobs.countByState(kind), { queued: 4, running: 1, succeeded: 0, dead: 0 });
      const all = await store.jobs.countByState();
      assert.ok(all.queued >= 4 && all.succeeded >= 120);
      assert.equal((await store.jobs.listJobs({ kind, state: 'running', limit: 5, offset: 0 })).total, 1);
    });
  });
}
