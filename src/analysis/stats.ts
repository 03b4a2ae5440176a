/**
 * Statistics over episodes: the mean return and its confidence interval.
 *
 * Notebooks compare strategies (open-loop plan, MPC, closed-loop policy) by their mean return
 * over seeded episodes. Two means differ convincingly when their intervals do not overlap.
 *
 * The interval is Student's t: mean ± t_{(1+level)/2, n−1} · s / √n, with s the sample
 * standard deviation (divisor n − 1). It is exact for normal returns and, for the few hundred
 * episodes we use, practically the same as the normal interval; for small n it is the honest
 * (wider) one.
 */
import { check, fillOptions, type Rule } from "../checks";

/** A mean with its confidence interval, as plain data. */
export interface MeanCI {
  mean: number;
  /** Half the interval's width: the "±" part. */
  halfWidth: number;
  low: number;
  high: number;
  /** How many values were averaged. */
  n: number;
  /** Sample standard deviation (divisor n − 1). */
  std: number;
}

export interface MeanCIOptions {
  /** Confidence level of the interval, strictly between 0 and 1. @default 0.95 */
  level: number;
}

export const MEAN_CI_DEFAULTS: MeanCIOptions = { level: 0.95 };
const openUnit: Rule<number> = (v) => (v > 0 && v < 1 ? undefined : `must be in (0, 1), got ${v}`);

/**
 * Mean and Student-t confidence interval of a set of values (e.g. per-episode returns).
 * @param values (n) with n ≥ 2, all finite
 */
export function meanCI(values: ArrayLike<number>, options?: Partial<MeanCIOptions>): MeanCI {
  const { level } = fillOptions("meanCI", MEAN_CI_DEFAULTS, options, { level: openUnit });
  const n = values.length;
  check(n >= 2, "meanCI", `values must hold at least 2 numbers to estimate a spread, got ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    check(Number.isFinite(values[i]), "meanCI", `values must be finite, but entry ${i} is ${values[i]}`);
    sum += values[i];
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  const std = Math.sqrt(squares / (n - 1));
  const halfWidth = studentTQuantile((1 + level) / 2, n - 1) * (std / Math.sqrt(n));
  return { mean, halfWidth, low: mean - halfWidth, high: mean + halfWidth, n, std };
}

/** Whether two intervals share any point (touching counts as overlapping). */
export function overlaps(a: MeanCI, b: MeanCI): boolean {
  return a.low <= b.high && b.low <= a.high;
}

/** log Γ(x) for x > 0: Lanczos' series with g = 671/128 and 14 terms (Numerical Recipes, 3rd ed.), ~1e-15. */
const LANCZOS = [
  57.1562356658629235, -59.5979603554754912, 14.1360979747417471, -0.491913816097620199, 0.339946499848118887e-4,
  0.465236289270485756e-4, -0.983744753048795646e-4, 0.158088703224912494e-3, -0.210264441724104883e-3,
  0.217439618115212643e-3, -0.16431810653676389e-3, 0.844182239838527433e-4, -0.261908384015814087e-4,
  0.368991826595316234e-5,
];
function logGamma(x: number): number {
  const t = x + 5.2421875;
  let series = 0.999999999999997092;
  LANCZOS.forEach((c, j) => (series += c / (x + j + 1)));
  return (x + 0.5) * Math.log(t) - t + Math.log((2.5066282746310005 * series) / x);
}

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const num of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b) for x in [0, 1]. */
function incompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only on one side of the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / 2, 0.5, df / (df + t * t));
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The p-quantile of Student's t with df degrees of freedom, by bisection on the CDF
 * (to about 1e-10; speed is no concern at one call per interval).
 */
export function studentTQuantile(p: number, df: number): number {
  check(p > 0 && p < 1, "studentTQuantile", `p must be in (0, 1), got ${p}`);
  check(df > 0 && Number.isFinite(df), "studentTQuantile", `df must be a finite number > 0, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let high = 1;
  while (studentTCdf(high, df) < p) high *= 2;
  let low = 0;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/**
 * Least-squares slope of ys against xs: Σ(x − x̄)(y − ȳ) / Σ(x − x̄)². Fitted to logarithms it is
 * a growth rate per unit of x (ln‖∇J‖ per step of horizon, log σ_max per time step).
 * @param xs (n) with n ≥ 2 and not all equal
 * @param ys (n)
 */
export function leastSquaresSlope(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const where = "leastSquaresSlope";
  check(
    xs.length >= 2 && ys.length === xs.length,
    where,
    `xs and ys must have the same length ≥ 2, got ${xs.length} and ${ys.length}`,
  );
  const n = xs.length;
  let xMean = 0;
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    xMean += xs[i] / n;
    yMean += ys[i] / n;
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - xMean) * (ys[i] - yMean);
    den += (xs[i] - xMean) ** 2;
  }
  check(den > 0, where, "xs must not all be equal");
  return num / den;
}

/** A Monte Carlo interval checked against the exact value it estimates. */
export interface ExactComparison {
  exact: number;
  mean: number;
  low: number;
  high: number;
  /** low ≤ exact ≤ high; a 95% interval misses about one time in twenty. */
  inside: boolean;
}

/** Put an exact value beside a Monte Carlo interval and say whether the interval covers it. */
export function compareToExact(exact: number, ci: MeanCI): ExactComparison {
  check(Number.isFinite(exact), "compareToExact", `exact must be finite, got ${exact}`);
  return { exact, mean: ci.mean, low: ci.low, high: ci.high, inside: ci.low <= exact && exact <= ci.high };
}
