/**
 * The durable job queue port: at-least-once delivery of work to any Fovea process sharing the database.
 * Jobs are idempotent by `(kind, key)`; handlers must be idempotent too, since a job whose lease expires
 * (its process died) is run again.
 */
import type { Page } from './instance-index.ts';

/** Where a job is in its life. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'dead';

/** A job to enqueue. */
export interface JobSpec {
  /** The handler family, e.g. `analyze`, `deliver`. */
  readonly kind: string;
  /** Idempotency key: enqueuing the same `(kind, key)` twice keeps one job. */
  readonly key: string;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The study the job is about, for listing in the API. */
  readonly studyInstanceUid?: string;
  /** Attempts before the job goes to the dead-letter state (default 5). */
  readonly maxAttempts?: number;
  /** Not before (default now). */
  readonly runAt?: Date;
}

/** A job as stored. */
export interface Job {
  readonly id: string;
  readonly kind: string;
  readonly key: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly studyInstanceUid?: string;
  readonly state: JobState;
  /** Attempts started so far (1 while the first attempt runs). */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAt: Date;
  readonly lockedBy?: string;
  readonly lockedUntil?: Date;
  readonly lastError?: { readonly code: string; readonly message: string };
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Listing filters. */
export interface JobQuery {
  readonly state?: JobState;
  readonly kind?: string;
  readonly studyInstanceUid?: string;
  readonly limit: number;
  readonly offset: number;
}

/** What `fail` decided. */
export type FailOutcome = 'retrying' | 'dead' | 'lost';

/** The queue. */
export interface JobQueue {
  /** Adds jobs, idempotent by `(kind, key)`; returns the ids of every spec's job (new or existing). */
  enqueue(specs: readonly JobSpec[]): Promise<string[]>;
  /**
   * Claims up to `limit` runnable jobs of `kinds` for `workerId` (`FOR UPDATE SKIP LOCKED`): queued jobs whose
   * `runAt` has come, and running jobs whose lease has expired. Increments `attempts`.
   */
  claim(kinds: readonly string[], workerId: string, leaseMs: number, limit: number): Promise<Job[]>;
  /** Extends a lease; false when the job is no longer held by `workerId`. */
  extendLease(jobId: string, workerId: string, leaseMs: number): Promise<boolean>;
  /** Marks the job succeeded; false when the lease was lost (another process holds it now). */
  complete(jobId: string, workerId: string): Promise<boolean>;
  /** Records a failure: back to queued at `retryAt`, or dead when attempts are exhausted or `retryable` is false. */
  fail(
    jobId: string,
    workerId: string,
    error: { readonly code: string; readonly message: string; readonly retryable: boolean },
    retryAt: Date,
  ): Promise<FailOutcome>;
  /** Puts a dead job back in the queue with its attempts reset; false when it is not dead. */
  requeue(jobId: string): Promise<boolean>;
  getJob(jobId: string): Promise<Job | undefined>;
  listJobs(query: JobQuery): Promise<Page<Job>>;
  /** Counts per state (and kind), for metrics and health. */
  countByState(): Promise<Record<JobState, number>>;
  /** Calls `listener` when jobs may have become runnable (LISTEN/NOTIFY); returns the unsubscribe function. */
  onAvailable(listener: () => void): Promise<() => Promise<void>>;
}
