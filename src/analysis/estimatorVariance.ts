/**
 * Comparing gradient estimators by their variance (lecture step 04): the total variance
 * tr Cov[ĝ] of independent estimates, where two variance curves cross, and a bootstrap
 * interval for that crossing, resampling the estimates.
 */
import { check, fillOptions, positiveInt } from "../checks";
import type { Rng } from "../random";

/**
 * Total variance tr Cov[ĝ] = Σ_i Var[ĝ_i] of K independent estimates (divisor K − 1).
 * @param estimates (K, P) with K ≥ 2
 */
export function totalVariance(estimates: number[][]): number {
  const where = "totalVariance";
  check(
    Array.isArray(estimates) && estimates.length >= 2,
    where,
    `estimates must hold at least 2 rows, got ${estimates?.length}`,
  );
  const P = estimates[0].length;
  check(
    estimates.every((e) => e.length === P),
    where,
    `every estimate must have ${P} entries`,
  );
  let total = 0;
  for (let i = 0; i < P; i++) {
    const mean = estimates.reduce((a, e) => a + e[i], 0) / estimates.length;
    total += estimates.reduce((a, e) => a + (e[i] - mean) ** 2, 0) / (estimates.length - 1);
  }
  return total;
}

/**
 * The first x at which curve b drops below curve a, interpolating log(a/b) linearly in x
 * between the measured points (variances grow roughly geometrically, so the log is close to
 * linear). `undefined` when b never drops below a; `xs[0]` when it starts below.
 * @param xs (n) increasing
 * @param a (n) positive values
 * @param b (n) positive values
 */
export function crossingPoint(xs: number[], a: number[], b: number[]): number | undefined {
  const where = "crossingPoint";
  check(
    xs.length >= 1 && a.length === xs.length && b.length === xs.length,
    where,
    "xs, a and b must have the same, non-zero length",
  );
  check(
    [...a, ...b].every((v) => v > 0),
    where,
    "a and b must hold positive values",
  );
  const gap = xs.map((_, i) => Math.log(a[i] / b[i])); // > 0 once b is below a
  if (gap[0] > 0) return xs[0];
  for (let i = 1; i < xs.length; i++) {
    if (gap[i] > 0) return xs[i - 1] + ((xs[i] - xs[i - 1]) * -gap[i - 1]) / (gap[i] - gap[i - 1]);
  }
  return undefined;
}

/** Options of `bootstrapCrossing`. */
export interface BootstrapCrossingOptions {
  /** Bootstrap resamples. @default 1000 */
  resamples: number;
  /** Confidence level of the percentile interval. @default 0.95 */
  level: number;
}

export const BOOTSTRAP_CROSSING_DEFAULTS: Readonly<BootstrapCrossingOptions> = { resamples: 1000, level: 0.95 };

/** The crossing and its percentile bootstrap interval. */
export interface CrossingCI {
  /** The crossing of the measured variances (undefined if they do not cross). */
  crossing: number | undefined;
  low: number;
  high: number;
  /** Share of the resamples in which the curves crossed within the xs. */
  crossedShare: number;
}

/**
 * Where the total variance of estimator b drops below that of estimator a, with a bootstrap
 * interval: each resample redraws the K estimates of every x and every estimator with
 * replacement. Resamples without a crossing are left out of the interval (`crossedShare`
 * says how many crossed).
 * @param xs (n) increasing, e.g. horizons
 * @param a (n, K, P): estimator a's K estimates at each x
 * @param b (n, K, P)
 */
export function bootstrapCrossing(
  xs: number[],
  a: number[][][],
  b: number[][][],
  rng: Rng,
  options?: Partial<BootstrapCrossingOptions>,
): CrossingCI {
  const where = "bootstrapCrossing";
  const o = fillOptions(where, { ...BOOTSTRAP_CROSSING_DEFAULTS }, options, {
    resamples: positiveInt,
    level: (v) => (v > 0 && v < 1 ? undefined : `must be in (0, 1), got ${v}`),
  });
  check(
    a.length === xs.length && b.length === xs.length,
    where,
    `a and b must hold one set of estimates per x (${xs.length})`,
  );
  const variances = (sets: number[][][]) => sets.map(totalVariance);
  const crossing = crossingPoint(xs, variances(a), variances(b));
  const resample = (set: number[][]) => set.map(() => set[rng.int(set.length)]);
  const found: number[] = [];
  for (let r = 0; r < o.resamples; r++) {
    const x = crossingPoint(xs, variances(a.map(resample)), variances(b.map(resample)));
    if (x !== undefined) found.push(x);
  }
  check(found.length > 0, where, "the variance curves crossed in none of the resamples");
  found.sort((p, q) => p - q);
  const at = (p: number) => found[Math.min(found.length - 1, Math.max(0, Math.round(p * (found.length - 1))))];
  return {
    crossing,
    low: at((1 - o.level) / 2),
    high: at((1 + o.level) / 2),
    crossedShare: found.length / o.resamples,
  };
}
