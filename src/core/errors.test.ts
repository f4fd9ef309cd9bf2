import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { errorCatalogue, FoveaError, isErrorCode, toFoveaError } from './errors.ts';

const docs = readFileSync(join(import.meta.dirname, '../../docs/errors.md'), 'utf8');

describe('error catalogue', () => {
  it('is documented in docs/errors.md row for row, with the same mappings', () => {
    const rows = [
      ...docs.matchAll(
        /^\| `(FOVEA_[A-Z_]+)` \| (\w+) \| (yes|no) \| (\d+) \| 0x([0-9A-F]{4}) \| (A[ER]) \|/gmu,
      ),
    ];
    const documented = new Map(rows.map((row) => [row[1]!, row]));
    assert.deepEqual([...documented.keys()].sort(), Object.keys(errorCatalogue).sort());
    for (const [code, spec] of Object.entries(errorCatalogue)) {
      const row = documented.get(code)!;
      assert.equal(row[2], spec.category, code);
      assert.equal(row[3] === 'yes', spec.retryable, code);
      assert.equal(Number(row[4]), spec.http, code);
      assert.equal(parseInt(row[5]!, 16), spec.dimse, code);
      assert.equal(row[6], spec.hl7, code);
    }
  });

  it('has codes named FOVEA_<AREA>_<WHAT> and retryable only for transient or external failures', () => {
    for (const [code, spec] of Object.entries(errorCatalogue)) {
      assert.match(code, /^FOVEA_[A-Z0-9]+(_[A-Z0-9]+)*$/u);
      if (spec.retryable) {
        assert.ok(spec.category === 'transient' || spec.category === 'external', code);
      }
      assert.ok(spec.http >= 400 && spec.http < 600, code);
    }
  });

  it('wraps unknown errors as internal without leaking their message', () => {
    const wrapped = toFoveaError(new Error('secret internal detail'));
    assert.equal(wrapped.code, 'FOVEA_INTERNAL');
    assert.ok(!wrapped.message.includes('secret'));
    const own = new FoveaError('FOVEA_DICOM_MALFORMED', { detail: 'x' });
    assert.equal(toFoveaError(own), own);
    assert.equal(isErrorCode('FOVEA_DICOM_MALFORMED'), true);
    assert.equal(isErrorCode('NOPE'), false);
  });
});
