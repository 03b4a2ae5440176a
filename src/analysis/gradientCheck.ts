/**
 * Gradient diagnostics: is a gradient right (`gradientCheck`, by central finite differences),
 * and how large does the BPTT gradient get as the horizon grows (`gradientNormByHorizon`).
 *
 * Why the finite-difference step is 5e−3: ĝ_i = (f(x + h_i e_i) − f(x − h_i e_i)) / (2 h_i)
 * has a truncation error of about h²·|f'''|/6 and a rounding error of about ε·|f|/h, since f
 * is evaluated in float32 (ε ≈ 1.19e−7). Their sum is smallest near h ≈ ε^{1/3} ≈ 5e−3 for a
 * well-scaled f, where both are ~1e−5·|f|. The step is taken relative to |x_i| when |x_i| > 1,
 * so that x ± h stays well apart in float32. Agreement to a relative error of about 1e−3..1e−2
 * is what float32 allows; a step of 1e−6, fine in float64, would leave rounding noise of order
 * 0.1·|f|.
 */
import * as tf from "@tensorflow/tfjs";
import { check, fillOptions, inRange, positive, positiveInt } from "../checks";
import type { Rng } from "../random";
import type { System } from "../envs/types";
import { policyObjective } from "../control/rollout";
import {
  checkTrainable,
  drawStartStates,
  fillWithStartStates,
  valueAndGradNorm,
  type BpttOptions,
  type StartStates,
  type TrainablePolicy,
} from "../control/bptt";

/** Options of `gradientCheck`. */
export interface GradientCheckOptions {
  /**
   * Central-difference step, relative: entry i uses h_i = step·max(1, |x_i|).
   * @default 5e-3 (≈ ε_float32^{1/3}; see the module comment)
   */
  step: number;
  /**
   * Floor of the relative error's denominator, so that two (near-)zero gradients agree.
   * @default 1e-8
   */
  tiny: number;
  /**
   * Flat (row-major) indices of the entries to check, e.g. a sample of a large network's.
   * @default undefined (every entry)
   */
  indices: number[] | undefined;
  /**
   * The gradient to test, shaped like x. When omitted, tfjs autodiff `tf.grad(f)(x)` is tested.
   * @default undefined
   */
  analytic: tf.Tensor | undefined;
}

/** One checked entry. */
export interface GradientCheckEntry {
  /** Flat index into x. */
  index: number;
  /** g_i, the analytic (or autodiff) gradient. */
  analytic: number;
  /** ĝ_i, the central difference. */
  numeric: number;
  /** |g_i − ĝ_i| / max(|g_i|, |ĝ_i|, tiny). */
  relativeError: number;
}

/** What `gradientCheck` returns. */
export interface GradientCheckResult {
  /** f(x). */
  value: number;
  entries: GradientCheckEntry[];
  /** The largest relative error over the checked entries. */
  maxRelativeError: number;
  /**
   * ε_float32·|f(x)| / h: the rough size of rounding noise in ĝ. Gradient entries far below it
   * cannot be checked by finite differences in float32; their relative error means little.
   */
  noiseFloor: number;
}

export const GRADIENT_CHECK_DEFAULTS: GradientCheckOptions = {
  step: 5e-3,
  tiny: 1e-8,
  indices: undefined,
  analytic: undefined,
};

/** Machine epsilon of float32. */
const EPS32 = 2 ** -23;

/**
 * The relative error |g − ĝ| / max(|g|, |ĝ|, tiny): 0 for equal values, at most 2 when they
 * differ in sign, and symmetric in g and ĝ. `tiny` keeps two zero gradients from giving 0/0.
 */
export function relativeError(g: number, gHat: number, tiny = 1e-8): number {
  return Math.abs(g - gHat) / Math.max(Math.abs(g), Math.abs(gHat), tiny);
}

/** f at a point given as float32 values, read back as a number. */
function evaluate(f: (x: tf.Tensor) => tf.Scalar, values: Float32Array, shape: number[]): number {
  return tf.tidy(() => {
    const y = f(tf.tensor(values, shape, "float32"));
    check(y.size === 1, "gradientCheck", `f must return a scalar, got shape [${y.shape}]`);
    return y.dataSync()[0];
  });
}

/**
 * Compare a gradient of a scalar function f with central finite differences.
 * f is evaluated 2·(number of checked entries) times, so check a sample of a large x.
 * @param f a scalar function of a tensor shaped like x (differentiable if `analytic` is omitted)
 * @param x the point, any shape (float32)
 * @returns per-entry values and relative errors
 */
