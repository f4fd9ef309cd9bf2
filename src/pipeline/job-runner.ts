/**
 * Runs jobs from the durable {@link JobQueue} (ADR 0004): claims up to `concurrency` jobs of its kinds, runs each
 * handler with an AbortSignal, keeps the lease alive while it runs, enforces the job's timeout by aborting it,
 * and records the outcome — success, a retry after exponential backoff with jitter, or the dead-letter state.
 *
 * Wake-ups come from NOTIFY (a new or retried job), from a timer set for the earliest delayed job this runner
 * knows of, and from a low-frequency sweep that also picks up expired leases of processes that died.
 */
import { FoveaError } from '../core/errors.ts';
import type { Job, JobError, JobNotice, JobQueue } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';

/** Does one job. Must be idempotent (a job may run again after a crash) and should stop when `signal` aborts. */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<void>;

/** Exponential backoff between attempts: `baseMs · factor^(attempt − 1)`, capped at `maxMs`. */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** 0…1: the share of the delay that is randomised (0.5: between half and all of it). */
  readonly jitter: number;
}

/** How a runner works. */
export interface JobRunnerOptions {
  readonly queue: JobQueue;
  /** Unique per runner among every process sharing the database (it holds the leases). */
  readonly workerId: string;
  readonly handlers: Readonly<Record<string, JobHandler>>;
  /** The kinds to claim; default: every kind in `handlers`. */
  readonly kinds?: readonly string[];
  /** Jobs run at once. */
  readonly concurrency: number;
  /** Lease length; the lease is extended every `heartbeatMs` while the handler runs. */
  readonly leaseMs: number;
  /** The job's time budget (per analyzer); a non-finite or non-positive value means none. */
  readonly timeoutMs: number | ((job: Job) => number);
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  /** Default: a third of `leaseMs`. */
  readonly heartbeatMs?: number;
  /** Safety sweep (expired leases, missed wake-ups); default: half of `leaseMs`, at most 5 s. */
  readonly sweepMs?: number;
  /**
   * How long an aborted handler (timeout, lost lease, shutdown) may take to stop before it is abandoned and its
   * slot freed; default: `leaseMs`, at most 5 s.
   */
  readonly abandonMs?: number;
  /** How long `stop()` lets running jobs finish before aborting them; default 2 s. */
  readonly drainMs?: number;
  /** The clock for retry times and timers (default `Date.now`). */
  readonly now?: () => number;
  /** 0…1 random source for jitter (default `Math.random`). */
  readonly random?: () => number;
}

/** Why a running job was aborted. */
type AbortCause = 'timeout' | 'lease-lost' | 'shutdown';

interface RunningJob {
  readonly job: Job;
  readonly controller: AbortController;
  cause: AbortCause | undefined;
  done: Promise<void>;
}

type HandlerOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** Wake-up timers fire this much after a job's due time, so that the claim finds it due in database time. */
const wakeSlackMs = 5;
/** At most this many distinct future wake-ups are remembered; later ones are left to the sweep. */
const maxWakeTimes = 1000;
/** Retries of a queue write (complete, fail, release) before leaving the job to lease expiry. */
const persistDelaysMs = [100, 500, 2000];

/**
 * The safety-sweep period of a process's background work under leases of `leaseMs`: half a lease, at most 5 s,
 * so what a dead process left (expired leases, undispatched studies) is taken over within about a lease.
 */
export function safetySweepMs(leaseMs: number): number {
  return Math.min(5000, Math.max(10, Math.floor(leaseMs / 2)));
}

