/**
 * {@link JobQueue} on PostgreSQL / PGlite (ADR 0004): one `job` table, claims with `FOR UPDATE SKIP LOCKED`
 * under leases kept in database time, wake-ups with `NOTIFY fovea_jobs` issued by the statement that makes a job
 * runnable. Every operation is one statement, so it costs one round trip on either back-end.
 */
import { FoveaError } from '../core/errors.ts';
import type { Page } from '../core/instance-index.ts';
import type {
  FailOutcome,
  Job,
  JobError,
  JobNotice,
  JobQuery,
  JobQueue,
  JobSpec,
  JobState,
} from '../core/job-queue.ts';
import type { SqlClient } from './sql-client.ts';

/** The NOTIFY channel runners listen on. */
export const jobChannel = 'fovea_jobs';

/** Stored error messages are cut to this length (they are shown in the API, not logged). */
const maxMessageLength = 2000;
const defaultMaxAttempts = 5;

interface JobRow {
  id: string;
  kind: string;
  key: string;
  payload: Record<string, unknown>;
  study_instance_uid: string | null;
  state: JobState;
  attempts: number | string;
  max_attempts: number | string;
  run_at: Date | string;
  locked_by: string | null;
  locked_until: Date | string | null;
  last_error_code: string | null;
  last_error_message: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  total?: number | string;
}

/** The job columns, qualified by `alias`, with the id as text. */
function jobColumns(alias: string): string {
  return [
    `${alias}.id::text AS id`,
    ...[
      'kind',
      'key',
      'payload',
      'study_instance_uid',
      'state',
      'attempts',
      'max_attempts',
      'run_at',
      'locked_by',
      'locked_until',
      'last_error_code',
      'last_error_message',
      'created_at',
      'updated_at',
    ].map((column) => `${alias}.${column}`),
  ].join(', ');
}

/**
 * A `pg_notify` per kind of the rows in CTE `source` (with `kind` and `run_at` columns), carrying the delay
 * until the earliest of them is due, in database time.
 */
function notifySql(source: string): string {
  return `SELECT pg_notify('${jobChannel}', json_build_object('kind', kind, 'inMs',
            greatest(0, ceil(extract(epoch FROM first_run_at - now()) * 1000)))::text)
          FROM (SELECT kind, min(run_at) AS first_run_at FROM ${source} GROUP BY kind) due`;
}

function jobFromRow(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    payload: row.payload,
    ...(row.study_instance_uid === null ? {} : { studyInstanceUid: row.study_instance_uid }),
    state: row.state,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAt: new Date(row.run_at),
    ...(row.locked_by === null ? {} : { lockedBy: row.locked_by }),
    ...(row.locked_until === null ? {} : { lockedUntil: new Date(row.locked_until) }),
    ...(row.last_error_code === null
      ? {}
      : { lastError: { code: row.last_error_code, message: row.last_error_message ?? '' } }),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** Job ids are BIGINT identities shown as text; anything else names no job (and must not reach a cast). */
function isJobId(id: string): boolean {
  return /^[1-9]\d{0,17}$/u.test(id);
}

/** Milliseconds as a whole, non-negative number for an `interval '1 millisecond'` product. */
function wholeMs(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(0, Math.round(ms)), 2 ** 31 - 1) : 0;
}

function parseNotice(payload: string): JobNotice | undefined {
  try {
    const value = JSON.parse(payload) as { kind?: unknown; inMs?: unknown };
    if (typeof value.kind === 'string') {
      const inMs = Number(value.inMs);
      return { kind: value.kind, inMs: Number.isFinite(inMs) && inMs > 0 ? inMs : 0 };
    }
  } catch {
    // A notice from something other than this queue: treat it as a plain wake-up below.
  }
  return undefined;
}

