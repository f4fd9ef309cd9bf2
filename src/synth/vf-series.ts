/**
 * Visual field series over years: a chosen mean-deviation slope, split between diffuse loss and a
 * deepening arcuate defect (localised progression), with test–retest noise at every visit. The truth is
 * the slope of the noise-free values, per location and for MD.
 * See standards-reference §E.2 (trend) and §E.3 (PoPLR).
 */
import type { Eye } from '../core/eye.ts';
import { arcuateWeight, generateVisualFieldValues, vfLocations } from './visual-field.ts';
import type { ArcuateDefect, VfPattern, VfTestValues } from './visual-field.ts';
import type { Rng } from './rng.ts';

/** Options of {@link generateVisualFieldSeriesValues}. */
export interface VfSeriesOptions {
  readonly eye: Eye;
  readonly pattern?: VfPattern;
  /** Number of tests (default 6). */
  readonly visits?: number;
  /** Years between tests (default 1). */
  readonly intervalYears?: number;
  /** Age at the first test. */
  readonly startAgeYears: number;
  /** Target MD slope (dB/year, ≤ 0; default 0 = stable). */
  readonly mdSlopeDbPerYear?: number;
  /** Hemifield of the progressing arcuate defect, or none (diffuse progression only). */
  readonly arcuate?: 'superior' | 'inferior' | 'none';
  /** Share of the MD slope that comes from the arcuate defect (0–1, default 0.75). */
  readonly localisedFraction?: number;
  /** Arcuate depth at the first test (dB, default 4 when an arcuate is chosen). */
  readonly baselineDefectDb?: number;
}

/** One test of a series. */
export interface VfSeriesTest extends VfTestValues {
  readonly visit: number;
  readonly yearsFromBaseline: number;
}

/** Noise-free progression of a series. */
export interface VfSeriesTruth {
  readonly visits: number;
  readonly intervalYears: number;
  readonly targetMdSlopeDbPerYear: number;
  /** OLS slope of the noise-free MD over the series (differs from the target only where values floor at 0 dB). */
  readonly trueMdSlopeDbPerYear: number;
  readonly diffuseRateDbPerYear: number;
  readonly arcuate: 'superior' | 'inferior' | 'none';
  /** Deepening at the centre of the arcuate bundle (dB/year). */
  readonly arcuateRateDbPerYear: number;
  /** OLS slope of the noise-free sensitivity per location (dB/year), in pattern order. */
  readonly pointSlopesDbPerYear: readonly {
    readonly index: number;
    readonly x: number;
    readonly y: number;
    readonly slope: number;
  }[];
  /** Indices of locations with a noise-free slope below −1 dB/year. */
  readonly progressingLocations: readonly number[];
}

/** Ordinary least-squares slope of y on x. */
export function olsSlope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) {
    return 0;
  }
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Generates a series of visual field tests with known progression. */
export function generateVisualFieldSeriesValues(
  options: VfSeriesOptions,
  rng: Rng,
): { readonly tests: VfSeriesTest[]; readonly truth: VfSeriesTruth } {
  const pattern = options.pattern ?? '24-2';
  const visits = options.visits ?? 6;
  if (!Number.isInteger(visits) || visits < 1 || visits > 50) {
    throw new RangeError(`visits must be an integer in [1, 50], got ${visits}`);
  }
  const interval = options.intervalYears ?? 1;
  const slope = Math.min(0, options.mdSlopeDbPerYear ?? 0);
  const arcuate = options.arcuate ?? 'none';
  const fraction = arcuate === 'none' ? 0 : Math.min(1, Math.max(0, options.localisedFraction ?? 0.75));
  const locations = vfLocations(pattern, options.eye).filter((l) => !l.blindSpot);
  const weights =
    arcuate === 'none' ? [] : locations.map((l) => arcuateWeight(l.x, l.y, arcuate, options.eye));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  // Mean over locations of (rate × weight) must equal the localised share of the MD slope.
  const arcuateRate = weightSum > 0 ? (fraction * -slope * locations.length) / weightSum : 0;
  const diffuseRate = (1 - fraction) * -slope;
  const baselineDefect = arcuate === 'none' ? 0 : (options.baselineDefectDb ?? 4);
  const tests: VfSeriesTest[] = [];
  for (let visit = 0; visit < visits; visit++) {
    const years = visit * interval;
    const defects: ArcuateDefect[] =
      arcuate === 'none' ? [] : [{ hemifield: arcuate, depthDb: baselineDefect + arcuateRate * years }];
    const values = generateVisualFieldValues(
      {
        pattern,
        eye: options.eye,
        ageYears: options.startAgeYears + years,
        diffuseLossDb: diffuseRate * years,
        defects,
      },
      rng.fork('visit', visit),
    );
    tests.push({ ...values, visit: visit + 1, yearsFromBaseline: round3(years) });
  }
  const years = tests.map((t) => t.yearsFromBaseline);
  const pointSlopes = tests[0]!.points.map((point, k) => {
    // Noise-free total deviation (true − age normal), so ageing does not count as progression.
    const values = tests.map((t) => t.points[k]!.trueDb - t.points[k]!.normalDb);
    return { index: point.index, x: point.x, y: point.y, slope: round3(olsSlope(years, values)) };
  });
  return {
    tests,
    truth: {
      visits,
      intervalYears: interval,
      targetMdSlopeDbPerYear: slope,
      trueMdSlopeDbPerYear: round3(
        olsSlope(
          years,
          tests.map((t) => t.trueMeanDeviationDb),
        ),
      ),
      diffuseRateDbPerYear: round3(diffuseRate),
      arcuate,
      arcuateRateDbPerYear: round3(arcuateRate),
      pointSlopesDbPerYear: pointSlopes,
      progressingLocations: pointSlopes.filter((p) => p.slope < -1).map((p) => p.index),
    },
  };
}