/** The delay before the retry that follows attempt `attempt` (1-based). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = Math.min(policy.maxMs, policy.baseMs * policy.factor ** exponent);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.max(0, Math.round(raw * (1 - jitter * random())));
}

/** What a handler's failure records: a FoveaError's catalogue decides retries; anything else is retryable. */
export function jobErrorOf(error: unknown): JobError {
  if (error instanceof FoveaError) {
    return { code: error.code, message: error.message, retryable: error.spec.retryable };
  }
  return {
    code: 'FOVEA_INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    retryable: true,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Claims and runs jobs of some kinds until stopped. */
export class JobRunner {
  readonly #queue: JobQueue;
  readonly #workerId: string;
  readonly #handlers: Readonly<Record<string, JobHandler>>;
  readonly #kinds: readonly string[];
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #timeoutMs: (job: Job) => number;
  readonly #backoff: BackoffPolicy;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  readonly #sweepMs: number;
  readonly #abandonMs: number;
  readonly #drainMs: number;
  readonly #now: () => number;
  readonly #random: () => number;

  #state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  readonly #running = new Map<string, RunningJob>();
  #dirty = false;
  #pumping: Promise<void> | undefined;
  #sweeping = false;
  #sweepTimer: NodeJS.Timeout | undefined;
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeTimes: number[] = [];
  #unsubscribe: (() => Promise<void>) | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: JobRunnerOptions) {
    this.#queue = options.queue;
    this.#workerId = options.workerId;
    this.#handlers = options.handlers;
    this.#kinds = options.kinds ?? Object.keys(options.handlers);
    for (const kind of this.#kinds) {
      if (typeof this.#handlers[kind] !== 'function') {
        throw new FoveaError('FOVEA_CONFIG_INVALID', { detail: `no handler for job kind ${kind}` });
      }
    }
    if (!(options.concurrency >= 1) || !(options.leaseMs > 0)) {
      throw new FoveaError('FOVEA_CONFIG_INVALID', {
        detail: 'job runner concurrency and lease must be positive',
      });
    }
    this.#concurrency = Math.floor(options.concurrency);
    this.#leaseMs = options.leaseMs;
    const timeout = options.timeoutMs;
    this.#timeoutMs = typeof timeout === 'number' ? () => timeout : timeout;
    this.#backoff = options.backoff;
    this.#logger = options.logger.child({ workerId: options.workerId });
    this.#heartbeatMs = options.heartbeatMs ?? Math.max(10, Math.floor(options.leaseMs / 3));
    this.#sweepMs = options.sweepMs ?? safetySweepMs(options.leaseMs);
    this.#abandonMs = options.abandonMs ?? Math.min(5000, options.leaseMs);
    this.#drainMs = options.drainMs ?? 2000;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Jobs running now (including aborted ones still being given time to stop). */
  get activeCount(): number {
    return this.#running.size;
  }

  /** Subscribes to wake-ups, claims what is runnable and starts the sweep. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') {
      throw new FoveaError('FOVEA_INTERNAL', { detail: 'a job runner starts once' });
    }
    this.#state = 'running';
    try {
      this.#unsubscribe = await this.#queue.onAvailable((notice) => {
        this.#onNotice(notice);
      });
    } catch (error) {
      // Without NOTIFY the runner still works, at the pace of its sweep.
      this.#logFailure('subscribe', error);
    }
    if (!this.#isRunning()) {
      // Stopped while subscribing.
      await this.#unsubscribe?.().catch(() => undefined);
      return;
    }
    this.#sweepTimer = setInterval(() => void this.#sweep(), this.#sweepMs);
    void this.#sweep();
  }

  /**
   * Stops claiming, lets running jobs finish for `drainMs`, then aborts the rest (they go back to the queue
   * without counting the attempt) and waits for them, each at most `abandonMs`.
   */
  async stop(): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
    }
    this.#stopped ??= this.#shutDown();
    return this.#stopped;
  }

  async #shutDown(): Promise<void> {
    this.#state = 'stopping';
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#wakeTimer);
    this.#wakeTimes = [];
    await this.#unsubscribe?.().catch((error: unknown) => {
      this.#logFailure('unsubscribe', error);
    });
    await this.#pumping;
    const draining = [...this.#running.values()].map((entry) => entry.done);
    if (draining.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(draining),
        new Promise((resolve) => (timer = setTimeout(resolve, this.#drainMs))),
      ]);
      clearTimeout(timer);
    }
    const remaining = [...this.#running.values()];
    for (const entry of remaining) {
      this.#abort(entry, 'shutdown', new DOMException('The job runner is stopping', 'AbortError'));
    }
    await Promise.all(remaining.map((entry) => entry.done));
    this.#state = 'stopped';
  }

  #onNotice(notice: JobNotice): void {
    if (notice.kind !== undefined && !this.#kinds.includes(notice.kind)) {
      return;
    }
    if (notice.inMs > 0) {
      this.#wakeAt(this.#now() + notice.inMs + wakeSlackMs);
    } else {
      this.#wake();
    }
  }

  /** Something may be runnable: claim when a slot is (or becomes) free. */
  #wake(): void {
    this.#dirty = true;
    this.#kick();
  }

  /** Starts the claim loop if there is reason to claim, a free slot, and no loop running. */
  #kick(): void {
    if (
      this.#pumping !== undefined ||
      this.#state !== 'running' ||
      !this.#dirty ||
      this.#running.size >= this.#concurrency
    ) {
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      // A wake-up that came while the loop was finishing must not wait for the sweep.
      this.#kick();
    });
  }

  async #pump(): Promise<void> {
    while (this.#state === 'running' && this.#dirty && this.#running.size < this.#concurrency) {
      this.#dirty = false;
      const free = this.#concurrency - this.#running.size;
      let jobs: Job[];
      try {
        jobs = await this.#queue.claim(this.#kinds, this.#workerId, this.#leaseMs, free);
      } catch (error) {
        this.#logFailure('claim', error);
        this.#wakeAt(this.#now() + Math.min(1000, this.#sweepMs));
        return;
      }
      if (jobs.length === free) {
        // A full batch: there may be more.
        this.#dirty = true;
      }
      for (const job of jobs) {
        if (!this.#isRunning()) {
          // Stopped during the claim: give the jobs straight back.
          await this.#persist('release', () => this.#queue.release(job.id, this.#workerId));
          continue;
        }
        this.#startJob(job);
      }
    }
  }

  /** A method, not a field test, so that the state read after an await is not narrowed away. */
  #isRunning(): boolean {
    return this.#state === 'running';
  }

  async #sweep(): Promise<void> {
    if (this.#sweeping || this.#state !== 'running') {
      return;
    }
    this.#sweeping = true;
    try {
      for (const job of await this.#queue.reapExpired(this.#kinds)) {
        this.#logger.error(
          {
            event: logEvents.JOB_DEAD,
            jobId: job.id,
            kind: job.kind,
            attempt: job.attempts,
            code: 'FOVEA_JOB_LEASE_LOST',
          },
          'job dead: its lease expired during the last attempt',
        );
      }
    } catch (error) {
      this.#logFailure('reap', error);
    } finally {
      this.#sweeping = false;
    }
    this.#wake();
  }

  /** Arms a timer for a job due at `at` (this process's clock). */
  #wakeAt(at: number): void {
    if (this.#state !== 'running') {
      return;
    }
    if (this.#wakeTimes.some((time) => Math.abs(time - at) < 10)) {
      return;
    }
    this.#wakeTimes.push(at);
    this.#wakeTimes.sort((a, b) => a - b);
    if (this.#wakeTimes.length > maxWakeTimes) {
      this.#wakeTimes.length = maxWakeTimes;
    }
    this.#armWakeTimer();
  }

  #armWakeTimer(): void {
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    const next = this.#wakeTimes[0];
    if (next === undefined || this.#state !== 'running') {
      return;
    }
    this.#wakeTimer = setTimeout(
      () => {
        const now = this.#now();
        this.#wakeTimes = this.#wakeTimes.filter((time) => time > now + 1);
        this.#wake();
        this.#armWakeTimer();
      },
      Math.max(0, next - this.#now()),
    );
  }

  #startJob(job: Job): void {
    const entry: RunningJob = {
      job,
      controller: new AbortController(),
      cause: undefined,
      done: Promise.resolve(),
    };
    this.#running.set(job.id, entry);
    entry.done = this.#runJob(entry)
      .catch((error: unknown) => {
        this.#logFailure('run', error, job);
      })
      .finally(() => {
        this.#running.delete(job.id);
        this.#kick();
      });
  }

  #abort(entry: RunningJob, cause: AbortCause, reason: unknown): void {
    if (entry.cause === undefined) {
      entry.cause = cause;
      entry.controller.abort(reason);
    }
  }

  async #runJob(entry: RunningJob): Promise<void> {
    const { job, controller } = entry;
    const fields = { jobId: job.id, kind: job.kind, attempt: job.attempts, maxAttempts: job.maxAttempts };
    const startedAt = this.#now();
    this.#logger.debug({ event: logEvents.JOB_CLAIMED, ...fields }, 'job claimed');

    let settled = false;
    let renewedAt = startedAt;
    let renewing = false;
    const heartbeat = setInterval(() => {
      if (settled || renewing || entry.cause === 'lease-lost') {
        return;
      }
      renewing = true;
      this.#queue
        .extendLease(job.id, this.#workerId, this.#leaseMs)
        .then(
          (held) => {
            if (held) {
              renewedAt = this.#now();
            } else if (!settled) {
              this.#leaseLost(entry, fields);
            }
          },
          (error: unknown) => {
            this.#logFailure('extend-lease', error, job);
            // Unable to renew: once the lease has run out another process may take the job, so stop.
            if (!settled && this.#now() - renewedAt >= this.#leaseMs) {
              this.#leaseLost(entry, fields);
            }
          },
        )
        .finally(() => {
          renewing = false;
        });
    }, this.#heartbeatMs);

    const budget = this.#timeoutMs(job);
    const timeout =
      Number.isFinite(budget) && budget > 0
        ? setTimeout(() => {
            this.#logger.warn(
              { event: logEvents.JOB_TIMED_OUT, ...fields, timeoutMs: budget },
              'job timed out; aborting it',
            );
            this.#abort(
              entry,
              'timeout',
              new FoveaError('FOVEA_ANALYZER_TIMEOUT', { detail: `no result after ${budget} ms` }),
            );
          }, budget)
        : undefined;

    let abandonTimer: NodeJS.Timeout | undefined;
    const abandoned = new Promise<'abandoned'>((resolve) => {
      const arm = (): void => {
        abandonTimer = setTimeout(() => {
          resolve('abandoned');
        }, this.#abandonMs);
      };
      if (controller.signal.aborted) {
        arm();
      } else {
        controller.signal.addEventListener('abort', arm, { once: true });
      }
    });
    const handler = this.#handlers[job.kind];
    const outcome: Promise<HandlerOutcome> = (async () => {
      if (handler === undefined) {
        throw new FoveaError('FOVEA_INTERNAL', { detail: `no handler for job kind ${job.kind}` });
      }
      await handler(job, controller.signal);
    })().then(
      () => ({ ok: true }),
      (error: unknown) => ({ ok: false, error }),
    );

    const result = await Promise.race([outcome, abandoned]);
    settled = true;
    clearInterval(heartbeat);
    clearTimeout(timeout);
    clearTimeout(abandonTimer);
    const durationMs = this.#now() - startedAt;

    if (result === 'abandoned') {
      this.#logger.warn(
        { event: logEvents.JOB_RUNNER_FAILED, ...fields, cause: entry.cause, abandonMs: this.#abandonMs },
        'the handler ignored its abort signal; its slot is freed',
      );
    }
    switch (entry.cause) {
      case 'lease-lost':
        // Another process holds (or may take) the job: nothing of this attempt is recorded.
        return;
      case 'shutdown':
        if (result !== 'abandoned') {
          // A handler that stopped for the shutdown gives its job back; an abandoned one keeps the lease until
          // it expires, so that the job never runs twice at once while this process lives.
          const released = await this.#persist('release', () => this.#queue.release(job.id, this.#workerId));
          if (released === true) {
            this.#logger.info({ event: logEvents.JOB_REQUEUED, ...fields }, 'job released at shutdown');
          }
        }
        return;
      case 'timeout': {
        const reason = controller.signal.reason as FoveaError;
        await this.#recordFailure(
          job,
          {
            code: reason.code,
            message: result === 'abandoned' ? `${reason.message} (the handler did not stop)` : reason.message,
            retryable: true,
          },
          fields,
        );
        return;
      }
      case undefined:
        break;
    }
    if (result !== 'abandoned' && result.ok) {
      const completed = await this.#persist('complete', () => this.#queue.complete(job.id, this.#workerId));
      if (completed === true) {
        this.#logger.info({ event: logEvents.JOB_SUCCEEDED, ...fields, durationMs }, 'job succeeded');
      } else if (completed === false) {
        this.#logger.warn(
          { event: logEvents.JOB_LEASE_LOST, ...fields },
          'job finished after its lease was taken over; the other run counts',
        );
      }
      return;
    }
    await this.#recordFailure(job, jobErrorOf(result === 'abandoned' ? undefined : result.error), fields);
  }

  #leaseLost(entry: RunningJob, fields: Record<string, unknown>): void {
    if (entry.cause === 'lease-lost') {
      return;
    }
    this.#logger.warn({ event: logEvents.JOB_LEASE_LOST, ...fields }, 'job lease lost; aborting it');
    if (entry.cause === undefined) {
      this.#abort(entry, 'lease-lost', new FoveaError('FOVEA_JOB_LEASE_LOST'));
    } else {
      entry.cause = 'lease-lost';
    }
  }

  async #recordFailure(job: Job, error: JobError, fields: Record<string, unknown>): Promise<void> {
    const delayMs = backoffDelay(job.attempts, this.#backoff, this.#random);
    const retryAt = this.#now() + delayMs;
    const outcome = await this.#persist('fail', () =>
      this.#queue.fail(job.id, this.#workerId, error, new Date(retryAt)),
    );
    switch (outcome) {
      case 'retrying':
        this.#logger.warn(
          { event: logEvents.JOB_RETRY_SCHEDULED, ...fields, code: error.code, delayMs },
          'job failed; retry scheduled',
        );
        // The NOTIFY of the failure wakes every runner; this timer is the local back-up.
        this.#wakeAt(retryAt + wakeSlackMs);
        return;
      case 'dead':
        this.#logger.error(
          { event: logEvents.JOB_DEAD, ...fields, code: error.code, retryable: error.retryable },
          'job failed for good; dead-lettered',
        );
        return;
      case 'lost':
        this.#logger.warn(
          { event: logEvents.JOB_LEASE_LOST, ...fields, code: error.code },
          'job failed after its lease was taken over; the failure is not recorded',
        );
        return;
      case undefined:
        return;
    }
  }

  /** A queue write, retried on errors; undefined when it kept failing (the lease will expire and the job rerun). */
  async #persist<T>(what: string, write: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        const delay = persistDelaysMs[attempt];
        if (delay === undefined) {
          this.#logFailure(what, error);
          return undefined;
        }
        await sleep(delay);
      }
    }
  }

  #logFailure(what: string, error: unknown, job?: Job): void {
    // Only codes: a driver's message may quote a value (a payload, a UID), and logs carry no patient data.
    const sqlState = (error as { code?: unknown } | undefined)?.code;
    this.#logger.error(
      {
        event: logEvents.JOB_RUNNER_FAILED,
        operation: what,
        code: error instanceof FoveaError ? error.code : 'FOVEA_INTERNAL',
        ...(typeof sqlState === 'string' && !(error instanceof FoveaError) ? { sqlState } : {}),
        ...(job === undefined ? {} : { jobId: job.id, kind: job.kind }),
      },
      `job runner: ${what} failed`,
    );
  }
}
