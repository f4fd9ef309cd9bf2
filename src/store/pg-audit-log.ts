/**
 * {@link AuditLog} on PostgreSQL or PGlite: events appended under a transaction-level advisory lock (one chain
 * across processes), read back in sequence order to verify the chain.
 */
import type { AuditEvent, AuditEventDraft, AuditLog, AuditVerification } from '../core/audit.ts';
import { chainEvent, verifyChain } from '../audit/index.ts';
import type { SqlClient } from './sql-client.ts';

interface AuditRow {
  seq: string | number;
  at: Date | string;
  actor: string;
  actor_kind: AuditEvent['actorKind'];
  action: string;
  target: string;
  study_instance_uid: string | null;
  outcome: AuditEvent['outcome'];
  from_address: string | null;
  details: Record<string, string | number | boolean> | null;
  prev_hash: string;
  hash: string;
}

/** Any fixed number: the advisory lock that serialises appends. */
const auditLockKey = 4_108_271;

function eventOf(row: AuditRow): AuditEvent {
  return {
    seq: Number(row.seq),
    at: row.at instanceof Date ? row.at : new Date(row.at),
    actor: row.actor,
    actorKind: row.actor_kind,
    action: row.action,
    target: row.target,
    ...(row.study_instance_uid === null ? {} : { studyInstanceUid: row.study_instance_uid }),
    outcome: row.outcome,
    ...(row.from_address === null ? {} : { from: row.from_address }),
    ...(row.details === null ? {} : { details: row.details }),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The audit log on SQL. */
export class PgAuditLog implements AuditLog {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async append(draft: AuditEventDraft): Promise<AuditEvent> {
    return this.#sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [auditLockKey]);
      const last = await tx.query<AuditRow>('SELECT * FROM audit_event ORDER BY seq DESC LIMIT 1');
      const previous = last.rows[0] === undefined ? undefined : eventOf(last.rows[0]);
      // Millisecond precision, as the database keeps it, so the hash recomputes from the stored row.
      const event = chainEvent(draft, previous, new Date(Date.now()));
      await tx.query(
        `INSERT INTO audit_event (seq, at, actor, actor_kind, action, target, study_instance_uid, outcome,
                                  from_address, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12)`,
        [
          event.seq,
          event.at,
          event.actor,
          event.actorKind,
          event.action,
          event.target,
          event.studyInstanceUid ?? null,
          event.outcome,
          event.from ?? null,
          event.details === undefined ? null : JSON.stringify(event.details),
          event.prevHash,
          event.hash,
        ],
      );
      return event;
    });
  }

  async list(query: { readonly studyInstanceUid?: string; readonly limit: number }): Promise<AuditEvent[]> {
    const result = await this.#sql.query<AuditRow>(
      `SELECT * FROM audit_event WHERE ($1::text IS NULL OR study_instance_uid = $1)
       ORDER BY seq DESC LIMIT $2`,
      [query.studyInstanceUid ?? null, query.limit],
    );
    return result.rows.map(eventOf);
  }

  async verify(): Promise<AuditVerification> {
    const events: AuditEvent[] = [];
    let after = 0;
    for (;;) {
      const page = await this.#sql.query<AuditRow>(
        'SELECT * FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT 5000',
        [after],
      );
      if (page.rows.length === 0) {
        break;
      }
      events.push(...page.rows.map(eventOf));
      after = events.at(-1)!.seq;
    }
    return verifyChain(events);
  }
}
