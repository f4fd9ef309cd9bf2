/**
 * The vf-progression acceptance figures at test scale: synthetic series from src/synth with known slopes
 * (−1 dB/yr MD, mostly from a deepening arcuate, over 6 years = 7 yearly tests; and stable series) — MD slope
 * error, PoPLR detection and false-positive rates — with a few series through real OPV objects; then the
 * test–retest series of ../shared/data/vf: per eye MD slope, PoPLR S and p, and the false-positive rate
 * (printed; weekly tests, so slopes per year are not clinical). The same study at scale is bench/vf-progression.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeVfSeries, fitLine, type VfProgression } from '../../src/analyzers/vf-progression/index.ts';
import {
  readSharedSeries,
  synthSeriesViaOpv,
  synthSeriesViaValues,
  vfDataPresent,
  type SynthSeriesSpec,
} from './vf-data.ts';
import { referenceFit } from './vf-reference.ts';

const progressingSeries = 100;
const stableSeries = 200;

function progressing(i: number): SynthSeriesSpec {
  return {
    seed: `test-progressing-${i}`,
    eye: i % 2 === 0 ? 'R' : 'L',
    visits: 7,
    intervalYears: 1,
    mdSlopeDbPerYear: -1,
    arcuate: i % 4 < 2 ? 'superior' : 'inferior',
  };
}

function stable(i: number): SynthSeriesSpec {
  return {
    seed: `test-stable-${i}`,
    eye: i % 2 === 0 ? 'R' : 'L',
    visits: 7,
    intervalYears: 1,
    mdSlopeDbPerYear: 0,
    arcuate: 'none',
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
function binomialUpperTail(k: number, n: number, p: number): number {
  let total = 0;
  let term = (1 - p) ** n;
  for (let i = 0; i <= n; i++) {
    if (i >= k) {
      total += term;
    }
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return total;
}

/** The MD trend and the pointwise slopes equal a straightforward least-squares computation (1e-9). */
function assertTrendsMatchLeastSquares(
  analysis: VfProgression,
  sensitivities: readonly (readonly number[])[],
): void {
  const years = analysis.tests.map((t) => t.years);
  const md = referenceFit(
    years,
    analysis.tests.map((t) => t.indices.md),
  );
  assert.ok(Math.abs(analysis.mdTrend!.slope - md.slope) < 1e-9);
  assert.ok(Math.abs(analysis.mdTrend!.intercept - md.intercept) < 1e-9);
  assert.ok(Math.abs(analysis.mdTrend!.pLeft - md.p) < 1e-9);
  analysis.pointwise!.forEach((fit, k) => {
    if (fit === null) {
      return;
    }
    const reference = referenceFit(
      years,
      sensitivities.map((s) => s[k]!),
    );
    assert.ok(Math.abs(fit.slope - reference.slope) < 1e-9, `l${k + 1}`);
    assert.ok(Math.abs(fit.intercept - reference.intercept) < 1e-9, `l${k + 1}`);
  });
}

