/**
 * The audit hash chain: each event's hash is SHA-256 over its canonical JSON (keys sorted, dates as ISO
 * strings) including the previous hash, so any change, insertion or deletion before the last event is found by
 * recomputing the chain from the first event.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent, AuditEventDraft, AuditVerification } from '../core/audit.ts';

/** The `prevHash` of the first event. */
export const genesisHash = '0'.repeat(64);

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, entry]) => entry !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonical(entry)}`).join(',')}}`;
}

/** The hash of an event with these contents. */
export function auditHash(draft: AuditEventDraft, seq: number, at: Date, prevHash: string): string {
  const content = {
    seq,
    at: at.toISOString(),
    actor: draft.actor,
    actorKind: draft.actorKind,
    action: draft.action,
    target: draft.target,
    studyInstanceUid: draft.studyInstanceUid,
    outcome: draft.outcome,
    from: draft.from,
    details: draft.details,
    prevHash,
  };
  return createHash('sha256').update(canonical(content), 'utf8').digest('hex');
}

/** The next event after `previous` (or the first). */
export function chainEvent(draft: AuditEventDraft, previous: AuditEvent | undefined, at: Date): AuditEvent {
  const seq = (previous?.seq ?? 0) + 1;
  const prevHash = previous?.hash ?? genesisHash;
  return { ...draft, seq, at, prevHash, hash: auditHash(draft, seq, at, prevHash) };
}

/** Checks events given in sequence order, from the first; stops at the first that does not fit. */
export function verifyChain(events: Iterable<AuditEvent>): AuditVerification {
  let previous: AuditEvent | undefined;
  let count = 0;
  for (const event of events) {
    const seq = (previous?.seq ?? 0) + 1;
    if (event.seq !== seq) {
      return {
        ok: false,
        events: count,
        broken: { seq, reason: `event ${seq} is missing (next is ${event.seq})` },
      };
    }
    if (event.prevHash !== (previous?.hash ?? genesisHash)) {
      return { ok: false, events: count, broken: { seq, reason: 'it does not follow the previous event' } };
    }
    if (auditHash(event, event.seq, event.at, event.prevHash) !== event.hash) {
      return { ok: false, events: count, broken: { seq, reason: 'its content was changed' } };
    }
    previous = event;
    count += 1;
  }
  return { ok: true, events: count };
}
