/**
 * The committed normative model (src/analyzers/vf-progression/normative-values.ts) is what
 * scripts/generate-vf-normative.ts fits on ../shared/data/vf/vfctrSunyiu24d2.csv: refitted here and compared
 * to 1e-9, with the source file's SHA-256. On those healthy tests, about 5% of locations fall below the 5%
 * TD limit and MD averages 0. Skipped without ../shared/data (a failure under CI).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  computeIndices,
  fitNormativeModel,
  normativeModel,
} from '../../src/analyzers/vf-progression/index.ts';
import { readSharedSeries, vfDataDir, vfDataPresent } from './vf-data.ts';

const present = vfDataPresent();
if (!present && process.env.CI === 'true') {
  throw new Error('the visual-field data (../shared/data/vf) is required under CI');
}
const skip = present ? false : 'the visual-field data (../shared/data/vf) is not present';

describe('vf-progression normative model', { skip }, () => {
  it('is the model fitted on vfctrSunyiu24d2.csv (regenerated and compared to 1e-9)', () => {
    const file = 'vfctrSunyiu24d2.csv';
    const series = readSharedSeries(file);
    const sha256 = createHash('sha256')
      .update(readFileSync(join(vfDataDir, file)))
      .digest('hex');
    const refit = fitNormativeModel(
      series.flatMap((s) => s.tests),
      { file, sha256, eyes: series.length },
    );
    assert.deepEqual(refit.source, normativeModel.source);
    assert.equal(refit.source.tests, 263);
    refit.locations.forEach((location, k) => {
      const committed = normativeModel.locations[k]!;
      for (const key of ['intercept', 'slope', 'sdTd', 'sdPd'] as const) {
        assert.ok(Math.abs(location[key] - committed[key]) < 1e-9, `l${k + 1} ${key}`);
      }
      assert.equal(location.tdPercentiles === null, committed.tdPercentiles === null);
      location.tdPercentiles?.forEach((v, i) => {
        assert.ok(Math.abs(v - committed.tdPercentiles![i]!) < 1e-9);
      });
      location.pdPercentiles?.forEach((v, i) => {
        assert.ok(Math.abs(v - committed.pdPercentiles![i]!) < 1e-9);
      });
    });
  });

  it('flags about 5% of healthy locations at the 5% TD level, MD averaging 0', (t) => {
    const tests = readSharedSeries('vfctrSunyiu24d2.csv').flatMap((s) => s.tests);
    const indices = tests.map((t) => computeIndices(t));
    const flagged = indices.flatMap((i) => i.tdProbability.filter((p) => p !== null && p < 1)).length;
    const rate = flagged / (tests.length * 52);
    const meanMd = indices.reduce((a, i) => a + i.md, 0) / indices.length;
    t.diagnostic(
      `healthy: ${(100 * rate).toFixed(2)}% of locations below the 5% TD limit; mean MD ${meanMd.toFixed(4)} dB`,
    );
    assert.ok(rate > 0.04 && rate < 0.06);
    assert.ok(Math.abs(meanMd) < 0.05);
  });
});