describe('vf-progression on synthetic series with known slopes', () => {
  const errors: number[] = [];

  it(`detects −1 dB/yr arcuate progression over 6 years in ≥ 90% of ${progressingSeries} series`, (t) => {
    let detected = 0;
    for (let i = 0; i < progressingSeries; i++) {
      const { series, truth } = synthSeriesViaValues(progressing(i));
      const analysis = analyzeVfSeries(series);
      if (i < 5) {
        assertTrendsMatchLeastSquares(
          analysis,
          series.tests.map((t) => t.sensitivities),
        );
      }
      errors.push(analysis.mdTrend!.slope - truth.trueMdSlopeDbPerYear);
      detected += analysis.poplr!.p < 0.05 ? 1 : 0;
    }
    const rate = detected / progressingSeries;
    t.diagnostic(
      `progressing: PoPLR p < 0.05 in ${detected}/${progressingSeries} (${(100 * rate).toFixed(1)}%)`,
    );
    assert.ok(rate >= 0.9);
  });

  it(`flags few of ${stableSeries} stable series at p < 0.05 (not significantly more than 5%)`, (t) => {
    let flagged = 0;
    for (let i = 0; i < stableSeries; i++) {
      const { series, truth } = synthSeriesViaValues(stable(i));
      const analysis = analyzeVfSeries(series);
      errors.push(analysis.mdTrend!.slope - truth.trueMdSlopeDbPerYear);
      flagged += analysis.poplr!.p < 0.05 ? 1 : 0;
    }
    const upper = binomialUpperTail(flagged, stableSeries, 0.05);
    t.diagnostic(
      `stable: PoPLR p < 0.05 in ${flagged}/${stableSeries} (${((100 * flagged) / stableSeries).toFixed(1)}%); ` +
        `P(≥ ${flagged} | 5%) = ${upper.toFixed(3)}`,
    );
    assert.ok(upper > 0.01, 'the false-positive rate is significantly above 5%');
  });

  it('estimates the MD slope with a median error ≤ 0.1 dB/yr', (t) => {
    const absolute = errors.map(Math.abs);
    t.diagnostic(
      `MD slope error over ${errors.length} series: median |error| ${median(absolute).toFixed(3)} dB/yr, ` +
        `median signed ${median(errors).toFixed(3)} dB/yr`,
    );
    assert.equal(errors.length, progressingSeries + stableSeries);
    assert.ok(median(absolute) <= 0.1);
  });

  it('gives the same kind of answer through OPV objects (5 progressing series, left and right eyes)', () => {
    for (let i = 0; i < 5; i++) {
      const { series, truth } = synthSeriesViaOpv({ ...progressing(i), seed: `test-opv-${i}` });
      const analysis = analyzeVfSeries(series);
      assert.equal(series.tests.length, 7);
      assert.ok(Math.abs(analysis.spanYears - 6) < 0.01);
      assert.ok(analysis.poplr!.p < 0.05, `series ${i}: PoPLR p ${analysis.poplr!.p}`);
      assert.ok(Math.abs(analysis.mdTrend!.slope - truth.trueMdSlopeDbPerYear) < 0.5);
      assert.ok(analysis.tests.every((t) => t.sopInstanceUid !== undefined));
    }
  });
});

const present = vfDataPresent();
if (!present && process.env.CI === 'true') {
  throw new Error('the visual-field data (../shared/data/vf) is required under CI');
}

describe(
  'vf-progression on vfpwgRetest24d2.csv (stable glaucoma, 12 tests in weeks)',
  {
    skip: present ? false : 'the visual-field data (../shared/data/vf) is not present',
  },
  () => {
    it('prints per eye MD slope, PoPLR S and p, and the false-positive rate; matches visualFields PLR for id 1', (t) => {
      const series = readSharedSeries('vfpwgRetest24d2.csv');
      assert.equal(series.length, 30);
      let positives = 0;
      const lines: string[] = [];
      for (const eye of series) {
        const analysis = analyzeVfSeries(eye);
        assertTrendsMatchLeastSquares(
          analysis,
          eye.tests.map((t) => t.sensitivities),
        );
        positives += analysis.poplr!.p < 0.05 ? 1 : 0;
        lines.push(
          `${eye.id} ${eye.eye} n=${analysis.tests.length} MD ${analysis.mdTrend!.slope.toFixed(2)} dB/yr ` +
            `S ${analysis.poplr!.s.toFixed(2)} p ${analysis.poplr!.p.toFixed(4)} ${analysis.verdict}`,
        );
        if (eye.id === '1') {
          // R visualFields 1.0.7 plr() on this eye (standards-reference §E.3): slopes and intercepts of l1…l5.
          const slopes = [10.0343, -2.3718, 3.8313, -2.1893, -7.845];
          const intercepts = [24.1923, 25.3333, 24.3462, 24.8974, 24.9103];
          slopes.forEach((s, k) => {
            assert.ok(Math.abs(analysis.pointwise![k]!.slope - s) < 1e-4);
          });
          intercepts.forEach((b, k) => {
            assert.ok(Math.abs(analysis.pointwise![k]!.intercept - b) < 1e-4);
          });
        }
        assert.ok(!analysis.trendEligible && !analysis.fastProgressor);
      }
      for (const line of lines) {
        t.diagnostic(line);
      }
      t.diagnostic(
        `vfpwgRetest24d2: PoPLR false-positive rate at p < 0.05 = ${positives}/30 (${((100 * positives) / 30).toFixed(1)}%)`,
      );
      const again = analyzeVfSeries(series[0]!);
      assert.equal(again.poplr!.p, analyzeVfSeries(series[0]!).poplr!.p);
      assert.equal(fitLine([0, 1, 2], [1, 2, 4]).df, 1);
    });
  },
);
