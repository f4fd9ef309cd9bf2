/**
 * Small statistics for the progression analyses: ordinary least squares of a value on time, the Student t
 * distribution for integer degrees of freedom (closed form, no numerical integration), and a seeded
 * pseudo-random generator for permutation sampling.
 * @see Abramowitz & Stegun, Handbook of Mathematical Functions (1964), 26.7.3–26.7.4 (t distribution)
 */

/** An OLS fit of y on x with the slope's standard error and one-sided (slope < 0) p-value. */
export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** Standard error of the slope (`sqrt(max(0, SSE / (n − 2)) / Sxx)`). */
  readonly slopeSe: number;
  /** Degrees of freedom (n − 2). */
  readonly df: number;
  /** One-sided p-value of slope < 0: `pt(slope / se, n − 2)` (0.5 for an invariant series). */
  readonly pLeft: number;
  /** Two-sided 95% confidence interval of the slope. */
  readonly ci95: readonly [number, number];
}

/** A series whose values vary less than this (SD) is "invariant": slope 0, p 0.5 (visualFields' rule). */
export const invariantSd = 1e-6;

/**
 * P(T ≤ t) for Student's t with `df` (a positive integer) degrees of freedom, from the closed-form series
 * in θ = atan(t / √df).
 * @see Abramowitz & Stegun 26.7.3 (odd df) and 26.7.4 (even df)
 */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) {
    throw new RangeError(`df must be a positive integer, got ${df}`);
  }
  if (Number.isNaN(t)) {
    return Number.NaN;
  }
  if (t === Number.POSITIVE_INFINITY) {
    return 1;
  }
  if (t === Number.NEGATIVE_INFINITY) {
    return 0;
  }
  const theta = Math.atan(t / Math.sqrt(df));
  const sin = Math.sin(theta);
  const cos2 = Math.cos(theta) ** 2;
  let a: number;
  if (df % 2 === 1) {
    let sum = 0;
    if (df > 1) {
      let term = 1;
      sum = 1;
      for (let k = 2; k <= df - 3; k += 2) {
        term *= (k / (k + 1)) * cos2;
        sum += term;
      }
    }
    a = (2 / Math.PI) * (theta + sin * Math.cos(theta) * sum);
  } else {
    let term = 1;
    let sum = 1;
    for (let k = 1; k <= df - 3; k += 2) {
      term *= (k / (k + 1)) * cos2;
      sum += term;
    }
    a = sin * sum;
  }
  return Math.min(1, Math.max(0, 0.5 + a / 2));
}

/** The t quantile: the `q` with `studentTCdf(q, df) = probability` (bisection to 1e-12). */
export function studentTQuantile(probability: number, df: number): number {
  if (!(probability > 0 && probability < 1)) {
    throw new RangeError(`probability must be in (0, 1), got ${probability}`);
  }
  if (probability < 0.5) {
    return -studentTQuantile(1 - probability, df);
  }
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < probability) {
    high *= 2;
  }
  for (let i = 0; i < 200 && high - low > 1e-12 * Math.max(1, high); i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < probability) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return (low + high) / 2;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * OLS of `ys` on `xs` as visualFields fits trends (`glr`/`plr`): an invariant series (SD ≤ 1e-6) gets slope 0,
 * intercept = first value, se 1e-6, p 0.5; otherwise the slope's p-value is the left tail `pt(slope / se, n − 2)`.
 * Needs n ≥ 3.
 */
export function fitLine(xs: readonly number[], ys: readonly number[]): LinearFit {
  const n = xs.length;
  if (n < 3 || ys.length !== n) {
    throw new RangeError(`a trend needs at least 3 paired values, got ${n} and ${ys.length}`);
  }
  const df = n - 2;
  const my = mean(ys);
  const sdY = Math.sqrt(ys.reduce((a, y) => a + (y - my) ** 2, 0) / (n - 1));
  if (sdY <= invariantSd) {
    return { slope: 0, intercept: ys[0]!, slopeSe: invariantSd, df, pLeft: 0.5, ci95: [0, 0] };
  }
  const mx = mean(xs);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    sse += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  }
  const slopeSe = Math.sqrt(Math.max(0, sse / df) / sxx);
  const tq = studentTQuantile(0.975, df);
  return {
    slope,
    intercept,
    slopeSe,
    df,
    pLeft: studentTCdf(slope / slopeSe, df),
    ci95: [slope - tq * slopeSe, slope + tq * slopeSe],
  };
}

/** Years between ISO dates (`YYYY-MM-DD`) as days / 365.25 (visualFields' convention). */
export function yearsBetween(from: string, to: string): number {
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
  return days / 365.25;
}

/** A seeded 32-bit generator (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** R's default (type 7) sample quantile of sorted values. */
export function quantileSorted(sorted: readonly number[], probability: number): number {
  const h = (sorted.length - 1) * probability;
  const low = Math.floor(h);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (h - low) * (sorted[high]! - sorted[low]!);
}