export function gradientCheck(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  options?: Partial<GradientCheckOptions>,
): GradientCheckResult {
  const where = "gradientCheck";
  const o = fillOptions(where, GRADIENT_CHECK_DEFAULTS, options, { step: positive, tiny: positive });
  check(typeof f === "function", where, "f must be a function (x) => scalar tensor");
  check(x instanceof tf.Tensor, where, "x must be a tensor");
  const point = Float32Array.from(x.dataSync());
  const indices = o.indices ?? Array.from(point, (_, i) => i);
  indices.forEach((i, k) =>
    check(
      Number.isInteger(i) && i >= 0 && i < point.length,
      where,
      `option indices[${k}] must be an integer index into x (size ${point.length}), got ${i}`,
    ),
  );
  if (o.analytic !== undefined) {
    check(
      o.analytic.shape.join() === x.shape.join(),
      where,
      `option analytic must have x's shape [${x.shape}], got [${o.analytic.shape}]`,
    );
  }
  const analytic = o.analytic !== undefined ? o.analytic.dataSync() : tf.tidy(() => tf.grad(f)(x).dataSync());
  const value = evaluate(f, point, x.shape);
  let smallestStep = Infinity;
  const entries = indices.map((index) => {
    const xi = point[index];
    const h = o.step * Math.max(1, Math.abs(xi));
    // The step actually taken is between the float32 values of x ± h, not 2h exactly.
    const [plus, minus] = [Math.fround(xi + h), Math.fround(xi - h)];
    smallestStep = Math.min(smallestStep, (plus - minus) / 2);
    const at = (v: number) => {
      const moved = point.slice();
      moved[index] = v;
      return evaluate(f, moved, x.shape);
    };
    const numeric = (at(plus) - at(minus)) / (plus - minus);
    const g = analytic[index];
    return { index, analytic: g, numeric, relativeError: relativeError(g, numeric, o.tiny) };
  });
  return {
    value,
    entries,
    maxRelativeError: entries.reduce((m, e) => Math.max(m, e.relativeError), 0),
    noiseFloor: (EPS32 * Math.abs(value)) / smallestStep,
  };
}

/** Options of `gradientNormByHorizon`; batchSize and discount as in `BpttOptions`. */
export interface GradientNormOptions extends Pick<BpttOptions, "batchSize" | "discount"> {
  /** Horizons H at which to measure. @default [1, 2, 5, 10, 20, 50, 100] */
  horizons: number[];
}

/** One measurement: plain numbers for a table or a log-scale plot. */
export interface GradientNormPoint {
  horizon: number;
  /** J(θ), the mean return. */
  objective: number;
  /** ‖∇θ J‖₂ over all policy variables. */
  gradNorm: number;
  /** False when J or the gradient is non-finite: exclude the point from plots, report it. */
  finite: boolean;
}

export const GRADIENT_NORM_DEFAULTS: GradientNormOptions = {
  horizons: [1, 2, 5, 10, 20, 50, 100],
  batchSize: undefined,
  discount: 1,
};

/**
 * ‖∇θ J‖ against the horizon, for the exploding/vanishing-gradient plots. Nothing is trained.
 * One call is one draw of start states (and of the policy, for a factory), shared by all
 * horizons; call it again with other rngs for repeats.
 * @param system the dynamics the objective unrolls through, and the reward
 * @param trainable a fixed policy, or a factory making a fresh one from an rng (disposed after
 *   the measurements: its `net` if it has one, as `mlpPolicy`'s does, else its variables)
 * @param startStates a fixed (B, S) tensor or a sampler (rng, n) => (n, S)
 * @param rng its first split goes to the policy factory, its second draws the start states
 * @returns one point per horizon
 */
export function gradientNormByHorizon(
  system: System,
  trainable: TrainablePolicy | ((rng: Rng) => TrainablePolicy),
  startStates: StartStates,
  rng: Rng,
  options?: Partial<GradientNormOptions>,
): GradientNormPoint[] {
  const where = "gradientNormByHorizon";
  const o = fillWithStartStates<GradientNormOptions>(
    where,
    startStates,
    GRADIENT_NORM_DEFAULTS,
    options,
    {
      horizons: (v) =>
        v?.length > 0 && v.every((h) => !positiveInt(h)) ? undefined : `must list positive integers, got [${v}]`,
      discount: inRange(0, 1),
    },
    system.dynamics.stateSize,
  );
  const [policyRng, startRng] = [rng.split(), rng.split()];
  const measure = (current: TrainablePolicy): GradientNormPoint[] => {
    checkTrainable(where, current);
    const starts = drawStartStates(where, startStates, startRng, o.batchSize as number, system.dynamics.stateSize);
    try {
      return o.horizons.map((horizon) => {
        const { value, gradNorm } = valueAndGradNorm(
          () => policyObjective(system, current.policy, starts.states, undefined, { horizon, discount: o.discount }),
          current.variables,
        );
        return { horizon, objective: value, gradNorm, finite: Number.isFinite(value) && Number.isFinite(gradNorm) };
      });
    } finally {
      if (starts.owned) starts.states.dispose();
    }
  };
  if (typeof trainable !== "function") return measure(trainable);
  const made: TrainablePolicy & { net?: { dispose(): void } } = trainable(policyRng);
  try {
    return measure(made);
  } finally {
    // A policy made here lives only for these measurements. An `mlpPolicy` network holds more
    // than its variables (the fast path keeps tensors of its own): dispose the network itself.
    if (made.net) made.net.dispose();
    else made.variables.forEach((v) => v.dispose());
  }
}
