/**
 * {@link ClaimStore} on PostgreSQL or PGlite: one row per claimed study, taken or renewed by one upsert that
 * only overwrites the caller's own claim or an expired one, in database time (`now()`), so several processes
 * agree. Every change notifies `fovea_worklist` in the same statement, so the worklist's live updates announce
 * claims and releases.
 */
import type { ClaimOutcome, ClaimStore, StudyClaim } from '../core/study-claim.ts';
import { worklistChannel } from './pg-result-store.ts';
import type { SqlClient } from './sql-client.ts';

interface ClaimRow {
  study_instance_uid: string;
  reader: string;
  claimed_at: Date | string;
  expires_at: Date | string;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

function claimOf(row: ClaimRow): StudyClaim {
  return {
    studyInstanceUid: row.study_instance_uid,
    reader: row.reader,
    claimedAt: toDate(row.claimed_at),
    expiresAt: toDate(row.expires_at),
  };
}

const columns = 'study_instance_uid, reader, claimed_at, expires_at';

/** Worklist claims in SQL. */
export class PgClaimStore implements ClaimStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async claim(studyInstanceUid: string, reader: string, seconds: number): Promise<ClaimOutcome> {
    // Two attempts: the holder seen after a refused upsert may have released in between.
    for (let attempt = 0; attempt < 2; attempt++) {
      const taken = await this.#sql.query<ClaimRow>(
        `WITH taken AS (
           INSERT INTO study_claim AS c (study_instance_uid, reader, claimed_at, expires_at)
           VALUES ($1, $2, now(), now() + make_interval(secs => $3::double precision))
           ON CONFLICT (study_instance_uid) DO UPDATE
             SET reader = EXCLUDED.reader,
                 claimed_at = CASE WHEN c.reader = EXCLUDED.reader AND c.expires_at > now()
                                   THEN c.claimed_at ELSE EXCLUDED.claimed_at END,
                 expires_at = EXCLUDED.expires_at
             WHERE c.reader = EXCLUDED.reader OR c.expires_at <= now()
           RETURNING ${columns})
         SELECT taken.*, pg_notify('${worklistChannel}', taken.study_instance_uid) IS NULL AS notified
         FROM taken`,
        [studyInstanceUid, reader, seconds],
      );
      const row = taken.rows[0];
      if (row !== undefined) {
        return { claimed: true, claim: claimOf(row) };
      }
      const holder = await this.getClaim(studyInstanceUid);
      if (holder !== undefined) {
        return { claimed: false, holder };
      }
    }
    throw new Error('the claim of a study changed hands twice while claiming it');
  }

  async release(studyInstanceUid: string, reader: string | undefined): Promise<StudyClaim | undefined> {
    const removed = await this.#sql.query<ClaimRow>(
      `WITH removed AS (
         DELETE FROM study_claim
         WHERE study_instance_uid = $1 AND expires_at > now() AND ($2::text IS NULL OR reader = $2)
         RETURNING ${columns})
       SELECT removed.*, pg_notify('${worklistChannel}', removed.study_instance_uid) IS NULL AS notified
       FROM removed`,
      [studyInstanceUid, reader ?? null],
    );
    const row = removed.rows[0];
    return row === undefined ? undefined : claimOf(row);
  }

  async getClaim(studyInstanceUid: string): Promise<StudyClaim | undefined> {
    const result = await this.#sql.query<ClaimRow>(
      `SELECT ${columns} FROM study_claim WHERE study_instance_uid = $1 AND expires_at > now()`,
      [studyInstanceUid],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : claimOf(row);
  }

  async listClaims(studyInstanceUids: readonly string[]): Promise<Map<string, StudyClaim>> {
    if (studyInstanceUids.length === 0) {
      return new Map();
    }
    const result = await this.#sql.query<ClaimRow>(
      `SELECT ${columns} FROM study_claim WHERE study_instance_uid = ANY($1::text[]) AND expires_at > now()`,
      [[...studyInstanceUids]],
    );
    return new Map(result.rows.map((row) => [row.study_instance_uid, claimOf(row)]));
  }
}
