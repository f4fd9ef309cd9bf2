/**
 * Several Fovea processes sharing one PostgreSQL job queue (design.md §7 scale-out): two child processes run a
 * JobRunner each. With no crash, every job runs exactly once and both processes work; after a kill -9 of one
 * process holding claimed jobs, the other takes them over once their leases expire, every job succeeds, and the
 * idempotent effect exists exactly once per job. PostgreSQL only (PGlite is single-process).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { openStore, type Store } from '../../src/store/index.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../peers/databases.ts';
import { requirePeer } from '../peers/peers.ts';

const childScript = join(import.meta.dirname, 'job-worker-process.ts');
const jobCount = 200;

interface Worker {
  readonly id: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

const children: Worker[] = [];
const databases: TestDatabase[] = [];
const stores: Store[] = [];

after(async () => {
  for (const worker of children) {
    if (
      worker.child.exitCode === null &&
      worker.child.signalCode === null &&
      worker.child.pid !== undefined
    ) {
      process.kill(worker.child.pid, 'SIGKILL');
    }
  }
  await Promise.all(children.map((worker) => worker.exited));
  for (const store of stores) {
    await store.close();
  }
  for (const database of databases) {
    await database.dispose();
  }
});

async function setUp(): Promise<{ database: TestDatabase; store: Store }> {
  const database = await createTestDatabase('postgres');
  databases.push(database);
  const store = await openStore(database.location);
  stores.push(store);
  await store.sql.query(
    `CREATE TABLE run_log (
       job_id BIGINT NOT NULL, worker_id TEXT NOT NULL, attempt INTEGER NOT NULL,
       started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
  );
  await store.sql.query(
    `CREATE TABLE effect (
       job_id BIGINT PRIMARY KEY, worker_id TEXT NOT NULL,
       written_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
  );
  return { database, store };
}

/** Starts a worker process and waits until it listens for jobs. */
async function spawnWorker(
  database: TestDatabase,
  id: string,
  kind: string,
  settings: { leaseMs: number; sleepMs: number; concurrency: number },
): Promise<Worker> {
  const child = spawn(process.execPath, [childScript], {
    env: {
      ...process.env,
      FOVEA_TEST_DATABASE_URL: database.location.databaseUrl!,
      FOVEA_TEST_WORKER_ID: id,
      FOVEA_TEST_JOB_KIND: kind,
      FOVEA_TEST_LEASE_MS: String(settings.leaseMs),
      FOVEA_TEST_SLEEP_MS: String(settings.sleepMs),
      FOVEA_TEST_CONCURRENCY: String(settings.concurrency),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.on('data', (data: Buffer) => stderr.push(data.toString('utf8')));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  const worker = { id, child, stderr, exited };
  children.push(worker);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      reject(new Error(`worker ${id} not ready: ${stderr.join('')}`));
    }, 60_000);
    child.stdout.on('data', (data: Buffer) => {
      out += data.toString('utf8');
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${id} exited with ${code}: ${stderr.join('')}`));
    });
  });
  return worker;
}

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function enqueueJobs(store: Store, kind: string): Promise<string[]> {
  return store.jobs.enqueue(
    Array.from({ length: jobCount }, (_, index) => ({ kind, key: `job-${index}`, payload: { index } })),
  );
}

async function count(store: Store, sql: string, params: unknown[] = []): Promise<number> {
  const result = await store.sql.query<{ n: number | string }>(sql, params);
  return Number(result.rows[0]?.n ?? 0);
}

async function postgresPresent(t: TestContext): Promise<boolean> {
  return requirePeer(t, 'postgres', await postgresAvailable());
}

describe('job queue shared by several processes on PostgreSQL', () => {
  it('runs every job exactly once across two processes, both doing work', async (t) => {
    if (!(await postgresPresent(t))) {
      return;
    }
    const { database, store } = await setUp();
    const kind = `effect-${randomUUID().slice(0, 8)}`;
    const settings = { leaseMs: 10_000, sleepMs: 10, concurrency: 4 };
    const workers = await Promise.all([
      spawnWorker(database, 'proc-a', kind, settings),
      spawnWorker(database, 'proc-b', kind, settings),
    ]);
    const started = performance.now();
    const ids = await enqueueJobs(store, kind);
    await waitFor(
      async () => (await store.jobs.countByState(kind)).succeeded === jobCount,
      60_000,
      'every job to succeed',
    );
    const elapsed = performance.now() - started;
    t.diagnostic(`200 jobs (2 processes × concurrency 4, 10 ms each) in ${elapsed.toFixed(0)} ms`);

    assert.deepEqual(await store.jobs.countByState(kind), {
      queued: 0,
      running: 0,
      succeeded: jobCount,
      dead: 0,
    });
    assert.equal(await count(store, 'SELECT count(*)::int AS n FROM run_log'), jobCount, 'one run per job');
    assert.equal(await count(store, 'SELECT count(DISTINCT job_id)::int AS n FROM run_log'), jobCount);
    assert.equal(await count(store, 'SELECT count(*)::int AS n FROM effect'), jobCount);
    const byWorker = await store.sql.query<{ worker_id: string; n: number }>(
      'SELECT worker_id, count(*)::int AS n FROM run_log GROUP BY worker_id ORDER BY worker_id',
    );
    t.diagnostic(`runs per process: ${byWorker.rows.map((row) => `${row.worker_id} ${row.n}`).join(', ')}`);
    assert.deepEqual(
      byWorker.rows.map((row) => row.worker_id),
      ['proc-a', 'proc-b'],
      'both processes did work',
    );
    assert.ok(byWorker.rows.every((row) => row.n > 0));
    assert.equal(
      await count(
        store,
        `SELECT count(*)::int AS n FROM job j JOIN run_log r ON r.job_id = j.id
         WHERE j.kind = $1 AND j.locked_by = r.worker_id AND j.attempts = 1`,
        [kind],
      ),
      jobCount,
      'each job completed by the process that claimed it, on its first attempt',
    );
    assert.equal(new Set(ids).size, jobCount);

    for (const worker of workers) {
      worker.child.kill('SIGTERM');
    }
    assert.deepEqual(await Promise.all(workers.map((worker) => worker.exited)), [0, 0]);
  });

  it('takes over the jobs of a process killed with -9 after their leases expire', async (t) => {
    if (!(await postgresPresent(t))) {
      return;
    }
    const { database, store } = await setUp();
    const kind = `effect-${randomUUID().slice(0, 8)}`;
    const leaseMs = 1500;
    const settings = { leaseMs, sleepMs: 100, concurrency: 4 };
    const [victim, survivor] = await Promise.all([
      spawnWorker(database, 'victim', kind, settings),
      spawnWorker(database, 'survivor', kind, settings),
    ]);
    const started = performance.now();
    await enqueueJobs(store, kind);
    // Kill the victim mid-run, while it holds claimed jobs.
    const held = await waitFor(
      async () => {
        const succeeded = await count(
          store,
          `SELECT count(*)::int AS n FROM job WHERE kind = $1 AND state = 'succeeded'`,
          [kind],
        );
        const running = await count(
          store,
          `SELECT count(*)::int AS n FROM job WHERE kind = $1 AND state = 'running' AND locked_by = 'victim'`,
          [kind],
        );
        return succeeded >= 30 && running > 0 ? running : undefined;
      },
      30_000,
      'the victim to hold jobs mid-run',
    );
    process.kill(victim.child.pid!, 'SIGKILL');
    const killedAt = (await store.sql.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now;
    assert.equal(await victim.exited, null, 'killed by a signal');

    await waitFor(
      async () => (await store.jobs.countByState(kind)).succeeded === jobCount,
      60_000,
      'every job to succeed after the takeover',
    );
    const elapsed = performance.now() - started;

    assert.deepEqual(await store.jobs.countByState(kind), {
      queued: 0,
      running: 0,
      succeeded: jobCount,
      dead: 0,
    });
    assert.equal(
      await count(store, 'SELECT count(*)::int AS n FROM effect'),
      jobCount,
      'the idempotent effect exists exactly once per job',
    );
    assert.equal(await count(store, 'SELECT count(DISTINCT job_id)::int AS n FROM effect'), jobCount);
    // Jobs the victim started but did not complete, finished by the survivor.
    const takeovers = await store.sql.query<{ id: string; attempts: number; delay_ms: number | string }>(
      `SELECT j.id::text AS id, j.attempts,
              extract(epoch FROM (SELECT min(r.started_at) FROM run_log r
                                  WHERE r.job_id = j.id AND r.worker_id = 'survivor') - $2::timestamptz) * 1000
                AS delay_ms
       FROM job j
       WHERE j.kind = $1 AND j.locked_by = 'survivor'
         AND EXISTS (SELECT 1 FROM run_log r WHERE r.job_id = j.id AND r.worker_id = 'victim')`,
      [kind, killedAt],
    );
    const delays = takeovers.rows.map((row) => Number(row.delay_ms));
    t.diagnostic(
      `kill -9 with ${held} jobs held (lease ${leaseMs} ms): ${takeovers.rows.length} taken over ` +
        `${Math.min(...delays).toFixed(0)}–${Math.max(...delays).toFixed(0)} ms after the kill; ` +
        `200 jobs in ${elapsed.toFixed(0)} ms`,
    );
    assert.ok(takeovers.rows.length >= 1, 'the survivor took over the victim’s jobs');
    for (const row of takeovers.rows) {
      assert.ok(row.attempts >= 2, `job ${row.id} counted the lost attempt`);
    }
    // The victim renewed its leases every leaseMs/3, so none expired before leaseMs·2/3 after the kill.
    assert.ok(
      Math.min(...delays) >= (leaseMs * 2) / 3 - 100,
      `taken over only after lease expiry (${Math.min(...delays)} ms)`,
    );
    assert.ok(Math.max(...delays) < leaseMs + 5000, `taken over promptly (${Math.max(...delays)} ms)`);
    // Only the victim's interrupted jobs ran twice.
    assert.equal(
      await count(
        store,
        `SELECT count(*)::int AS n FROM (SELECT job_id FROM run_log GROUP BY job_id HAVING count(*) > 1) twice`,
      ),
      takeovers.rows.length,
    );
    assert.ok(
      survivor.stderr
        .join('')
        .split('\n')
        .every((line) => !line.includes('"level":"error"')),
    );

    survivor.child.kill('SIGTERM');
    assert.equal(await survivor.exited, 0);
  });
});
