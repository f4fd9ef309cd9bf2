import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { logEvents } from './log-events.ts';

describe('log events', () => {
  it('are documented in docs/log-events.md with the same numbers', () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs/log-events.md'), 'utf8');
    const rows = [...docs.matchAll(/^\| (\d{4}) \| `([A-Z_]+)` \|/gmu)].map((row) => [
      row[2]!,
      Number(row[1]),
    ]);
    assert.deepEqual(Object.fromEntries(rows), { ...logEvents });
  });

  it('never share a number', () => {
    const numbers = Object.values(logEvents);
    assert.equal(new Set(numbers).size, numbers.length);
  });
});
