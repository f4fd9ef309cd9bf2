/**
 * The age-adjusted normative model and how it is fitted: per 24-2 location, ordinary least squares of
 * sensitivity on (integer) age over the healthy tests, the SD of the resulting total deviations, the general
 * height (7th largest TD) and pattern deviation of each healthy test, the SD of those, and the empirical
 * lower-tail percentiles (R type 7) of TD and PD used for the probability maps — the construction of the R
 * package visualFields (`nvgenerate`, pointwise age model).
 * @see https://cran.r-project.org/package=visualFields
 */
import { locationCount, nonBlindSpot } from './locations.ts';
import type { VfTest } from './series.ts';
import { quantileSorted } from './statistics.ts';

/** The probability levels of the maps (lower tail), in increasing order. */
export const probabilityLevels = [0.005, 0.01, 0.02, 0.05] as const;

/** A probability level of a map; 1 means "within normal limits" (not below the 5% percentile). */
export type ProbabilityLevel = (typeof probabilityLevels)[number] | 1;

/** The normative values of one location. */
export interface NormativeLocation {
  /** Mean normal sensitivity = intercept + slope × age (dB). */
  readonly intercept: number;
  /** dB per year of age. */
  readonly slope: number;
  /** SD of the healthy tests' total deviations (residuals; divisor n − 1 as R's `sd`). */
  readonly sdTd: number;
  /** SD of the healthy tests' pattern deviations. */
  readonly sdPd: number;
  /** TD values at the percentiles of {@link probabilityLevels} (null at the blind spot). */
  readonly tdPercentiles: readonly number[] | null;
  /** PD values at the percentiles of {@link probabilityLevels} (null at the blind spot). */
  readonly pdPercentiles: readonly number[] | null;
}

/** A fitted normative model. */
export interface NormativeModel {
  /** Where it was derived from (file name and SHA-256 of its bytes). */
  readonly source: {
    readonly file: string;
    readonly sha256: string;
    readonly tests: number;
    readonly eyes: number;
  };
  /** Rank of the TD that gives the general height (7: the 85th percentile of 52 locations). */
  readonly generalHeightRank: number;
  /** l1…l54. */
  readonly locations: readonly NormativeLocation[];
}

/** The general height: the `rank`-th largest TD outside the blind spot. */
export function generalHeight(td: readonly number[], rank = 7): number {
  const sorted = nonBlindSpot.map((k) => td[k]!).sort((a, b) => b - a);
  return sorted[rank - 1]!;
}

function sampleSd(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
}

/**
 * Fits the model on healthy tests (`source` describes them). Every test needs 54 sensitivities.
 * @see https://cran.r-project.org/package=visualFields (nvgenerate)
 */
export function fitNormativeModel(
  tests: readonly VfTest[],
  source: { readonly file: string; readonly sha256: string; readonly eyes: number },
): NormativeModel {
  const ages = tests.map((t) => t.age);
  const meanAge = ages.reduce((a, b) => a + b, 0) / ages.length;
  const sxx = ages.reduce((a, x) => a + (x - meanAge) ** 2, 0);
  const fits = Array.from({ length: locationCount }, (_, k) => {
    const ys = tests.map((t) => t.sensitivities[k]!);
    const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sxy = ages.reduce((a, x, i) => a + (x - meanAge) * (ys[i]! - meanY), 0);
    const slope = sxy / sxx;
    return { intercept: meanY - slope * meanAge, slope };
  });
  const tds = tests.map((t) =>
    fits.map((fit, k) => t.sensitivities[k]! - (fit.intercept + fit.slope * t.age)),
  );
  const pds = tds.map((td) => {
    const gh = generalHeight(td);
    return td.map((value) => value - gh);
  });
  const blind = new Set(
    Array.from({ length: locationCount }, (_, k) => k).filter((k) => !nonBlindSpot.includes(k)),
  );
  const percentiles = (values: number[]): number[] => {
    const sorted = values.sort((a, b) => a - b);
    return probabilityLevels.map((p) => quantileSorted(sorted, p));
  };
  return {
    source: { ...source, tests: tests.length },
    generalHeightRank: 7,
    locations: fits.map((fit, k) => ({
      ...fit,
      sdTd: sampleSd(tds.map((td) => td[k]!)),
      sdPd: sampleSd(pds.map((pd) => pd[k]!)),
      tdPercentiles: blind.has(k) ? null : percentiles(tds.map((td) => td[k]!)),
      pdPercentiles: blind.has(k) ? null : percentiles(pds.map((pd) => pd[k]!)),
    })),
  };
}
