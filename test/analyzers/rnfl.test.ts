/**
 * Peripapillary RNFL from circle scans: the segmentation against the synthetic truth on scans not used to
 * tune it (healthy to severe loss, both eyes), the RNFL trend against a straightforward least-squares fit,
 * the event and verdict rules, and the structure–function combination.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { segmentCircleScan } from '../../src/analyzers/vf-progression/rnfl-circle-scan.ts';
import {
  analyzeRnflSeries,
  combineVerdicts,
  rnflRules,
} from '../../src/analyzers/vf-progression/rnfl-progression.ts';
import { generateOctCircleScanPixels } from '../../src/synth/index.ts';

describe('RNFL segmentation of circle scans', () => {
  it('measures global and sector RNFL thickness within 1.5 and 5 µm of the truth', (t) => {
    const globalErrors: number[] = [];
    let worstSector = 0;
    let worstIlm = 0;
    let worstRnfl = 0;
    for (let seed = 0; seed < 16; seed++) {
      for (const eye of ['R', 'L'] as const) {
        const inferiorLoss = [0, 0.3, 0.6, 0.9][seed % 4]!;
        const superiorLoss = [0, 0.5][seed % 2]! * (seed % 3 === 0 ? 1 : 0.4);
        const scan = generateOctCircleScanPixels({
          seed: `rnfl-held-out-${seed}`,
          eye,
          inferiorLoss,
          superiorLoss,
        });
        const umPerRow = scan.axialSpacingMm * 1000;
        const result = segmentCircleScan(scan.pixels, scan.rows, scan.columns, umPerRow, eye);
        const truth = scan.truth;
        let ilm = 0;
        let rnfl = 0;
        for (let c = 0; c < scan.columns; c++) {
          ilm += Math.abs(result.ilm[c]! - truth.boundaries.ILM[c]!);
          rnfl += Math.abs(result.rnflGcl[c]! - truth.boundaries['RNFL-GCL'][c]!);
        }
        worstIlm = Math.max(worstIlm, ilm / scan.columns);
        worstRnfl = Math.max(worstRnfl, rnfl / scan.columns);
        globalErrors.push(result.globalUm - truth.rnfl.averageUm);
        for (const sector of Object.keys(truth.rnfl.sectors) as (keyof typeof truth.rnfl.sectors)[]) {
          worstSector = Math.max(worstSector, Math.abs(result.sectors[sector] - truth.rnfl.sectors[sector]));
        }
        for (const quadrant of ['T', 'S', 'N', 'I'] as const) {
          assert.ok(
            Math.abs(result.quadrants[quadrant] - truth.rnfl.quadrants[quadrant]) < 5,
            `${seed}${eye} ${quadrant}`,
          );
        }
        result.clockHours.forEach((value, k) => {
          assert.ok(Math.abs(value - truth.rnfl.clockHours[k]!) < 8, `${seed}${eye} clock ${k + 1}`);
        });
      }
    }
    const meanAbs = globalErrors.reduce((sum, e) => sum + Math.abs(e), 0) / globalErrors.length;
    const worstGlobal = Math.max(...globalErrors.map(Math.abs));
    t.diagnostic(
      `RNFL on ${globalErrors.length} held-out circle scans: boundary MAE worst ILM ${worstIlm.toFixed(2)} px, ` +
        `RNFL/GCL ${worstRnfl.toFixed(2)} px; global error mean abs ${meanAbs.toFixed(2)} µm, worst ` +
        `${worstGlobal.toFixed(2)} µm; worst sector error ${worstSector.toFixed(2)} µm`,
    );
    assert.ok(worstIlm <= 0.5, `ILM MAE ${worstIlm}`);
    assert.ok(worstRnfl <= 1, `RNFL/GCL MAE ${worstRnfl}`);
    assert.ok(worstGlobal <= 1.5, `global error ${worstGlobal}`);
    assert.ok(worstSector <= 5, `sector error ${worstSector}`);
  });
});

/** Least squares by the normal equations, written independently of the analyzer's statistics. */
function normalEquations(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const sx = xs.reduce((a, b) => a + b, 0);
  const sy = ys.reduce((a, b) => a + b, 0);
  const sxx = xs.reduce((a, x) => a + x * x, 0);
  const sxy = xs.reduce((a, x, i) => a + x * ys[i]!, 0);
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { slope, intercept: (sy - slope * sx) / n };
}

describe('RNFL progression', () => {
  const dates = ['2019-03-01', '2020-02-20', '2021-03-15', '2022-03-01', '2023-02-27', '2024-03-05'];

  it('fits the trend as plain least squares on years = days / 365.25', () => {
    const values = [92.1, 90.4, 88.9, 88.2, 85.9, 84.7];
    const result = analyzeRnflSeries(dates.map((date, i) => ({ date, globalUm: values[i]! })));
    const years = dates.map((date) => (Date.parse(date) - Date.parse(dates[0]!)) / 86_400_000 / 365.25);
    const expected = normalEquations(years, values);
    assert.ok(Math.abs(result.trend!.slope - expected.slope) < 1e-9);
    assert.ok(Math.abs(result.trend!.intercept - expected.intercept) < 1e-9);
    assert.ok(result.trend!.ci95[0] < result.trend!.slope && result.trend!.slope < result.trend!.ci95[1]);
    assert.equal(result.trendEligible, true);
    assert.equal(result.event, 'likely');
    assert.equal(result.verdict, 'likely-progression');
    assert.equal(result.fastProgressor, result.trend!.slope <= rnflRules.fastSlopeUmPerYear);
  });

  it('applies the event limit: one scan beyond it is possible, two in a row likely, within it stable', () => {
    const baseline = [90, 90];
    const series = (tail: number[]) =>
      analyzeRnflSeries([...baseline, ...tail].map((globalUm, i) => ({ date: dates[i]!, globalUm })));
    assert.equal(series([89, 88, 84.9]).event, 'possible');
    assert.equal(series([89, 84.9, 84.9]).event, 'likely');
    assert.equal(series([86, 89.5, 85.1]).event, 'none');
    assert.equal(series([91, 89.6, 90.4]).verdict, 'stable');
    assert.equal(analyzeRnflSeries([{ date: dates[0]!, globalUm: 90 }]).verdict, 'insufficient-data');
    const two = analyzeRnflSeries([
      { date: dates[0]!, globalUm: 90 },
      { date: dates[1]!, globalUm: 80 },
    ]);
    assert.equal(two.trend, undefined);
    assert.equal(two.event, 'possible');
  });

  it('combines function and structure: the worse, likely when both progress', () => {
    assert.deepEqual(combineVerdicts('possible-progression', 'possible-progression'), {
      verdict: 'likely-progression',
      agreement: 'both-progressing',
    });
    assert.deepEqual(combineVerdicts('stable', 'possible-progression'), {
      verdict: 'possible-progression',
      agreement: 'structure-only',
    });
    assert.deepEqual(combineVerdicts('likely-progression', 'stable'), {
      verdict: 'likely-progression',
      agreement: 'function-only',
    });
    assert.deepEqual(combineVerdicts('stable', 'stable'), { verdict: 'stable', agreement: 'both-stable' });
    assert.deepEqual(combineVerdicts('insufficient-data', 'stable'), {
      verdict: 'stable',
      agreement: 'not-assessable',
    });
  });
});
