/**
 * {@link WatchCursorStore} on PostgreSQL / PGlite: the PACS watcher's persisted cursor.
 */
import type { WatchCursorStore } from '../core/instance-index.ts';
import type { SqlClient } from './sql-client.ts';

/** The watcher's cursor on a SQL database. */
export class PgWatchCursorStore implements WatchCursorStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async getPolledThrough(pacsId: string): Promise<Date | undefined> {
    const result = await this.#sql.query<{ polled_through: Date | string | null }>(
      'SELECT polled_through FROM watch_cursor WHERE pacs_id = $1',
      [pacsId],
    );
    const value = result.rows[0]?.polled_through;
    return value === undefined || value === null ? undefined : new Date(value);
  }

  async setPolledThrough(pacsId: string, at: Date): Promise<void> {
    await this.#sql.query(
      `INSERT INTO watch_cursor (pacs_id, polled_through, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (pacs_id) DO UPDATE SET polled_through = EXCLUDED.polled_through, updated_at = now()`,
      [pacsId, at],
    );
  }

  async seenCounts(pacsId: string, studyUids: readonly string[]): Promise<Map<string, number>> {
    if (studyUids.length === 0) {
      return new Map();
    }
    const result = await this.#sql.query<{ study_instance_uid: string; instance_count: number | string }>(
      `SELECT study_instance_uid, instance_count FROM watch_seen
       WHERE pacs_id = $1 AND study_instance_uid = ANY($2::text[])`,
      [pacsId, studyUids],
    );
    return new Map(result.rows.map((row) => [row.study_instance_uid, Number(row.instance_count)]));
  }

  async markSeen(pacsId: string, studyInstanceUid: string, instanceCount: number, at: Date): Promise<void> {
    await this.#sql.query(
      `INSERT INTO watch_seen (pacs_id, study_instance_uid, instance_count, fetched_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (pacs_id, study_instance_uid)
       DO UPDATE SET instance_count = EXCLUDED.instance_count, fetched_at = EXCLUDED.fetched_at`,
      [pacsId, studyInstanceUid, instanceCount, at],
    );
  }
}
