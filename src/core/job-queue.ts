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

/** The error a failed attempt recorded. */
export interface JobError {
  /** A catalogue code (`FOVEA_…`). */
  readonly code: string;
  /** Stored with the job and shown in the API; never logged. */
  readonly message: string;
  readonly retryable: boolean;
}

/**
 * What a wake-up says: a job of `kind` (absent when the notice did not say) may be runnable in `inMs`
 * milliseconds (0: now). The delay is measured in database time by the notifying statement, so a listener can
 * schedule a timer without trusting its own clock to agree with the database's.
 */
export interface JobNotice {
  readonly kind?: string;
  readonly inMs: number;
}

/** The queue. */
export interface JobQueue {
  /**
   * Adds jobs, idempotent by `(kind, key)`; returns the ids of every spec's job (new or existing), in order.
   * New jobs are announced (NOTIFY) in the same statement.
   */
  enqueue(specs: readonly JobSpec[]): Promise<string[]>;
  /**
   * Claims up to `limit` runnable jobs of `kinds` for `workerId` (`FOR UPDATE SKIP LOCKED`): queued jobs whose
   * `runAt` has come, and running jobs whose lease has expired with attempts left (taken over). Sets the lease
   * to `leaseMs` from the database's `now()` and increments `attempts`.
   */
  claim(kinds: readonly string[], workerId: string, leaseMs: number, limit: number): Promise<Job[]>;
  /** Extends a lease to `leaseMs` from now; false when the job is no longer held by `workerId`. */
  extendLease(jobId: string, workerId: string, leaseMs: number): Promise<boolean>;
  /** Marks the job succeeded; false when the lease was lost (another process holds it now). */
  complete(jobId: string, workerId: string): Promise<boolean>;
  /**
   * Records a failure: back to queued at `retryAt` (this process's clock; the store keeps the delay, measured
   * from database time), or dead when attempts are exhausted or `retryable` is false. `lost` when `workerId`
   * no longer holds the job (nothing is recorded).
   */
  fail(jobId: string, workerId: string, error: JobError, retryAt: Date): Promise<FailOutcome>;
  /**
   * Gives a held job back without counting the attempt (graceful shutdown): queued, runnable now, announced.
   * False when `workerId` no longer holds it.
   */
  release(jobId: string, workerId: string): Promise<boolean>;
  /**
   * Moves running jobs of `kinds` whose lease expired during their last allowed attempt to the dead-letter
   * state (`FOVEA_JOB_LEASE_LOST`), so that a job which keeps killing its process stops being taken over.
   * Returns them.
   */
  reapExpired(kinds: readonly string[]): Promise<Job[]>;
  /** Puts a dead job back in the queue with its attempts reset; false when it is not dead. */
  requeue(jobId: string): Promise<boolean>;
  getJob(jobId: string): Promise<Job | undefined>;
  /** Jobs matching the filters, newest first. */
  listJobs(query: JobQuery): Promise<Page<Job>>;
  /** Counts per state (of one kind, or of all), for metrics and health. */
  countByState(kind?: string): Promise<Record<JobState, number>>;
  /** Calls `listener` when jobs may have become runnable (LISTEN/NOTIFY); returns the unsubscribe function. */
  onAvailable(listener: (notice: JobNotice) => void): Promise<() => Promise<void>>;
}
