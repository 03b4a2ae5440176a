/**
 * One-dimensional slices of an objective's landscape, J(θ₀ + α·d) for a grid of α, and a
 * number for how rough a slice is (lecture step 02: the policy objective gets rougher as the
 * horizon grows).
 */
import * as tf from "@tensorflow/tfjs";
import { assertFinite, assertShape, check, fillOptions, positiveInt } from "../checks";
import type { Rng } from "../random";

/** Options of `landscapeSlice`. */
export interface LandscapeOptions {
  /**
   * Step lengths α along the direction, in order.
   * @default 41 evenly spaced values from −1 to 1
   */
  alphas: number[];
}

/** A slice: values[i] = J(θ₀ + alphas[i]·d). Values may be non-finite past a cliff. */
export interface LandscapeSlice {
  alphas: number[];
  values: number[];
}

/** n evenly spaced numbers from lo to hi inclusive. */
export function linspace(lo: number, hi: number, n: number): number[] {
  check(positiveInt(n) === undefined && n >= 2, "linspace", `n must be an integer >= 2, got ${n}`);
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

export const LANDSCAPE_DEFAULTS: LandscapeOptions = { alphas: linspace(-1, 1, 41) };

/**
 * A direction drawn uniformly on the unit sphere (a normalised standard normal vector).
 * @param size the number of parameters n
 * @returns d (n), ‖d‖ = 1
 */
export function randomUnitDirection(rng: Rng, size: number): tf.Tensor1D {
  check(positiveInt(size) === undefined, "randomUnitDirection", `size must be a positive integer, got ${size}`);
  const d = rng.normalArray(size);
  const norm = Math.sqrt(d.reduce((sum, v) => sum + v * v, 0));
  return tf.tensor1d(d.map((v) => v / norm));
}

/**
 * J along a line: J(θ₀ + α·d) for every α in `options.alphas`, read back in one transfer.
 * @param objective J as a function of a flat parameter vector (n) → scalar
 * @param theta0 θ₀ (n)
 * @param direction d (n)
 */
export function landscapeSlice(
  objective: (theta: tf.Tensor1D) => tf.Scalar,
  theta0: tf.Tensor1D,
  direction: tf.Tensor1D,
  options?: Partial<LandscapeOptions>,
): LandscapeSlice {
  const where = "landscapeSlice";
  const o = fillOptions(where, LANDSCAPE_DEFAULTS, options, {
    alphas: (v) => (Array.isArray(v) && v.length > 0 ? undefined : `must be a non-empty array, got ${v}`),
  });
  assertFinite(where, "options.alphas", o.alphas);
  const [n] = assertShape(where, "theta0", theta0, [null]);
  assertShape(where, "direction", direction, [n]);
  const values = tf.tidy(() => {
    const js = o.alphas.map((alpha) => objective(theta0.add(direction.mul(alpha))));
    js.forEach((j, i) =>
      check(j.size === 1, where, `objective must return a scalar, got shape [${j.shape}] at alpha ${o.alphas[i]}`),
    );
    return Array.from(tf.stack(js).dataSync());
  });
  return { alphas: [...o.alphas], values };
}

/**
 * All variables' values as one flat vector θ, in the order given (each row-major).
 * @returns θ (n), n = total size
 */
export function flattenVariables(variables: tf.Variable[]): tf.Tensor1D {
  check(Array.isArray(variables) && variables.length > 0, "flattenVariables", "variables must be a non-empty array");
  return tf.tidy(() => tf.concat(variables.map((v) => v.reshape([-1]))) as tf.Tensor1D);
}

/**
 * Turn an objective that reads variables (e.g. a policy's return) into a function of a flat
 * parameter vector, laid out as in `flattenVariables`. Each call sets the variables to θ,
 * evaluates, and restores them, so the variables are unchanged afterwards. Setting variables
 * is not differentiable: use it for slices and finite differences, not inside `tf.grad`.
 * @returns (θ (n)) → J, a scalar
 */
export function parameterObjective(
  variables: tf.Variable[],
  objective: () => tf.Scalar,
): (theta: tf.Tensor1D) => tf.Scalar {
  const where = "parameterObjective";
  check(Array.isArray(variables) && variables.length > 0, where, "variables must be a non-empty array");
  const sizes = variables.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const assignAll = (values: tf.Tensor[]) => variables.forEach((v, i) => v.assign(values[i].reshape(v.shape)));
  return (theta) => {
    assertShape(where, "theta", theta, [total]);
    const saved = variables.map((v) => v.clone());
    try {
      tf.tidy(() => assignAll(tf.split(theta, sizes)));
      return objective();
    } finally {
      tf.tidy(() => assignAll(saved));
      tf.dispose(saved);
    }
  };
}

/**
 * Roughness of a slice: the total variation of its slope, in units of the slope that would
 * cross the slice's range once,
 *
 *   R = (α_max − α_min) · Σ_i |s_{i+1} − s_i| / (max J − min J),   s_i = (J_{i+1} − J_i) / (α_{i+1} − α_i).
 *
 * A straight line scores 0 and a parabola about 8 (exactly 8(N−2)/(N−1) on N even points):
 * its slope turns from −4 to +4 of that unit. A ripple of height ε and angular frequency ω
 * adds about ε·ω²·(α_max − α_min)²·(2/π) / (max J − min J), so jaggedness is punished even
 * where the slice keeps rising (the total variation of J itself would not notice it there).
 * R is invariant to J → c·J + b and to rescaling α. For a smooth slice it does not depend on
 * how finely α is sampled; detail finer than the grid adds more with every extra point, so
 * compare roughness only between slices taken on the same α grid. A constant slice has R = 0.
 * @param values J at each α, all finite
 * @param alphas the increasing α of each value; default evenly spaced (R then needs no α)
 */
export function roughness(values: ArrayLike<number>, alphas?: ArrayLike<number>): number {
  const where = "roughness";
  check(values != null && values.length >= 3, where, `values must hold at least 3 numbers, got ${values?.length}`);
  assertFinite(where, "values", values);
  const n = values.length;
  const at = alphas ?? Array.from({ length: n }, (_, i) => i);
  check(at.length === n, where, `alphas must hold one number per value (${n}), got ${at.length}`);
  assertFinite(where, "alphas", at);
  for (let i = 1; i < n; i++)
    check(at[i] > at[i - 1], where, `alphas must increase, but alphas[${i}] = ${at[i]} <= alphas[${i - 1}]`);
  const slope = (i: number) => (values[i + 1] - values[i]) / (at[i + 1] - at[i]);
  let slopeVariation = 0;
  for (let i = 0; i + 2 < n; i++) slopeVariation += Math.abs(slope(i + 1) - slope(i));
  let [lo, hi] = [values[0], values[0]];
  for (let i = 1; i < n; i++) [lo, hi] = [Math.min(lo, values[i]), Math.max(hi, values[i])];
  return hi > lo ? ((at[n - 1] - at[0]) * slopeVariation) / (hi - lo) : 0;
}
