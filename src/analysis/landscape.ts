/**
 * One-dimensional slices of an objective's landscape, J(θ₀ + α·d) for a grid of α, and a
 * number for how rough a slice is (lecture step 02: the policy objective gets rougher as the
 * horizon grows).
 */
import * as tf from "@tensorflow/tfjs";
import { assertFinite, assertShape, check, fillOptions, positiveInt } from "../checks";
import { policyReturns } from "../control/rollout";
import type { System } from "../envs/types";
import { MLP } from "../models/mlp";
import { Rng } from "../random";

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

/** Options of `policyLandscapeSlice`: the α grid and the rollout's horizon. */
export interface PolicyLandscapeOptions extends LandscapeOptions {
  /** Steps H of each rollout (required, as for `policyObjective`). */
  horizon: number;
}

/** `horizon` has no default: a policy's unroll length is always the caller's choice. */
export const POLICY_LANDSCAPE_DEFAULTS: Omit<PolicyLandscapeOptions, "horizon"> = { ...LANDSCAPE_DEFAULTS };

/**
 * The slice `landscapeSlice` gives for J(θ) = `policyObjective(system, π_θ, startStates, rng, { horizon })`
 * with π_θ the one-member MLP `net` set to θ, computed in ONE rollout instead of one per α: the
 * K = alphas.length parameter vectors θ₀ + α_k·d become the members of a K-member MLP, each
 * member acts on its own copy of the B start states, and every copy meets the same process noise
 * (common random numbers, as when each α starts from a fresh copy of `rng`). Each row meets the
 * same float32 ops as in its own rollout, so on the cpu and wasm backends the values equal the
 * one-α-at-a-time slice bit for bit (tested); it is ~K times fewer, larger ops.
 * @param net a one-member MLP: its layer sizes define π_θ; its weights are not used or changed
 * @param startStates (B, S)
 * @param rng a fresh process-noise stream (consumed), or undefined for the mean dynamics
 * @param theta0 θ₀ (n), laid out as `net.getFlat()` (= `flattenVariables(net.variables())`)
 * @param direction d (n)
 */
export function policyLandscapeSlice(
  system: System,
  net: MLP,
  startStates: tf.Tensor2D,
  rng: Rng | undefined,
  theta0: tf.Tensor1D,
  direction: tf.Tensor1D,
  options: Partial<PolicyLandscapeOptions> & Pick<PolicyLandscapeOptions, "horizon">,
): LandscapeSlice {
  const where = "policyLandscapeSlice";
  check(options?.horizon !== undefined, where, "option horizon is required");
  const o = fillOptions<PolicyLandscapeOptions>(
    where,
    { ...POLICY_LANDSCAPE_DEFAULTS, horizon: options.horizon },
    options,
    {
      alphas: (v) => (Array.isArray(v) && v.length > 0 ? undefined : `must be a non-empty array, got ${v}`),
      horizon: positiveInt,
    },
  );
  assertFinite(where, "options.alphas", o.alphas);
  check(net instanceof MLP && net.members === 1, where, `net must be a one-member MLP, got ${net?.members} members`);
  check(system.dynamics.members === 1, where, `system.dynamics must be one model, got ${system.dynamics.members}`);
  const n = net.parameterCount();
  assertShape(where, "theta0", theta0, [n]);
  assertShape(where, "direction", direction, [n]);
  const [B] = assertShape(where, "startStates", startStates, [null, system.dynamics.stateSize]);
  const K = o.alphas.length;
  // Row k is θ₀ + α_k·d, rounded as landscapeSlice rounds it (α·d, then + θ₀, in float32).
  const thetas = tf.tidy(() =>
    theta0
      .reshape([1, n])
      .add(direction.reshape([1, n]).mul(tf.tensor2d(o.alphas, [K, 1])))
      .dataSync(),
  );
  // The initial weights are overwritten at once; the seed only satisfies the constructor.
  const batch = new MLP(net.sizes, new Rng(0), { members: K });
  try {
    batch.setFlat(thetas);
    const values = tf.tidy(() => {
      const starts = startStates.tile([K, 1]) as tf.Tensor2D; // member-major: copy k for θ_k
      const noise = rng === undefined ? undefined : sharedNoise(rng, K);
      const returns = policyReturns(system, (s) => batch.forward(s), starts, noise, { horizon: o.horizon });
      return Array.from(returns.reshape([K, B]).mean(1).dataSync()); // J(θ_k) = mean over its B starts
    });
    return { alphas: [...o.alphas], values };
  } finally {
    batch.dispose();
  }
}

/**
 * A view of `rng` for a batch of `copies` stacked copies of one batch: a tensor draw of R rows
 * takes R / copies rows from `rng`, exactly as the single batch would, and tiles them, so every
 * copy meets the same noise. Scalar and array draws have no rows to share and throw.
 */
function sharedNoise(rng: Rng, copies: number): Rng {
  const tiled =
    (draw: (shape: number[], a?: number, b?: number) => tf.Tensor) =>
    (shape: number[], a?: number, b?: number): tf.Tensor => {
      check(shape[0] % copies === 0, "policyLandscapeSlice", `noise rows ${shape[0]} not a multiple of ${copies}`);
      return tf.tidy(() =>
        draw([shape[0] / copies, ...shape.slice(1)], a, b).tile([copies, ...shape.slice(1).map(() => 1)]),
      );
    };
  const shared: Partial<Record<keyof Rng, unknown>> = {
    normalTensor: tiled((s, a, b) => rng.normalTensor(s, a, b)),
    uniformTensor: tiled((s, a, b) => rng.uniformTensor(s, a, b)),
  };
  return new Proxy(rng, {
    get: (target, key) => {
      if (key in shared) return shared[key as keyof Rng];
      const value = Reflect.get(target, key);
      if (typeof value !== "function") return value;
      return () => {
        throw new Error(
          `policyLandscapeSlice: the dynamics drew noise with rng.${String(key)}, which cannot be shared`,
        );
      };
    },
  });
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
