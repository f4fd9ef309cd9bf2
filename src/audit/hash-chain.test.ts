import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent, AuditEventDraft } from '../core/audit.ts';
import { chainEvent, genesisHash, verifyChain } from './hash-chain.ts';

const draft = (action: string): AuditEventDraft => ({
  actor: 'dr-a',
  actorKind: 'user',
  action,
  target: '/api/studies/:StudyInstanceUID',
  studyInstanceUid: '1.2.3',
  outcome: 'success',
  from: '127.0.0.1',
  details: { status: 200 },
});

function chain(length: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let index = 0; index < length; index++) {
    events.push(chainEvent(draft(`view-${index}`), events.at(-1), new Date(1_700_000_000_000 + index)));
  }
  return events;
}

describe('audit hash chain', () => {
  it('links each event to the previous one from a genesis hash', () => {
    const events = chain(5);
    assert.equal(events[0]!.prevHash, genesisHash);
    assert.equal(events[3]!.prevHash, events[2]!.hash);
    assert.deepEqual(verifyChain(events), { ok: true, events: 5 });
  });

  it('finds a changed, a deleted and an inserted event', () => {
    const changed = chain(5);
    changed[2] = { ...changed[2]!, actor: 'someone-else' };
    assert.deepEqual(verifyChain(changed).broken, { seq: 3, reason: 'its content was changed' });
    const deleted = chain(5).filter((event) => event.seq !== 3);
    assert.equal(verifyChain(deleted).broken?.seq, 3);
    const original = chain(5);
    const forged = chainEvent(draft('forged'), original[1], new Date(1_700_000_000_500));
    const inserted = [
      ...original.slice(0, 2),
      forged,
      ...original.slice(2).map((event) => ({ ...event, seq: event.seq + 1 })),
    ];
    assert.equal(verifyChain(inserted).ok, false);
  });
});
