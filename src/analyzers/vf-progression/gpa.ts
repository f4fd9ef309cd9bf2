/**
 * GPA-style event analysis (after the Humphrey Guided Progression Analysis): the pattern deviation of each
 * follow-up test is compared with the mean of the first two tests; a location is flagged when its decline is
 * beyond the one-sided 5% limit of test–retest variability, here the Henson et al. (2000) model
 * SD = min(6, exp(3.27 − 0.081 × S)) at the baseline mean sensitivity S, for a difference of one test and a
 * mean of two: 1.645 × SD × √1.5. Possible progression: the same ≥ 3 locations flagged on 2 consecutive
 * follow-ups; likely progression: on 3 consecutive follow-ups.
 * @see Heijl A et al. (EMGT), Humphrey Field Analyzer GPA; standards-reference §E.1
 * @see Henson DB, Chaudry S, Artes PH, et al. Invest Ophthalmol Vis Sci 2000;41:417–421
 */
import { nonBlindSpot } from './locations.ts';

/** The event status after a test. */
export type GpaStatus = 'none' | 'possible' | 'likely';

/** Event analysis of one series. */
export interface GpaResult {
  /** Per test (baselines included, `none` there): the 0-based locations flagged as significantly worse. */
  readonly flagged: readonly (readonly number[])[];
  /** Per test: the event status at that test. */
  readonly status: readonly GpaStatus[];
  /** The status at the last test. */
  readonly last: GpaStatus;
  /** 0-based index of the first test at which possible (or likely) progression was reached. */
  readonly firstPossible?: number;
  readonly firstLikely?: number;
}

/** One-sided 5% normal quantile. */
const z95 = 1.6448536269514722;

/** Test–retest SD (dB) of a sensitivity (Henson et al. 2000), capped at 6 dB. */
export function hensonRetestSd(sensitivityDb: number): number {
  return Math.min(6, Math.exp(3.27 - 0.081 * sensitivityDb));
}

/**
 * Runs the event analysis on per-test pattern deviations (`pd[i][k]`, l1…l54, null at the blind spot) and
 * sensitivities (`sensitivities[i][k]`), tests oldest first. Fewer than 3 tests give no follow-up.
 */
export function gpaEvents(
  pd: readonly (readonly (number | null)[])[],
  sensitivities: readonly (readonly number[])[],
): GpaResult {
  const n = pd.length;
  const flagged: number[][] = [];
  const status: GpaStatus[] = [];
  for (let i = 0; i < n; i++) {
    if (i < 2) {
      flagged.push([]);
      status.push('none');
      continue;
    }
    const worse = nonBlindSpot.filter((k) => {
      const baselinePd = (pd[0]![k]! + pd[1]![k]!) / 2;
      const baselineS = (sensitivities[0]![k]! + sensitivities[1]![k]!) / 2;
      const limit = -z95 * hensonRetestSd(baselineS) * Math.sqrt(1.5);
      return pd[i]![k]! - baselinePd < limit;
    });
    flagged.push(worse);
    const inTwo = i >= 3 ? worse.filter((k) => flagged[i - 1]!.includes(k)) : [];
    const inThree = i >= 4 ? inTwo.filter((k) => flagged[i - 2]!.includes(k)) : [];
    status.push(inThree.length >= 3 ? 'likely' : inTwo.length >= 3 ? 'possible' : 'none');
  }
  const firstPossible = status.findIndex((s) => s !== 'none');
  const firstLikely = status.indexOf('likely');
  return {
    flagged,
    status,
    last: status.at(-1) ?? 'none',
    ...(firstPossible >= 0 ? { firstPossible } : {}),
    ...(firstLikely >= 0 ? { firstLikely } : {}),
  };
}
