/**
 * Per-test indices against the age-adjusted normative model: total and pattern deviation, mean sensitivity,
 * MD, PSD, general height, a VFI-like index and the TD/PD probability maps at 5, 2, 1 and 0.5%, with the
 * conventions of the R package visualFields (`gettd`, `getgh`, `getpd`, `getgl`, `gettdp`, `getpdp`, `getvfi`).
 * @see https://cran.r-project.org/package=visualFields
 * @see Bengtsson & Heijl, Am J Ophthalmol 2008;145:343 (VFI)
 */
import { locations242, nonBlindSpot } from './locations.ts';
import {
  generalHeight,
  probabilityLevels,
  type NormativeModel,
  type ProbabilityLevel,
} from './normative-model.ts';
import { normativeModel } from './normative-values.ts';
import type { VfTest } from './series.ts';

/** The indices of one test. Per-location arrays are l1…l54 with `null` at the blind spot. */
export interface VfIndices {
  /** Mean normal sensitivity at the test's age (dB). */
  readonly normal: readonly number[];
  readonly td: readonly (number | null)[];
  readonly pd: readonly (number | null)[];
  /** Mean sensitivity over the 52 non-blind-spot locations (dB). */
  readonly ms: number;
  /** Mean deviation: mean TD weighted by 1 / SD of normal TD (dB). */
  readonly md: number;
  /** Unweighted mean TD (dB), as most perimeters' MTD and the synthetic generator's MD. */
  readonly mtd: number;
  /** Pattern standard deviation: weighted SD of PD with weights 1 / SD of normal PD, divisor Σw − 1 (dB). */
  readonly psd: number;
  /** General height: the 7th largest TD (dB). */
  readonly gh: number;
  /** VFI-like index (%). */
  readonly vfi: number;
  /** TD probability level per location (0.005, 0.01, 0.02, 0.05, or 1 = within normal limits). */
  readonly tdProbability: readonly (ProbabilityLevel | null)[];
  readonly pdProbability: readonly (ProbabilityLevel | null)[];
}

function level(value: number, percentiles: readonly number[]): ProbabilityLevel {
  for (let i = 0; i < probabilityLevels.length; i++) {
    if (value < percentiles[i]!) {
      return probabilityLevels[i]!;
    }
  }
  return 1;
}

function weightedMean(values: readonly number[], weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  return values.reduce((a, v, i) => a + v * weights[i]!, 0) / total;
}

function weightedSd(values: readonly number[], weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  const mean = weightedMean(values, weights);
  return Math.sqrt(values.reduce((a, v, i) => a + weights[i]! * (v - mean) ** 2, 0) / (total - 1));
}

/** Total deviation l1…l54 (null at the blind spot): sensitivity − (intercept + slope × age). */
export function totalDeviation(test: VfTest, model: NormativeModel = normativeModel): (number | null)[] {
  return model.locations.map((location, k) =>
    locations242[k]!.blindSpot
      ? null
      : test.sensitivities[k]! - (location.intercept + location.slope * test.age),
  );
}

/**
 * Computes every index of one 24-2 test.
 * @see https://cran.r-project.org/package=visualFields (getgl, getvfi)
 */
export function computeIndices(test: VfTest, model: NormativeModel = normativeModel): VfIndices {
  const normal = model.locations.map((l) => l.intercept + l.slope * test.age);
  const td = totalDeviation(test, model);
  const tdFull = td.map((v) => v ?? 0);
  const gh = generalHeight(tdFull, model.generalHeightRank);
  const pd = td.map((v) => (v === null ? null : v - gh));
  const tdValues = nonBlindSpot.map((k) => td[k]!);
  const pdValues = nonBlindSpot.map((k) => pd[k]!);
  const md = weightedMean(
    tdValues,
    nonBlindSpot.map((k) => 1 / model.locations[k]!.sdTd),
  );
  const psd = weightedSd(
    pdValues,
    nonBlindSpot.map((k) => 1 / model.locations[k]!.sdPd),
  );
  const tdProbability = td.map((v, k) => (v === null ? null : level(v, model.locations[k]!.tdPercentiles!)));
  const pdProbability = pd.map((v, k) => (v === null ? null : level(v, model.locations[k]!.pdPercentiles!)));
  const map = md < -20 ? tdProbability : pdProbability;
  const scores = nonBlindSpot.map((k) => {
    const sensitivity = test.sensitivities[k]!;
    if (sensitivity < 0) {
      return 0;
    }
    if (map[k] === 1) {
      return 100;
    }
    return Math.min(100, Math.max(0, 100 * (1 - Math.abs(td[k]!) / normal[k]!)));
  });
  const vfi = weightedMean(
    scores,
    nonBlindSpot.map((k) => 1 / (0.08 * (locations242[k]!.eccentricity + 0.8))),
  );
  return {
    normal,
    td,
    pd,
    ms: nonBlindSpot.reduce((a, k) => a + test.sensitivities[k]!, 0) / nonBlindSpot.length,
    md,
    mtd: tdValues.reduce((a, b) => a + b, 0) / tdValues.length,
    psd,
    gh,
    vfi,
    tdProbability,
    pdProbability,
  };
}
