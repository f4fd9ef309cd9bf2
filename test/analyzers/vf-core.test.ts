/**
 * The vf-progression core against independent computations: the t distribution (incomplete beta), least
 * squares (normal equations), PoPLR by brute force over every order for series of 3–7 tests (exact and
 * deterministic), the sampled PoPLR for 8 tests within Monte-Carlo error of the exact value; the CSV reader,
 * the OPV converter on synthetic OPV objects, the indices and the GPA-style events on constructed series.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allOrders,
  analyzeVfSeries,
  computeIndices,
  convertOpv,
  fitLine,
  gpaEvents,
  locations242,
  nonBlindSpot,
  normativeModel,
  permutationP,
  poplr,
  readVfCsv,
  sampledOrders,
  studentTCdf,
  studentTQuantile,
  yearsBetween,
  type OpvDataset,
  type VfTest,
} from '../../src/analyzers/vf-progression/index.ts';
import { synthSeriesViaOpv, synthSeriesViaValues } from './vf-data.ts';
import { referenceFit, referencePoplr, referenceTCdf } from './vf-reference.ts';

function td52(test: VfTest): number[] {
  const td = computeIndices(test).td;
  return nonBlindSpot.map((k) => td[k]!);
}

describe('vf-progression statistics', () => {
  it('computes the t CDF for integer df as the incomplete beta function does (1e-10)', () => {
    let worst = 0;
    for (let df = 1; df <= 40; df++) {
      for (const t of [-40, -8, -3.1, -2, -1, -0.37, 0, 0.2, 1.5, 2.9, 7, 25]) {
        worst = Math.max(worst, Math.abs(studentTCdf(t, df) - referenceTCdf(t, df)));
      }
    }
    assert.ok(worst < 1e-10, `max difference ${worst}`);
    assert.ok(Math.abs(studentTQuantile(0.975, 1) - 12.706204736174707) < 1e-9);
    assert.ok(Math.abs(studentTQuantile(0.975, 10) - 2.2281388519649385) < 1e-9);
  });

  it('fits lines as the normal equations do (1e-9), with visualFields rules for invariant series', () => {
    const xs = [0, 0.0192, 0.0383, 0.2519, 0.5, 1.13, 1.7];
    const ys = [25, 27, 24, 22, 26, 21, 20];
    const fit = fitLine(xs, ys);
    const reference = referenceFit(xs, ys);
    assert.ok(Math.abs(fit.slope - reference.slope) < 1e-9);
    assert.ok(Math.abs(fit.intercept - reference.intercept) < 1e-9);
    assert.ok(Math.abs(fit.slopeSe - reference.se) < 1e-9);
    assert.ok(Math.abs(fit.pLeft - reference.p) < 1e-9);
    const tq = studentTQuantile(0.975, xs.length - 2);
    assert.ok(Math.abs(fit.ci95[0] - (reference.slope - tq * reference.se)) < 1e-9);
    const flat = fitLine([0, 1, 2, 3], [30, 30, 30, 30]);
    assert.deepEqual([flat.slope, flat.intercept, flat.slopeSe, flat.pLeft], [0, 30, 1e-6, 0.5]);
    assert.ok(Math.abs(yearsBetween('2000-01-01', '2001-01-01') - 366 / 365.25) < 1e-15);
  });
});

describe('PoPLR', () => {
  it('enumerates every order once, identity first; samples distinct orders deterministically', () => {
    const orders = allOrders(5);
    assert.equal(orders.length, 120);
    assert.equal(new Set(orders.map((o) => o.join())).size, 120);
    assert.deepEqual(orders[0], [0, 1, 2, 3, 4]);
    const sampled = sampledOrders(9, 500, 7);
    assert.deepEqual(sampled[0], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(new Set(sampled.map((o) => o.join())).size, 500);
    assert.deepEqual(sampledOrders(9, 500, 7), sampled);
    assert.equal(permutationP(3, [3, 1, 5, 3, 2]), (1 + (2 - 1) / 2) / 5);
    assert.equal(permutationP(9, [9, 1, 2]), 0);
  });

  for (const n of [3, 4, 5, 6, 7]) {
    it(`equals a brute-force computation over all ${n} orders and is deterministic (${n} tests)`, () => {
      const { series } = synthSeriesViaValues({
        seed: `poplr-brute-${n}`,
        eye: n % 2 === 0 ? 'R' : 'L',
        visits: n,
        intervalYears: 0.8,
        mdSlopeDbPerYear: -1.2,
        arcuate: 'inferior',
      });
      const years = series.tests.map((t) => yearsBetween(series.tests[0]!.date, t.date));
      const values = series.tests.map(td52);
      // An invariant location (p = 0.5 for every order) and irregular spacing exercise the edge rules.
      values.forEach((row) => (row[10] = 12));
      years[1] = years[1]! + 0.13;
      const result = poplr(years, values);
      const again = poplr(years, values);
      const reference = referencePoplr(years, values);
      assert.equal(result.exact, true);
      assert.equal(result.permutations, reference.orders);
      assert.ok(Math.abs(result.s - reference.s) < 1e-9 * reference.s, `S ${result.s} vs ${reference.s}`);
      assert.equal(result.p, reference.p);
      assert.deepEqual(again, result);
    });
  }

  it('samples orders for 8 tests: seeded, deterministic, within Monte-Carlo error of the exact 8! value', () => {
    const { series } = synthSeriesViaValues({
      seed: 'poplr-sampled',
      eye: 'R',
      visits: 8,
      intervalYears: 0.5,
      mdSlopeDbPerYear: -0.6,
      arcuate: 'superior',
    });
    const years = series.tests.map((t) => yearsBetween(series.tests[0]!.date, t.date));
    const values = series.tests.map(td52);
    const sampled = poplr(years, values, { permutations: 5040, seed: 11 });
    assert.equal(sampled.exact, false);
    assert.equal(sampled.permutations, 5040);
    assert.deepEqual(poplr(years, values, { permutations: 5040, seed: 11 }), sampled);
    const exact = poplr(years, values, { permutations: 40320 });
    assert.equal(exact.exact, true);
    const mcSe = Math.sqrt((exact.p * (1 - exact.p)) / 5040);
    assert.ok(Math.abs(sampled.p - exact.p) <= 4 * mcSe + 1e-3, `sampled ${sampled.p} vs exact ${exact.p}`);
    assert.equal(sampled.s, exact.s);
  });
});

describe('visualFields CSV series', () => {
  it('reads quoted cells, OD/OS, durations, sorts by date and time, reports bad lines', () => {
    const header = `id,eye,date,time,age,type,fpr,fnr,fl,duration,${Array.from({ length: 54 }, (_, k) => `l${k + 1}`).join(',')}`;
    const values = (v: number): string => Array.from({ length: 54 }, () => String(v)).join(',');
    const text = [
      header,
      `"7",OS,2010-05-02,10:00:00,61,pwg,0.02,0.1,0.05,00:06:01,${values(25)}`,
      `"7",OS,2010-01-02,09:00:00,60,pwg,0.01,0.0,0.00,00:05:30,${values(27)}`,
      `7,OX,2010-01-02,09:00:00,60,pwg,0,0,0,00:05:30,${values(27)}`,
      `7,OD,2010-01-02,09:00:00,60,pwg,0,0,0,00:05:30,${values(27).replace('27', 'x')}`,
      '',
    ].join('\r\n');
    const { series, problems } = readVfCsv(text);
    assert.equal(series.length, 1);
    assert.equal(series[0]!.eye, 'L');
    assert.deepEqual(
      series[0]!.tests.map((t) => t.date),
      ['2010-01-02', '2010-05-02'],
    );
    assert.equal(series[0]!.tests[1]!.durationSeconds, 361);
    assert.equal(series[0]!.tests[1]!.falseNegativeRate, 0.1);
    assert.deepEqual(problems, [
      "line 4: unknown eye 'OX'",
      'line 5: a sensitivity is missing or not a number',
    ]);
    assert.deepEqual(readVfCsv('id,eye\n1,OD').problems.length, 1);
  });
});

describe('OPV content', () => {
  it('converts synthetic OPV objects (left eye mirrored into visualFields order) with reliability and device indices', () => {
    const { series } = synthSeriesViaOpv({
      seed: 'opv-convert',
      eye: 'L',
      visits: 3,
      intervalYears: 1,
      mdSlopeDbPerYear: -1,
      arcuate: 'superior',
    });
    assert.equal(series.eye, 'L');
    assert.equal(series.tests.length, 3);
    for (const test of series.tests) {
      assert.equal(test.sensitivities.length, 54);
      // The generator's blind spot is centred 1.5° below the meridian: deep at l35, not at l26.
      assert.ok(test.sensitivities[34]! < 10, 'blind spot at l35 (right-eye format)');
      assert.ok(test.sopInstanceUid !== undefined && test.falsePositiveRate !== undefined);
    }
  });

  it('maps points by coordinates, ignores extra points, and refuses incomplete or non-OPV datasets', () => {
    const points = locations242.map((l) => ({
      VisualFieldTestPointXCoordinate: -l.x,
      VisualFieldTestPointYCoordinate: l.y,
      SensitivityValue: l.index,
      StimulusResults: 'SEEN',
    }));
    const dataset: OpvDataset = {
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.80.1',
      SOPInstanceUID: '2.25.1',
      MeasurementLaterality: 'L',
      StudyDate: '20200229',
      StudyTime: '0930',
      PatientBirthDate: '19500301',
      VisualFieldTestPointSequence: [
        ...points,
        { VisualFieldTestPointXCoordinate: 27, VisualFieldTestPointYCoordinate: 27, SensitivityValue: 20 },
      ],
      VisualFieldCatchTrialSequence: [{ FalsePositivesQuantity: 1, PositiveCatchTrialsQuantity: 10 }],
      FixationSequence: [{ FixationCheckedQuantity: 20, PatientNotProperlyFixatedQuantity: 2 }],
      VisualFieldGlobalResultsIndexSequence: [
        {
          DataObservationSequence: [
            { ConceptNameCodeSequence: [{ CodeValue: '111864' }], NumericValue: '-3.5' },
          ],
        },
      ],
    };
    const converted = convertOpv(dataset);
    assert.ok(converted.ok);
    assert.deepEqual(
      converted.test.sensitivities,
      locations242.map((l) => l.index),
    );
    assert.equal(converted.test.age, 69);
    assert.equal(converted.test.date, '2020-02-29');
    assert.equal(converted.test.time, '09:30:00');
    assert.equal(converted.test.falsePositiveRate, 0.1);
    assert.equal(converted.test.fixationLossRate, 0.1);
    assert.deepEqual(converted.deviceIndices, { md: -3.5 });
    assert.equal(converted.notes.length, 1);
    const incomplete = convertOpv({ ...dataset, VisualFieldTestPointSequence: points.slice(1) });
    assert.ok(!incomplete.ok && incomplete.problem.includes('missing l1'));
    const notOpv = convertOpv({ ...dataset, SOPClassUID: '1.2.840.10008.5.1.4.1.1.77.1.5.1' });
    assert.ok(!notOpv.ok);
  });
});

describe('indices and GPA-style events', () => {
  it('computes TD, weighted MD, weighted PSD and general height as written in visualFields', () => {
    const test: VfTest = {
      date: '2020-01-01',
      age: 64,
      sensitivities: locations242.map((l) => 30 - 0.2 * l.eccentricity - (l.y > 0 && l.x < 0 ? 6 : 0)),
    };
    const indices = computeIndices(test);
    const td = nonBlindSpot.map((k) => {
      const n = normativeModel.locations[k]!;
      return test.sensitivities[k]! - (n.intercept + n.slope * 64);
    });
    const w = nonBlindSpot.map((k) => 1 / normativeModel.locations[k]!.sdTd);
    const md = td.reduce((a, v, i) => a + v * w[i]!, 0) / w.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(indices.md - md) < 1e-12);
    const gh = [...td].sort((a, b) => b - a)[6]!;
    assert.equal(indices.gh, gh);
    const pd = td.map((v) => v - gh);
    const wp = nonBlindSpot.map((k) => 1 / normativeModel.locations[k]!.sdPd);
    const sw = wp.reduce((a, b) => a + b, 0);
    const mp = pd.reduce((a, v, i) => a + v * wp[i]!, 0) / sw;
    const psd = Math.sqrt(pd.reduce((a, v, i) => a + wp[i]! * (v - mp) ** 2, 0) / (sw - 1));
    assert.ok(Math.abs(indices.psd - psd) < 1e-12);
    assert.equal(indices.td[25], null);
    assert.ok(indices.vfi > 0 && indices.vfi < 100);
    assert.ok(indices.pdProbability.filter((p) => p !== null && p < 1).length >= 5);
  });

  it('finds possible then likely progression when the same 3 points worsen on 2 then 3 follow-ups', () => {
    const flat = locations242.map(() => 30);
    const dropped = (points: readonly number[]): number[] =>
      flat.map((v, k) => (points.includes(k) ? v - 12 : v));
    const run = (tests: number[][]) =>
      gpaEvents(
        tests.map((s) => computeIndices({ date: '2020-01-01', age: 60, sensitivities: s }).pd),
        tests,
      );
    const three = [0, 1, 2];
    const events = run([flat, flat, dropped(three), dropped(three), dropped(three)]);
    assert.deepEqual(events.status, ['none', 'none', 'none', 'possible', 'likely']);
    assert.equal(events.firstPossible, 3);
    assert.equal(events.firstLikely, 4);
    assert.deepEqual(events.flagged[2], three);
    const two = run([flat, flat, dropped([0, 1]), dropped([0, 1]), dropped([0, 1])]);
    assert.equal(two.last, 'none');
    const moving = run([flat, flat, dropped([0, 1, 2]), dropped([3, 4, 5]), dropped([6, 7, 8])]);
    assert.equal(moving.last, 'none');
  });

  it('declares fewer than 3 tests insufficient and needs ≥ 5 tests over ≥ 2 years for a fast progressor', () => {
    const { series } = synthSeriesViaValues({
      seed: 'short',
      eye: 'R',
      visits: 2,
      intervalYears: 1,
      mdSlopeDbPerYear: -2,
      arcuate: 'superior',
    });
    assert.equal(analyzeVfSeries(series).verdict, 'insufficient-data');
    const fast = analyzeVfSeries(
      synthSeriesViaValues({
        seed: 'fast',
        eye: 'L',
        visits: 6,
        intervalYears: 1,
        mdSlopeDbPerYear: -2,
        arcuate: 'inferior',
      }).series,
    );
    assert.equal(fast.trendEligible, true);
    assert.equal(fast.fastProgressor, true);
    assert.equal(fast.verdict, 'likely-progression');
  });
});