/** The durable job queue on a SQL database. */
export class PgJobQueue implements JobQueue {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async enqueue(specs: readonly JobSpec[]): Promise<string[]> {
    if (specs.length === 0) {
      return [];
    }
    const input = specs.map((spec) => ({
      kind: spec.kind,
      key: spec.key,
      payload: spec.payload,
      studyInstanceUid: spec.studyInstanceUid ?? null,
      maxAttempts: spec.maxAttempts ?? defaultMaxAttempts,
      runAt: spec.runAt?.toISOString() ?? null,
    }));
    // One statement: insert the new jobs, announce them, and return every spec's id. A job inserted by a
    // concurrent transaction after this statement's snapshot is invisible here; the second query finds it.
    const result = await this.#sql.query<{ kind: string; key: string; id: string | null }>(
      `WITH input AS (
         SELECT e->>'kind' AS kind, e->>'key' AS key, coalesce(e->'payload', '{}'::jsonb) AS payload,
                e->>'studyInstanceUid' AS study_instance_uid, (e->>'maxAttempts')::int AS max_attempts,
                (e->>'runAt')::timestamptz AS run_at, ord
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, ord)
       ), inserted AS (
         INSERT INTO job (kind, key, payload, study_instance_uid, max_attempts, run_at)
         SELECT kind, key, payload, study_instance_uid, max_attempts, coalesce(run_at, now())
         FROM input ORDER BY ord
         ON CONFLICT (kind, key) DO NOTHING
         RETURNING id, kind, key, run_at
       ), notified AS (${notifySql('inserted')})
       SELECT i.kind, i.key, coalesce(n.id, j.id)::text AS id, (SELECT count(*) FROM notified) AS notices
       FROM input i
       LEFT JOIN inserted n ON n.kind = i.kind AND n.key = i.key
       LEFT JOIN job j ON j.kind = i.kind AND j.key = i.key
       ORDER BY i.ord`,
      [JSON.stringify(input)],
    );
    const ids = result.rows.map((row) => row.id);
    const missing = result.rows.filter((row) => row.id === null);
    if (missing.length > 0) {
      const found = await this.#sql.query<{ kind: string; key: string; id: string }>(
        `SELECT kind, key, id::text AS id FROM job
         WHERE (kind, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
        [missing.map((row) => row.kind), missing.map((row) => row.key)],
      );
      const byKey = new Map(found.rows.map((row) => [`${row.kind}\u0000${row.key}`, row.id]));
      result.rows.forEach((row, index) => {
        ids[index] ??= byKey.get(`${row.kind}\u0000${row.key}`) ?? null;
      });
    }
    return ids.map((id, index) => {
      if (id === null) {
        throw new FoveaError('FOVEA_INTERNAL', {
          detail: `a ${specs[index]!.kind} job could not be enqueued`,
        });
      }
      return id;
    });
  }

  async claim(kinds: readonly string[], workerId: string, leaseMs: number, limit: number): Promise<Job[]> {
    if (kinds.length === 0 || limit < 1) {
      return [];
    }
    const result = await this.#sql.query<JobRow>(
      `WITH candidate AS MATERIALIZED (
         SELECT id FROM job
         WHERE kind = ANY($1::text[])
           AND ((state = 'queued' AND run_at <= now())
             OR (state = 'running' AND locked_until < now() AND attempts < max_attempts))
         ORDER BY run_at, id
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       UPDATE job j SET state = 'running', locked_by = $2,
         locked_until = now() + $3::int * interval '1 millisecond',
         attempts = j.attempts + 1, updated_at = now()
       FROM candidate c WHERE j.id = c.id
       RETURNING ${jobColumns('j')}`,
      [kinds, workerId, wholeMs(leaseMs), Math.floor(limit)],
    );
    // RETURNING keeps no order; hand the jobs out in claim order.
    return result.rows
      .map(jobFromRow)
      .sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || Number(a.id) - Number(b.id));
  }

  async extendLease(jobId: string, workerId: string, leaseMs: number): Promise<boolean> {
    if (!isJobId(jobId)) {
      return false;
    }
    const result = await this.#sql.query(
      `UPDATE job SET locked_until = now() + $3::int * interval '1 millisecond', updated_at = now()
       WHERE id = $1::bigint AND locked_by = $2 AND state = 'running'`,
      [jobId, workerId, wholeMs(leaseMs)],
    );
    return result.rowCount === 1;
  }

  async complete(jobId: string, workerId: string): Promise<boolean> {
    if (!isJobId(jobId)) {
      return false;
    }
    // locked_by stays as the record of who ran it; the lease ends.
    const result = await this.#sql.query(
      `UPDATE job SET state = 'succeeded', locked_until = NULL, updated_at = now()
       WHERE id = $1::bigint AND locked_by = $2 AND state = 'running'`,
      [jobId, workerId],
    );
    return result.rowCount === 1;
  }

  async fail(jobId: string, workerId: string, error: JobError, retryAt: Date): Promise<FailOutcome> {
    if (!isJobId(jobId)) {
      return 'lost';
    }
    // The delay, not the instant, goes to the database: run_at is then in database time, like the leases.
    const delayMs = wholeMs(retryAt.getTime() - Date.now());
    const result = await this.#sql.query<{ state: JobState }>(
      `WITH updated AS (
         UPDATE job SET
           state = CASE WHEN $5::boolean AND attempts < max_attempts THEN 'queued' ELSE 'dead' END,
           run_at = CASE WHEN $5::boolean AND attempts < max_attempts
                         THEN now() + $6::int * interval '1 millisecond' ELSE run_at END,
           locked_until = NULL, last_error_code = $3, last_error_message = $4, updated_at = now()
         WHERE id = $1::bigint AND locked_by = $2 AND state = 'running'
         RETURNING kind, state, run_at
       ), notified AS (${notifySql("updated WHERE state = 'queued'")})
       SELECT state, (SELECT count(*) FROM notified) AS notices FROM updated`,
      [jobId, workerId, error.code, error.message.slice(0, maxMessageLength), error.retryable, delayMs],
    );
    const state = result.rows[0]?.state;
    return state === undefined ? 'lost' : state === 'queued' ? 'retrying' : 'dead';
  }

  async release(jobId: string, workerId: string): Promise<boolean> {
    if (!isJobId(jobId)) {
      return false;
    }
    const result = await this.#sql.query(
      `WITH updated AS (
         UPDATE job SET state = 'queued', attempts = greatest(attempts - 1, 0), run_at = now(),
           locked_by = NULL, locked_until = NULL, updated_at = now()
         WHERE id = $1::bigint AND locked_by = $2 AND state = 'running'
         RETURNING kind, run_at
       ), notified AS (${notifySql('updated')})
       SELECT (SELECT count(*) FROM notified) AS notices FROM updated`,
      [jobId, workerId],
    );
    return result.rows.length === 1;
  }

  async reapExpired(kinds: readonly string[]): Promise<Job[]> {
    if (kinds.length === 0) {
      return [];
    }
    const result = await this.#sql.query<JobRow>(
      `WITH expired AS MATERIALIZED (
         SELECT id FROM job
         WHERE kind = ANY($1::text[]) AND state = 'running' AND locked_until < now()
           AND attempts >= max_attempts
         FOR UPDATE SKIP LOCKED
       )
       UPDATE job j SET state = 'dead', locked_until = NULL, last_error_code = 'FOVEA_JOB_LEASE_LOST',
         last_error_message = 'the lease expired during the last attempt (its process stopped)',
         updated_at = now()
       FROM expired e WHERE j.id = e.id
       RETURNING ${jobColumns('j')}`,
      [kinds],
    );
    return result.rows.map(jobFromRow);
  }

  async requeue(jobId: string): Promise<boolean> {
    if (!isJobId(jobId)) {
      return false;
    }
    const result = await this.#sql.query(
      `WITH updated AS (
         UPDATE job SET state = 'queued', attempts = 0, run_at = now(), locked_by = NULL,
           locked_until = NULL, updated_at = now()
         WHERE id = $1::bigint AND state = 'dead'
         RETURNING kind, run_at
       ), notified AS (${notifySql('updated')})
       SELECT (SELECT count(*) FROM notified) AS notices FROM updated`,
      [jobId],
    );
    return result.rows.length === 1;
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    if (!isJobId(jobId)) {
      return undefined;
    }
    const result = await this.#sql.query<JobRow>(
      `SELECT ${jobColumns('j')} FROM job j WHERE j.id = $1::bigint`,
      [jobId],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : jobFromRow(row);
  }

  async listJobs(query: JobQuery): Promise<Page<Job>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (query.state !== undefined) {
      add('j.state = ?', query.state);
    }
    if (query.kind !== undefined) {
      add('j.kind = ?', query.kind);
    }
    if (query.studyInstanceUid !== undefined) {
      add('j.study_instance_uid = ?', query.studyInstanceUid);
    }
    const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    params.push(query.limit, query.offset);
    const result = await this.#sql.query<JobRow>(
      `SELECT ${jobColumns('j')}, count(*) OVER () AS total FROM job j ${filter}
       ORDER BY j.id DESC
       LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    let total = Number(result.rows[0]?.total ?? 0);
    if (result.rows.length === 0 && query.offset > 0) {
      const counted = await this.#sql.query<{ total: number | string }>(
        `SELECT count(*)::int AS total FROM job j ${filter}`,
        params.slice(0, -2),
      );
      total = Number(counted.rows[0]?.total ?? 0);
    }
    return { items: result.rows.map(jobFromRow), total, limit: query.limit, offset: query.offset };
  }

  async countByState(kind?: string): Promise<Record<JobState, number>> {
    const result = await this.#sql.query<{ state: JobState; count: number | string }>(
      `SELECT state, count(*)::int AS count FROM job WHERE ($1::text IS NULL OR kind = $1) GROUP BY state`,
      [kind ?? null],
    );
    const counts: Record<JobState, number> = { queued: 0, running: 0, succeeded: 0, dead: 0 };
    for (const row of result.rows) {
      counts[row.state] = Number(row.count);
    }
    return counts;
  }

  async onAvailable(listener: (notice: JobNotice) => void): Promise<() => Promise<void>> {
    return this.#sql.listen(jobChannel, (payload) => {
      listener(parseNotice(payload) ?? { inMs: 0 });
    });
  }
}
