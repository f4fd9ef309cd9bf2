/**
 * Progression of one eye's 24-2 series: per-test indices, MD and VFI trends (OLS on years), pointwise linear
 * regression, PoPLR, GPA-style events, and a verdict (stable / possible / likely progression, fast progressor).
 * Years are (date − first date) in days / 365.25, as in the R package visualFields.
 * @see standards-reference §E (GPA, trend, PoPLR)
 * @see https://cran.r-project.org/package=visualFields (R/linreg.R: glr, plr, poplr)
 */
import { gpaEvents, type GpaResult } from './gpa.ts';
import { computeIndices, type VfIndices } from './indices.ts';
import { locationCount, nonBlindSpot } from './locations.ts';
import type { NormativeModel } from './normative-model.ts';
import { normativeModel } from './normative-values.ts';
import { poplr, type PoplrResult } from './poplr.ts';
import { isComplete242, sortTests, type VfSeries } from './series.ts';
import { fitLine, yearsBetween, type LinearFit } from './statistics.ts';

/** The verdict of a series. */
export type VfVerdict = 'insufficient-data' | 'stable' | 'possible-progression' | 'likely-progression';

/** Options of {@link analyzeVfSeries}. */
export interface VfProgressionOptions {
  readonly model?: NormativeModel;
  /** PoPLR order count (default 5040 = 7!: exact for ≤ 7 tests). */
  readonly permutations?: number;
  /** PoPLR sampling seed (default 1). */
  readonly seed?: number;
  /** What PoPLR regresses: total deviation (default) or raw sensitivity (visualFields' `poplr(vf)`). */
  readonly poplrValues?: 'td' | 'sensitivity';
  readonly signal?: AbortSignal;
}

/** One test's summary. */
export interface VfTestSummary {
  readonly date: string;
  readonly years: number;
  readonly age: number;
  readonly sopInstanceUid?: string;
  readonly indices: VfIndices;
}

/** The progression analysis of one series. */
export interface VfProgression {
  readonly id: string;
  readonly eye: 'R' | 'L';
  readonly tests: readonly VfTestSummary[];
  /** Follow-up span (years). */
  readonly spanYears: number;
  /** MD on years (dB/yr); undefined with fewer than 3 tests. */
  readonly mdTrend?: LinearFit;
  readonly vfiTrend?: LinearFit;
  /** Pointwise linear regression of sensitivity on years, l1…l54 (null at the blind spot). */
  readonly pointwise?: readonly (LinearFit | null)[];
  readonly poplr?: PoplrResult;
  readonly gpa: GpaResult;
  /** ≥ 5 tests over ≥ 2 years: enough for a trend to be read clinically (the HFA VFI rule). */
  readonly trendEligible: boolean;
  readonly verdict: VfVerdict;
  /** MD slope ≤ −1 dB/yr on a trend-eligible series. */
  readonly fastProgressor: boolean;
  /** Why the verdict is what it is, in words. */
  readonly reasons: readonly string[];
}

/**
 * Thresholds of the verdict. PoPLR is the primary test (its false-positive rate is controlled by the
 * permutation null); the MD trend (on a trend-eligible series) and GPA-style events corroborate:
 * likely = PoPLR p < 0.01 with an event (possible or likely) or a significant MD decline, or a likely event with
 * PoPLR p < 0.05; possible = PoPLR p < 0.05, or a likely event, or a possible event with a significant MD decline;
 * otherwise stable. A possible event alone does not change the verdict (on stable synthetic series it occurs at
 * the last test in about 10%; see README).
 */
export const verdictRules = {
  poplrLikely: 0.01,
  poplrPossible: 0.05,
  mdTrendPossible: 0.05,
  fastMdSlope: -1,
  trendMinTests: 5,
  trendMinYears: 2,
} as const;

/**
 * Analyses one eye's series (tests are sorted by date and time; incomplete tests are left out).
 * @see https://cran.r-project.org/package=visualFields
 */
