/**
 * A child process for `job-queue-processes.test.ts`: one JobRunner on a shared PostgreSQL database, whose handler
 * logs each attempt in `run_log`, sleeps, then writes the job's effect idempotently (`effect`, one row per job).
 * Prints `ready` on stdout once it listens; stops gracefully on SIGTERM. Warnings and errors go to stderr as JSON.
 *
 * Environment: FOVEA_TEST_DATABASE_URL, FOVEA_TEST_WORKER_ID, FOVEA_TEST_JOB_KIND, FOVEA_TEST_LEASE_MS,
 * FOVEA_TEST_SLEEP_MS, FOVEA_TEST_CONCURRENCY.
 */
import type { LogFields, Logger } from '../../src/core/logger.ts';
import { JobRunner } from '../../src/pipeline/job-runner.ts';
import { openStore } from '../../src/store/index.ts';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const workerId = required('FOVEA_TEST_WORKER_ID');
const kind = required('FOVEA_TEST_JOB_KIND');
const leaseMs = Number(required('FOVEA_TEST_LEASE_MS'));
const sleepMs = Number(required('FOVEA_TEST_SLEEP_MS'));
const concurrency = Number(required('FOVEA_TEST_CONCURRENCY'));

function stderrLogger(bindings: Record<string, unknown>): Logger {
  const write =
    (level: string) =>
    (fields: LogFields, message: string): void => {
      process.stderr.write(`${JSON.stringify({ level, ...bindings, ...fields, message })}\n`);
    };
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: write('warn'),
    error: write('error'),
    child: (more) => stderrLogger({ ...bindings, ...more }),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

const store = await openStore({ databaseUrl: required('FOVEA_TEST_DATABASE_URL') });
const runner = new JobRunner({
  queue: store.jobs,
  workerId,
  handlers: {
    [kind]: async (job, signal) => {
      await store.sql.query('INSERT INTO run_log (job_id, worker_id, attempt) VALUES ($1::bigint, $2, $3)', [
        job.id,
        workerId,
        job.attempts,
      ]);
      await sleep(sleepMs, signal);
      await store.sql.query(
        'INSERT INTO effect (job_id, worker_id) VALUES ($1::bigint, $2) ON CONFLICT (job_id) DO NOTHING',
        [job.id, workerId],
      );
    },
  },
  concurrency,
  leaseMs,
  timeoutMs: 30_000,
  backoff: { baseMs: 100, maxMs: 2000, factor: 2, jitter: 0.2 },
  logger: stderrLogger({ workerId }),
  drainMs: 500,
});
await runner.start();
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await runner.stop();
    await store.close();
    process.exit(0);
  })();
});
