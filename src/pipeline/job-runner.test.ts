import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FoveaError } from '../core/errors.ts';
import type { Job } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { LogFields, Logger } from '../core/logger.ts';
import { openStore, type Store } from '../store/index.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../test/peers/databases.ts';
import { backoffDelay, jobErrorOf, JobRunner, type JobHandler, type JobRunnerOptions } from './job-runner.ts';

interface LogLine {
  readonly level: string;
  readonly fields: LogFields;
  readonly message: string;
}

function recordingLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const write =
    (level: string) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, fields: { ...bindings, ...fields }, message });
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
    await sleep(20);
  }
}

/** Resolves when `signal` aborts, rejecting with its reason (how a well-behaved handler stops). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
    }
    signal.addEventListener(
      'abort',
      () => {
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

function uniqueKind(): string {
  return `k-${randomUUID().slice(0, 8)}`;
}

const events = (lines: readonly LogLine[], event: number): LogLine[] =>
  lines.filter((line) => line.fields.event === event);

describe('backoff and error classification', () => {
  it('grows exponentially, caps at maxMs, and jitters down by at most the jitter share', () => {
    const policy = { baseMs: 100, maxMs: 1000, factor: 2, jitter: 0 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, policy)),
      [100, 200, 400, 800, 1000, 1000],
    );
    const jittered = { ...policy, jitter: 0.5 };
    assert.equal(
      backoffDelay(3, jittered, () => 0),
      400,
    );
    assert.equal(
      backoffDelay(3, jittered, () => 0.999999),
      200,
    );
    for (let index = 0; index < 100; index++) {
      const delay = backoffDelay(2, jittered);
      assert.ok(delay >= 100 && delay <= 200);
    }
  });

  it('retries what the catalogue calls retryable, and unknown errors', () => {
    assert.deepEqual(jobErrorOf(new FoveaError('FOVEA_ANALYZER_TIMEOUT')), {
      code: 'FOVEA_ANALYZER_TIMEOUT',
      message: 'The analyzer did not finish in time',
      retryable: true,
    });
    assert.equal(jobErrorOf(new FoveaError('FOVEA_DICOM_MALFORMED')).retryable, false);
    assert.deepEqual(jobErrorOf(new TypeError('boom')), {
      code: 'FOVEA_INTERNAL',
      message: 'boom',
      retryable: true,
    });
  });
});

for (const backend of await testBackends()) {
  describe(`JobRunner on ${backend}`, () => {
    let database: TestDatabase;
    let store: Store;
    const runners: JobRunner[] = [];

    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.location);
    });
    after(async () => {
      await Promise.all(runners.map((runner) => runner.stop()));
      await store.close();
      await database.dispose();
    });

    /** A runner on the test store with quick defaults; stopped in `after` if the test does not stop it. */
    async function startRunner(
      handlers: Record<string, JobHandler>,
      lines: LogLine[],
      options: Partial<JobRunnerOptions> = {},
    ): Promise<JobRunner> {
      const runner = new JobRunner({
        queue: store.jobs,
        workerId: `w-${randomUUID().slice(0, 8)}`,
        handlers,
        concurrency: 4,
        leaseMs: 5000,
        timeoutMs: 30_000,
        backoff: { baseMs: 50, maxMs: 1000, factor: 2, jitter: 0 },
        logger: recordingLogger(lines),
        drainMs: 100,
        ...options,
      });
      runners.push(runner);
      await runner.start();
      return runner;
    }

    it('runs 200 jobs once each and logs them by number, without payloads', async (t) => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      const runs = new Map<string, number>();
      let active = 0;
      let peak = 0;
      await startRunner(
        {
          [kind]: async (job) => {
            active++;
            peak = Math.max(peak, active);
            runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
            await sleep(2);
            active--;
          },
        },
        lines,
      );
      const started = performance.now();
      await store.jobs.enqueue(
        Array.from({ length: 200 }, (_, index) => ({
          kind,
          key: String(index),
          payload: { secret: 'DOE^JANE' },
        })),
      );
      await waitFor(
        async () => (await store.jobs.countByState(kind)).succeeded === 200,
        30_000,
        '200 jobs to succeed',
      );
      const elapsed = performance.now() - started;
      t.diagnostic(`${backend}: 200 jobs (concurrency 4, one runner) in ${elapsed.toFixed(0)} ms`);
      assert.equal(runs.size, 200);
      assert.ok([...runs.values()].every((count) => count === 1));
      assert.ok(peak <= 4, `peak concurrency ${peak}`);
      assert.equal(events(lines, logEvents.JOB_SUCCEEDED).length, 200);
      assert.equal(events(lines, logEvents.JOB_CLAIMED).length, 200);
      assert.ok(!JSON.stringify(lines).includes('DOE^JANE'), 'no payload in the logs');
    });

    it('wakes on NOTIFY: a job enqueued while the runner idles starts in well under a second', async (t) => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      const startedAt = new Map<string, number>();
      // A sweep of a minute: only NOTIFY can wake this runner in time.
      await startRunner(
        {
          [kind]: async (job) => {
            startedAt.set(job.key, performance.now());
          },
        },
        lines,
        { sweepMs: 60_000 },
      );
      const latencies: number[] = [];
      for (let index = 0; index < 5; index++) {
        await sleep(300);
        const enqueuedAt = performance.now();
        await store.jobs.enqueue([{ kind, key: String(index), payload: {} }]);
        await waitFor(async () => startedAt.has(String(index)), 5000, 'the job to start');
        latencies.push(startedAt.get(String(index))! - enqueuedAt);
      }
      const worst = Math.max(...latencies);
      t.diagnostic(
        `${backend}: NOTIFY wake-up latency ${latencies.map((ms) => ms.toFixed(1)).join(', ')} ms (worst ${worst.toFixed(1)})`,
      );
      assert.ok(worst < 1000, `worst wake-up latency ${worst} ms`);
    });

    it('retries with exponential backoff on time, then dead-letters after the last attempt', async (t) => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      const attempts: number[] = [];
      await startRunner(
        {
          [kind]: async () => {
            attempts.push(performance.now());
            throw new Error('flaky peer');
          },
        },
        lines,
        { backoff: { baseMs: 150, maxMs: 10_000, factor: 2, jitter: 0 }, sweepMs: 60_000 },
      );
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {}, maxAttempts: 3 }]);
      const dead = await waitFor(
        async () => {
          const job = await store.jobs.getJob(id!);
          return job?.state === 'dead' ? job : undefined;
        },
        10_000,
        'the job to go dead',
      );
      assert.equal(attempts.length, 3);
      assert.equal(dead.attempts, 3);
      assert.deepEqual(dead.lastError, { code: 'FOVEA_INTERNAL', message: 'flaky peer' });
      const gaps = [attempts[1]! - attempts[0]!, attempts[2]! - attempts[1]!];
      t.diagnostic(
        `${backend}: retry gaps ${gaps.map((gap) => gap.toFixed(0)).join(', ')} ms (backoff 150, 300)`,
      );
      assert.ok(gaps[0]! >= 140 && gaps[0]! < 1000, `first gap ${gaps[0]}`);
      assert.ok(gaps[1]! >= 290 && gaps[1]! < 1200, `second gap ${gaps[1]}`);
      const retries = events(lines, logEvents.JOB_RETRY_SCHEDULED);
      assert.deepEqual(
        retries.map((line) => line.fields.delayMs),
        [150, 300],
      );
      const deadLines = events(lines, logEvents.JOB_DEAD);
      assert.equal(deadLines.length, 1);
      assert.equal(deadLines[0]!.fields.code, 'FOVEA_INTERNAL');
      assert.ok(!JSON.stringify(lines).includes('flaky peer'), 'error messages are stored, not logged');
    });

    it('dead-letters a non-retryable error at once', async () => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      let calls = 0;
      await startRunner(
        {
          [kind]: async () => {
            calls++;
            throw new FoveaError('FOVEA_DICOM_MALFORMED', { detail: 'truncated' });
          },
        },
        lines,
      );
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {} }]);
      const dead = await waitFor(
        async () => {
          const job = await store.jobs.getJob(id!);
          return job?.state === 'dead' ? job : undefined;
        },
        5000,
        'the job to go dead',
      );
      assert.equal(calls, 1);
      assert.equal(dead.attempts, 1);
      assert.equal(dead.lastError?.code, 'FOVEA_DICOM_MALFORMED');
      assert.equal(events(lines, logEvents.JOB_RETRY_SCHEDULED).length, 0);
      assert.equal(events(lines, logEvents.JOB_DEAD)[0]?.fields.retryable, false);
    });

    it('runs a requeued dead job again', async () => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      let fail = true;
      await startRunner(
        {
          [kind]: async () => {
            if (fail) {
              throw new FoveaError('FOVEA_CONFIG_INVALID');
            }
          },
        },
        lines,
      );
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {} }]);
      await waitFor(async () => (await store.jobs.getJob(id!))?.state === 'dead', 5000, 'dead');
      fail = false;
      assert.equal(await store.jobs.requeue(id!), true);
      const done = await waitFor(
        async () => {
          const job = await store.jobs.getJob(id!);
          return job?.state === 'succeeded' ? job : undefined;
        },
        5000,
        'the requeued job to succeed',
      );
      assert.equal(done.attempts, 1);
    });

    it('aborts a job at its timeout with FOVEA_ANALYZER_TIMEOUT and retries it', async () => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      const reasons: unknown[] = [];
      let abortedAfter = 0;
      await startRunner(
        {
          [kind]: async (job, signal) => {
            if (job.attempts === 1) {
              const started = performance.now();
              try {
                await untilAborted(signal);
              } finally {
                abortedAfter = performance.now() - started;
                reasons.push(signal.reason);
              }
            }
          },
        },
        lines,
        { timeoutMs: (job: Job) => (job.kind === kind ? 200 : 30_000) },
      );
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {} }]);
      const done = await waitFor(
        async () => {
          const job = await store.jobs.getJob(id!);
          return job?.state === 'succeeded' ? job : undefined;
        },
        5000,
        'the retried job to succeed',
      );
      assert.equal(done.attempts, 2);
      assert.equal(done.lastError?.code, 'FOVEA_ANALYZER_TIMEOUT');
      assert.ok(reasons[0] instanceof FoveaError && reasons[0].code === 'FOVEA_ANALYZER_TIMEOUT');
      assert.ok(abortedAfter >= 190 && abortedAfter < 1000, `aborted after ${abortedAfter} ms`);
      assert.equal(events(lines, logEvents.JOB_TIMED_OUT).length, 1);
      assert.equal(events(lines, logEvents.JOB_RETRY_SCHEDULED)[0]?.fields.code, 'FOVEA_ANALYZER_TIMEOUT');
    });

    it('frees the slot of a handler that ignores its abort signal', async (t) => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      const started = new Map<string, number>();
      let releaseStuck: () => void = () => undefined;
      const stuck = new Promise<void>((resolve) => (releaseStuck = resolve));
      await startRunner(
        {
          [kind]: async (job) => {
            started.set(job.key, performance.now());
            if (job.key === 'stuck') {
              await stuck;
            }
          },
        },
        lines,
        { concurrency: 1, timeoutMs: 150, abandonMs: 200 },
      );
      const [stuckId, nextId] = await store.jobs.enqueue([
        { kind, key: 'stuck', payload: {}, maxAttempts: 1 },
        { kind, key: 'next', payload: {} },
      ]);
      await waitFor(
        async () => (await store.jobs.getJob(nextId!))?.state === 'succeeded',
        5000,
        'the next job to run in the freed slot',
      );
      const wait = started.get('next')! - started.get('stuck')!;
      t.diagnostic(`${backend}: slot freed ${wait.toFixed(0)} ms after the stuck job started (150 + 200)`);
      assert.ok(wait >= 340 && wait < 1500, `waited ${wait} ms`);
      const dead = await store.jobs.getJob(stuckId!);
      assert.equal(dead?.state, 'dead');
      assert.equal(dead?.lastError?.code, 'FOVEA_ANALYZER_TIMEOUT');
      assert.match(dead?.lastError?.message ?? '', /did not stop/u);
      assert.ok(
        events(lines, logEvents.JOB_RUNNER_FAILED).some((line) => line.fields.cause === 'timeout'),
        'the abandonment is logged',
      );
      releaseStuck();
    });

    it('aborts the handler when its lease is lost, and records nothing of that attempt', async () => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      const reasons: unknown[] = [];
      await startRunner(
        {
          [kind]: async (_job, signal) => {
            try {
              await untilAborted(signal);
            } finally {
              reasons.push(signal.reason);
            }
          },
        },
        lines,
        { leaseMs: 600, heartbeatMs: 100 },
      );
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {} }]);
      await waitFor(async () => (await store.jobs.getJob(id!))?.state === 'running', 5000, 'running');
      // Another process takes the job over (as after a lease expiry).
      await store.sql.query(`UPDATE job SET locked_by = 'thief' WHERE id = $1::bigint`, [id]);
      await waitFor(async () => reasons.length === 1, 5000, 'the handler to be aborted');
      assert.ok(reasons[0] instanceof FoveaError && reasons[0].code === 'FOVEA_JOB_LEASE_LOST');
      await sleep(100);
      const job = await store.jobs.getJob(id!);
      assert.equal(job?.state, 'running');
      assert.equal(job?.lockedBy, 'thief');
      assert.equal(job?.lastError, undefined);
      assert.equal(events(lines, logEvents.JOB_LEASE_LOST).length, 1);
    });

    it('keeps the lease alive while a long job runs', async () => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      await startRunner(
        {
          [kind]: async () => {
            await sleep(1500);
          },
        },
        lines,
        { leaseMs: 400 },
      );
      const [id] = await store.jobs.enqueue([{ kind, key: 'x', payload: {} }]);
      await waitFor(async () => (await store.jobs.getJob(id!))?.state === 'running', 5000, 'running');
      await sleep(900);
      assert.deepEqual(await store.jobs.claim([kind], 'intruder', 10_000, 1), [], 'the lease was renewed');
      await waitFor(async () => (await store.jobs.getJob(id!))?.state === 'succeeded', 5000, 'success');
      assert.equal((await store.jobs.getJob(id!))?.attempts, 1);
    });

    it('stops gracefully: finished work completes, aborted work goes back to the queue uncounted', async () => {
      const kind = uniqueKind();
      const lines: LogLine[] = [];
      const runner = await startRunner(
        {
          [kind]: async (job, signal) => {
            if (job.key === 'quick') {
              await sleep(50);
              return;
            }
            await untilAborted(signal);
          },
        },
        lines,
        { drainMs: 300 },
      );
      const [quick, slow] = await store.jobs.enqueue([
        { kind, key: 'quick', payload: {} },
        { kind, key: 'slow', payload: {} },
      ]);
      await waitFor(
        async () => (await store.jobs.countByState(kind)).running === 2,
        5000,
        'both jobs to run',
      );
      const stopping = performance.now();
      await runner.stop();
      const took = performance.now() - stopping;
      assert.ok(took < 2000, `stop took ${took} ms`);
      assert.equal(runner.activeCount, 0);
      assert.equal((await store.jobs.getJob(quick!))?.state, 'succeeded');
      const released = await store.jobs.getJob(slow!);
      assert.equal(released?.state, 'queued');
      assert.equal(released?.attempts, 0);
      assert.equal(events(lines, logEvents.JOB_REQUEUED).length, 1);
      await store.jobs.enqueue([{ kind, key: 'after-stop', payload: {} }]);
      await sleep(200);
      assert.equal((await store.jobs.countByState(kind)).queued, 2, 'a stopped runner claims nothing');
    });
  });
}