export function analyzeVfSeries(series: VfSeries, options: VfProgressionOptions = {}): VfProgression {
  const model = options.model ?? normativeModel;
  const tests = sortTests(series.tests).filter(isComplete242);
  const first = tests[0]?.date ?? '1970-01-01';
  const summaries: VfTestSummary[] = tests.map((test) => ({
    date: test.date,
    years: yearsBetween(first, test.date),
    age: test.age,
    ...(test.sopInstanceUid === undefined ? {} : { sopInstanceUid: test.sopInstanceUid }),
    indices: computeIndices(test, model),
  }));
  const years = summaries.map((s) => s.years);
  const spanYears = years.at(-1) ?? 0;
  const gpa = gpaEvents(
    summaries.map((s) => s.indices.pd),
    tests.map((t) => t.sensitivities),
  );
  const trendEligible = tests.length >= verdictRules.trendMinTests && spanYears >= verdictRules.trendMinYears;
  const base = { id: series.id, eye: series.eye, tests: summaries, spanYears, gpa, trendEligible };
  if (tests.length < 3 || spanYears <= 0) {
    return {
      ...base,
      verdict: 'insufficient-data',
      fastProgressor: false,
      reasons: [
        `${tests.length} complete 24-2 test(s) over ${spanYears.toFixed(2)} years: a trend needs ≥ 3 dates`,
      ],
    };
  }
  const mdTrend = fitLine(
    years,
    summaries.map((s) => s.indices.md),
  );
  const vfiTrend = fitLine(
    years,
    summaries.map((s) => s.indices.vfi),
  );
  const pointwise = Array.from({ length: locationCount }, (_, k) =>
    nonBlindSpot.includes(k)
      ? fitLine(
          years,
          tests.map((t) => t.sensitivities[k]!),
        )
      : null,
  );
  const values =
    options.poplrValues === 'sensitivity'
      ? tests.map((t) => nonBlindSpot.map((k) => t.sensitivities[k]!))
      : summaries.map((s) => nonBlindSpot.map((k) => s.indices.td[k]!));
  const poplrResult = poplr(years, values, {
    ...(options.permutations === undefined ? {} : { permutations: options.permutations }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const reasons: string[] = [];
  const poplrP = poplrResult.p;
  const mdDecline = trendEligible && mdTrend.slope < 0 && mdTrend.pLeft < verdictRules.mdTrendPossible;
  const event = gpa.last;
  let verdict: VfVerdict = 'stable';
  if (
    (poplrP < verdictRules.poplrLikely && (event !== 'none' || mdDecline)) ||
    (event === 'likely' && poplrP < verdictRules.poplrPossible)
  ) {
    verdict = 'likely-progression';
  } else if (
    poplrP < verdictRules.poplrPossible ||
    event === 'likely' ||
    (event === 'possible' && mdDecline)
  ) {
    verdict = 'possible-progression';
  }
  reasons.push(`PoPLR S = ${poplrResult.s.toFixed(2)}, p = ${poplrP.toFixed(4)}`);
  reasons.push(`GPA-style event at the last test: ${event}`);
  reasons.push(
    trendEligible
      ? `MD trend ${mdTrend.slope.toFixed(2)} dB/yr, p = ${mdTrend.pLeft.toFixed(4)}${mdDecline ? ' (significant decline)' : ''}`
      : `MD trend not used (${tests.length} tests over ${spanYears.toFixed(2)} years; needs ≥ ${verdictRules.trendMinTests} over ≥ ${verdictRules.trendMinYears})`,
  );
  const fastProgressor = trendEligible && mdTrend.slope <= verdictRules.fastMdSlope;
  if (fastProgressor) {
    reasons.push(`fast progressor: MD ${mdTrend.slope.toFixed(2)} dB/yr ≤ ${verdictRules.fastMdSlope}`);
  }
  return {
    ...base,
    mdTrend,
    vfiTrend,
    pointwise,
    poplr: poplrResult,
    verdict,
    fastProgressor,
    reasons,
  };
}
