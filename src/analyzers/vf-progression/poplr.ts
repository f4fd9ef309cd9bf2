/**
 * PoPLR — permutation of pointwise linear regression (O'Leary, Chauhan & Artes 2012): per location the OLS
 * slope of the values on time with its one-sided p-value, combined as S = −Σ ln p (Fisher), and the p-value
 * of S from the same statistic over re-orderings of the tests (a patient-specific null distribution). The
 * conventions are those of `poplr` in the R package visualFields 1.0.7.
 * @see O'Leary N, Chauhan BC, Artes PH. Visual field progression in glaucoma: estimating the overall
 *   significance of deterioration with permutation analyses of pointwise linear regression (PoPLR).
 *   Invest Ophthalmol Vis Sci 2012;53(11):6776–6784.
 * @see https://cran.r-project.org/package=visualFields (R/linreg.R: poplr)
 */
import { invariantSd, seededRandom, studentTCdf } from './statistics.ts';

/** Options of {@link poplr}. */
export interface PoplrOptions {
  /** The number of orders to use (the observed one included); default 5040 = 7!. */
  readonly permutations?: number;
  /** Seed of the order sampling (used only when n! > permutations); default 1. */
  readonly seed?: number;
  /** Pointwise p-values are clamped to [clamp, 1 − clamp]; default 1e-6 (visualFields' `trunc`). */
  readonly clamp?: number;
  /** Checked between blocks of orders; the run throws the abort reason. */
  readonly signal?: AbortSignal;
}

/** PoPLR of one series. */
export interface PoplrResult {
  /** S for deterioration: −Σ ln p over the locations, p the left-tail (slope < 0) p-values. */
  readonly s: number;
  /** Permutation p-value of `s`: (#orders with greater S + (#equal − 1) / 2) / #orders; minimum 0. */
  readonly p: number;
  /** S for improvement (right-tail p-values). */
  readonly sImprovement: number;
  readonly pImprovement: number;
  /** Number of orders used, the observed one included. */
  readonly permutations: number;
  /** Whether every order of the tests was enumerated (n! ≤ the permutation count). */
  readonly exact: boolean;
  /** Observed pointwise left-tail p-values (clamped), per location in the given order. */
  readonly pointwiseP: readonly number[];
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) {
    f *= i;
  }
  return f;
}

/** All orders of 0…n−1, the identity first (lexicographic). */
export function allOrders(n: number): number[][] {
  const orders: number[][] = [];
  const current = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    orders.push([...current]);
    let i = n - 2;
    while (i >= 0 && current[i]! > current[i + 1]!) {
      i--;
    }
    if (i < 0) {
      return orders;
    }
    let j = n - 1;
    while (current[j]! < current[i]!) {
      j--;
    }
    [current[i], current[j]] = [current[j]!, current[i]!];
    for (let a = i + 1, b = n - 1; a < b; a++, b--) {
      [current[a], current[b]] = [current[b]!, current[a]!];
    }
  }
}

/** `count` distinct orders of 0…n−1: the identity, then uniformly drawn ones (Fisher–Yates), duplicates redrawn. */
export function sampledOrders(n: number, count: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const identity = Array.from({ length: n }, (_, i) => i);
  const orders = [identity];
  const seen = new Set([identity.join(',')]);
  while (orders.length < count) {
    const order = [...identity];
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const key = order.join(',');
    if (!seen.has(key)) {
      seen.add(key);
      orders.push(order);
    }
  }
  return orders;
}

/** The permutation p-value of `observed` among `all` (which contains it), with average ranks for ties. */
export function permutationP(observed: number, all: ArrayLike<number>): number {
  let greater = 0;
  let equal = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i]! > observed) {
      greater++;
    } else if (all[i] === observed) {
      equal++;
    }
  }
  return (greater + (equal - 1) / 2) / all.length;
}

/**
 * PoPLR of a series: `years[i]` is the time of test i (years from the first), `values[i]` its values at the
 * locations to combine (the caller leaves the blind spot out). Needs at least 3 tests.
 */
export function poplr(
  years: readonly number[],
  values: readonly (readonly number[])[],
  options: PoplrOptions = {},
): PoplrResult {
  const n = years.length;
  if (n < 3 || values.length !== n) {
    throw new RangeError(`PoPLR needs at least 3 tests with values, got ${n} and ${values.length}`);
  }
  const requested = options.permutations ?? 5040;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new RangeError(`permutations must be a positive integer, got ${requested}`);
  }
  const clamp = options.clamp ?? 1e-6;
  const locations = values[0]!.length;
  const df = n - 2;
  const exact = factorial(n) <= requested;
  const orders = exact ? allOrders(n) : sampledOrders(n, requested, options.seed ?? 1);
  const meanYears = years.reduce((a, b) => a + b, 0) / n;
  const centredYears = years.map((x) => x - meanYears);
  const sxx = centredYears.reduce((a, x) => a + x * x, 0);
  // Per location: centred values and their sum of squares; the SD decides invariance for every order.
  const centred: Float64Array[] = [];
  const syy = new Float64Array(locations);
  const invariant = new Uint8Array(locations);
  for (let k = 0; k < locations; k++) {
    const column = new Float64Array(n);
    let mean = 0;
    for (let i = 0; i < n; i++) {
      mean += values[i]![k]!;
    }
    mean /= n;
    for (let i = 0; i < n; i++) {
      column[i] = values[i]![k]! - mean;
      syy[k]! += column[i]! ** 2;
    }
    centred.push(column);
    invariant[k] = Math.sqrt(syy[k]! / (n - 1)) <= invariantSd ? 1 : 0;
  }
  const sLeft = new Float64Array(orders.length);
  const sRight = new Float64Array(orders.length);
  let observedP: number[] = [];
  for (let o = 0; o < orders.length; o++) {
    if (options.signal?.aborted === true && o % 256 === 0) {
      throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    }
    const order = orders[o]!;
    let left = 0;
    let right = 0;
    const pointwise: number[] = o === 0 ? [] : observedP;
    for (let k = 0; k < locations; k++) {
      let p = 0.5;
      if (invariant[k] === 0) {
        const column = centred[k]!;
        let sxy = 0;
        for (let i = 0; i < n; i++) {
          sxy += centredYears[i]! * column[order[i]!]!;
        }
        const slope = sxy / sxx;
        const se = Math.sqrt(Math.max(0, (syy[k]! - slope * sxy) / df) / sxx);
        p = studentTCdf(slope / se, df);
      }
      const pl = Math.min(1 - clamp, Math.max(clamp, p));
      const pr = Math.min(1 - clamp, Math.max(clamp, 1 - p));
      left -= Math.log(pl);
      right -= Math.log(pr);
      if (o === 0) {
        pointwise.push(pl);
      }
    }
    if (o === 0) {
      observedP = pointwise;
    }
    sLeft[o] = left;
    sRight[o] = right;
  }
  return {
    s: sLeft[0]!,
    p: permutationP(sLeft[0]!, sLeft),
    sImprovement: sRight[0]!,
    pImprovement: permutationP(sRight[0]!, sRight),
    permutations: orders.length,
    exact,
    pointwiseP: observedP,
  };
}
