/**
 * Independent reference computations for the vf-progression tests, written without the module's code: the
 * Student t CDF through the regularized incomplete beta function (Lentz continued fraction, Lanczos log-gamma),
 * least squares through the normal equations, and PoPLR by recursive enumeration of every order.
 */

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9).
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) {
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) {
    a += c[i]! / (z + i);
  }
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? tiny : d;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) {
      break;
    }
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) {
    return 0;
  }
  if (x >= 1) {
    return 1;
  }
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t), Student t with df degrees of freedom, via the incomplete beta function. */
export function referenceTCdf(t: number, df: number): number {
  if (t === Number.POSITIVE_INFINITY) {
    return 1;
  }
  if (t === Number.NEGATIVE_INFINITY) {
    return 0;
  }
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Least squares of y = a + b x through the normal equations, with the slope's SE and left-tail p. */
export function referenceFit(
  xs: readonly number[],
  ys: readonly number[],
): {
  slope: number;
  intercept: number;
  se: number;
  p: number;
} {
  const n = xs.length;
  const sx = xs.reduce((a, b) => a + b, 0);
  const sxx = xs.reduce((a, b) => a + b * b, 0);
  const sy = ys.reduce((a, b) => a + b, 0);
  const sxy = xs.reduce((a, x, i) => a + x * ys[i]!, 0);
  const det = n * sxx - sx * sx;
  const intercept = (sxx * sy - sx * sxy) / det;
  const slope = (n * sxy - sx * sy) / det;
  const sse = ys.reduce((a, y, i) => a + (y - intercept - slope * xs[i]!) ** 2, 0);
  const se = Math.sqrt(((sse / (n - 2)) * n) / det);
  return { slope, intercept, se, p: referenceTCdf(slope / se, n - 2) };
}

function sampleSd(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
}

/** Every order of 0…n−1 by recursive insertion (a different enumeration from the module's). */
function enumerate(n: number): number[][] {
  if (n === 0) {
    return [[]];
  }
  return enumerate(n - 1).flatMap((order) =>
    Array.from({ length: n }, (_, position) => [
      ...order.slice(0, position),
      n - 1,
      ...order.slice(position),
    ]),
  );
}

/** S = −Σ ln p (left tail, clamped to [1e-6, 1 − 1e-6]; invariant locations p = 0.5) of values against years. */
function referenceS(years: readonly number[], values: readonly (readonly number[])[]): number {
  let s = 0;
  for (let k = 0; k < values[0]!.length; k++) {
    const ys = values.map((row) => row[k]!);
    const p = sampleSd(ys) <= 1e-6 ? 0.5 : referenceFit(years, ys).p;
    s -= Math.log(Math.min(1 - 1e-6, Math.max(1e-6, p)));
  }
  return s;
}

/**
 * PoPLR by brute force over all n! orders of the tests against fixed years: p = 1 − rank(S_obs) / n! with
 * average ranks for ties (R's `rank`), i.e. (#greater + (#equal − 1) / 2) / n!; equality to 1e-12 relative.
 */
export function referencePoplr(
  years: readonly number[],
  values: readonly (readonly number[])[],
): { s: number; p: number; orders: number } {
  const observed = referenceS(years, values);
  let greater = 0;
  let equal = 0;
  const orders = enumerate(years.length);
  for (const order of orders) {
    const s = referenceS(
      years,
      order.map((i) => values[i]!),
    );
    if (Math.abs(s - observed) <= 1e-12 * Math.abs(observed)) {
      equal++;
    } else if (s > observed) {
      greater++;
    }
  }
  return { s: observed, p: (greater + (equal - 1) / 2) / orders.length, orders: orders.length };
}
