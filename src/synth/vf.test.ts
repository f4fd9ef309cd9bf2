import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type DcmjsDefault from 'dcmjs';
import {
  generateVisualField,
  generateVisualFieldSeries,
  generateVisualFieldSeriesValues,
  generateVisualFieldValues,
  normalSensitivity,
  olsSlope,
  retestSd,
  Rng,
  vfLocations,
} from './index.ts';

const dcmjs = createRequire(import.meta.url)('dcmjs') as typeof DcmjsDefault;
dcmjs.log.setLevel('error');

describe('synthetic visual fields', () => {
  it('uses the 24-2 and 10-2 layouts with the blind spot temporal', () => {
    const right = vfLocations('24-2', 'R');
    assert.equal(right.length, 54);
    const blind = right.filter((l) => l.blindSpot).map((l) => [l.index, l.x, l.y]);
    assert.deepEqual(blind, [
      [26, 15, 3],
      [35, 15, -3],
    ]);
    const left = vfLocations('24-2', 'L');
    assert.deepEqual(
      left.filter((l) => l.blindSpot).map((l) => l.x),
      [-15, -15],
    );
    assert.equal(vfLocations('10-2', 'R').length, 68);
    assert.ok(normalSensitivity(15, -3, 60, 'R') < 5, 'blind spot');
    assert.ok(normalSensitivity(-15, -3, 60, 'R') > 25, 'nasal mirror point is seen');
    assert.ok(normalSensitivity(3, 3, 60, 'R') > normalSensitivity(21, 9, 60, 'R'));
    assert.ok(normalSensitivity(3, 3, 40, 'R') > normalSensitivity(3, 3, 80, 'R'));
  });

  it('has test–retest noise that grows as sensitivity falls', () => {
    assert.ok(retestSd(10) > retestSd(20) && retestSd(20) > retestSd(30));
    const deep: number[] = [];
    const healthy: number[] = [];
    for (let k = 0; k < 40; k++) {
      const values = generateVisualFieldValues(
        { pattern: '24-2', eye: 'R', ageYears: 60, defects: [{ hemifield: 'superior', depthDb: 22 }] },
        new Rng('retest', k),
      );
      for (const point of values.points) {
        if (point.blindSpot) {
          continue;
        }
        if (point.trueDb > 8 && point.trueDb < 16) {
          deep.push(point.measuredDb - point.trueDb);
        } else if (point.trueDb > 28) {
          healthy.push(point.measuredDb - point.trueDb);
        }
      }
    }
    const sd = (xs: number[]): number => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
    };
    assert.ok(deep.length > 100 && healthy.length > 100);
    assert.ok(sd(deep) > 1.8 * sd(healthy), `SD ${sd(deep)} at 8–16 dB vs ${sd(healthy)} above 28 dB`);
  });

  it('puts an arcuate defect in its hemifield', () => {
    const values = generateVisualFieldValues(
      {
        pattern: '24-2',
        eye: 'L',
        ageYears: 65,
        defects: [{ hemifield: 'inferior', depthDb: 15 }],
        noise: false,
      },
      new Rng('arcuate'),
    );
    const superior = values.points.filter((p) => p.y > 0 && !p.blindSpot);
    const inferior = values.points.filter((p) => p.y < 0 && !p.blindSpot);
    const meanTd = (ps: typeof superior): number =>
      ps.reduce((a, p) => a + p.trueDb - p.normalDb, 0) / ps.length;
    assert.ok(meanTd(superior) > -0.5);
    assert.ok(meanTd(inferior) < -4);
    assert.ok(values.trueMeanDeviationDb < -2 && values.truePatternStandardDeviationDb > 3);
  });

  it('generates a series with the chosen MD slope and localised progression', () => {
    const { tests, truth } = generateVisualFieldSeriesValues(
      {
        eye: 'R',
        visits: 8,
        intervalYears: 0.5,
        startAgeYears: 62,
        mdSlopeDbPerYear: -1.2,
        arcuate: 'superior',
      },
      new Rng('series'),
    );
    assert.equal(tests.length, 8);
    assert.ok(Math.abs(truth.trueMdSlopeDbPerYear - -1.2) < 0.05, `true slope ${truth.trueMdSlopeDbPerYear}`);
    assert.ok(truth.arcuateRateDbPerYear > 1.2);
    const progressing = truth.pointSlopesDbPerYear.filter((p) =>
      truth.progressingLocations.includes(p.index),
    );
    assert.ok(progressing.length >= 5);
    assert.ok(
      progressing.every((p) => p.y > 0),
      'progression in the superior hemifield',
    );
    // The measured series shows the trend too.
    const measuredSlope = olsSlope(
      tests.map((t) => t.yearsFromBaseline),
      tests.map((t) => t.meanDeviationDb),
    );
    assert.ok(measuredSlope < -0.6, `measured MD slope ${measuredSlope}`);
    const stable = generateVisualFieldSeriesValues(
      { eye: 'R', visits: 6, startAgeYears: 62, mdSlopeDbPerYear: 0 },
      new Rng('stable'),
    );
    assert.equal(stable.truth.trueMdSlopeDbPerYear, 0);
  });

  it('writes OPV objects whose points are the truth, one study per visit', () => {
    const single = generateVisualField({ seed: 'opv', eye: 'L' });
    const again = generateVisualField({ seed: 'opv', eye: 'L' });
    assert.ok(single.part10.equals(again.part10));
    const part10 = single.part10;
    const dict = dcmjs.data.DicomMessage.readFile(new Uint8Array(part10).buffer);
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    assert.equal(ds.Modality, 'OPV');
    assert.equal(ds.MeasurementLaterality, 'L');
    const points = ds.VisualFieldTestPointSequence as Record<string, number>[];
    assert.equal(points.length, 54);
    points.forEach((point, i) => {
      const truth = single.truth.points[i]!;
      assert.equal(point.VisualFieldTestPointXCoordinate, truth.x);
      assert.equal(point.SensitivityValue, truth.measuredDb);
    });
    const series = generateVisualFieldSeries({
      seed: 'opv-series',
      eye: 'R',
      visits: 5,
      mdSlopeDbPerYear: -1,
      arcuate: 'inferior',
    });
    assert.equal(series.length, 5);
    const dates = series.map((o) => o.studyDate);
    assert.deepEqual([...dates].sort(), dates);
    assert.equal(new Set(series.map((o) => o.studyInstanceUid)).size, 5);
    assert.equal(new Set(series.map((o) => o.patientId)).size, 1);
    assert.ok(series.every((o) => o.truth.series?.targetMdSlopeDbPerYear === -1));
    assert.deepEqual(
      series.map((o) => o.truth.visit),
      [1, 2, 3, 4, 5],
    );
  });
});
