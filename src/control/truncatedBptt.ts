/**
 * Truncated BPTT with a learned critic (lecture step 04; SHAC, Xu et al. 2022): backpropagate
 * through a short window of h model steps only, and stand in for everything after it with a
 * value function fitted to returns:
 *
 *   J_h(θ) = E[ Σ_{t<h} γ^t r(s_t, a_t) + γ^h V(s_h) ],   a_t = π_θ(s_t),   s_{t+1} = f(s_t, a_t).
 *
 * The gradient then multiplies at most h Jacobians ∂f/∂s, so it cannot explode beyond what h
 * steps allow; in exchange it trusts ∇V, which is only as right as the fit. Small h leans on
 * the critic's bias, large h on BPTT's exploding variance; SHAC's point is that a middle h
 * does better than either end.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, fillOptions, inRange, nonNegativeInt, positive, positiveInt } from "../checks";
import type { Policy } from "../envs/types";
import type { System } from "../envs/types";
import { rollout } from "../rollout";
import { policyObjective } from "./rollout";
import type { Rng } from "../random";
import { fitValueFunction, type ValueFitOptions, type ValueFunction } from "../models/valueFunction";
import { checkTrainable, drawStartStates, valueAndGradNorm, type StartStates, type TrainablePolicy } from "./bptt";

/** Options of `truncatedObjective`. */
export interface TruncatedObjectiveOptions {
  /** Window h: model steps before the critic takes over. @default 8 */
  window: number;
  /** Discount γ. @default 0.95 */
  discount: number;
}

export const TRUNCATED_OBJECTIVE_DEFAULTS: Readonly<TruncatedObjectiveOptions> = { window: 8, discount: 0.95 };

/**
 * The truncated objective J_h: mean over the starts of the window's discounted rewards plus
 * γ^h V(s_h). Differentiable with respect to the policy's variables (and V's).
 * @param system the (learned) dynamics and the reward
 * @param starts (B, S)
 * @returns J_h, a scalar
 */
export function truncatedObjective(
  system: System,
  policy: Policy,
  critic: ValueFunction,
  starts: tf.Tensor2D,
  options?: Partial<TruncatedObjectiveOptions>,
): tf.Scalar {
  const where = "truncatedObjective";
  const { window, discount } = fillOptions(where, { ...TRUNCATED_OBJECTIVE_DEFAULTS }, options, {
    window: positiveInt,
    discount: inRange(0, 1),
  });
  assertShape(where, "starts", starts, [null, system.dynamics.stateSize]);
  // The window's discounted rewards, and the critic's value as the reward of the state reached.
  const terminalReward = (s: tf.Tensor2D) => critic.predict(s);
  return policyObjective(system, policy, starts, undefined, { horizon: window, discount, terminalReward });
}

/** Options of `valueTargets`. */
export interface ValueTargetOptions {
  /** L: the length of each return (rollouts of 2L steps). @default 50 */
  horizon: number;
  /** Discount γ. @default 0.95 */
  discount: number;
}

export const VALUE_TARGET_DEFAULTS: Readonly<ValueTargetOptions> = { horizon: 50, discount: 0.95 };

/**
 * Targets for the critic: the policy rolled out for 2L steps from each start, and for every
 * t < L the state s_t with its L-step discounted return Σ_{j=t}^{t+L−1} γ^{j−t} r_j.
 * @param system the (learned) dynamics and the reward
 * @param starts (N, S)
 * @returns states (N·L, S) and returns (N·L); the caller disposes them
 */
export function valueTargets(
  system: System,
  policy: Policy,
  starts: tf.Tensor2D,
  options?: Partial<ValueTargetOptions>,
): { states: tf.Tensor2D; returns: tf.Tensor1D } {
  const where = "valueTargets";
  const { horizon, discount } = fillOptions(where, { ...VALUE_TARGET_DEFAULTS }, options, {
    horizon: positiveInt,
    discount: inRange(0, 1),
  });
  const [N, S] = assertShape(where, "starts", starts, [null, system.dynamics.stateSize]);
  return tf.tidy(() => {
    const states: tf.Tensor2D[] = [];
    const rewards: tf.Tensor1D[] = [];
    rollout(
      system,
      (s) => policy(s),
      starts,
      undefined,
      { steps: 2 * horizon, tape: true, where },
      (step) => {
        states.push(step.states);
        rewards.push(step.rewards!);
      },
    );
    const r = tf.stack(rewards, 1); // (N, 2L)
    // G_t = Σ_{j<L} γ^j r_{t+j}: one (N, 2L) × (2L, L) product with a banded matrix of powers of γ.
    const band = tf.tensor2d(
      Array.from({ length: 2 * horizon }, (_, j) =>
        Array.from({ length: horizon }, (_, t) => (j >= t && j < t + horizon ? discount ** (j - t) : 0)),
      ),
    );
    const returns = tf.matMul(r, band); // (N, L)
    return {
      states: tf.stack(states.slice(0, horizon), 1).reshape([N * horizon, S]) as tf.Tensor2D,
      returns: returns.reshape([N * horizon]) as tf.Tensor1D,
    };
  });
}

/** Options of `truncatedGradientNorms`. */
export interface TruncatedGradientNormOptions extends TruncatedObjectiveOptions {
  /** Independent batches, one norm each. @default 16 */
  batches: number;
  /** Start states per batch. @default 16 */
  batchSize: number;
}

export const TRUNCATED_GRADIENT_NORM_DEFAULTS: Readonly<TruncatedGradientNormOptions> = {
  ...TRUNCATED_OBJECTIVE_DEFAULTS,
  batches: 16,
  batchSize: 16,
};

/**
 * The spread of the truncated gradient: ‖∇θ J_h‖ on each of several independent batches of
 * start states, at the policy's current parameters. Nothing is updated.
 * @param starts (B, S) fixed (the same batch each time), or a sampler (rng, n) => (n, S)
 * @returns one norm per batch
 */
export function truncatedGradientNorms(
  system: System,
  trainable: TrainablePolicy,
  critic: ValueFunction,
  starts: StartStates,
  rng: Rng,
  options?: Partial<TruncatedGradientNormOptions>,
): number[] {
  const where = "truncatedGradientNorms";
  checkTrainable(where, trainable);
  const { batches, batchSize, window, discount } = fillOptions(
    where,
    { ...TRUNCATED_GRADIENT_NORM_DEFAULTS },
    options,
    {
      batches: positiveInt,
      batchSize: positiveInt,
      window: positiveInt,
      discount: inRange(0, 1),
    },
  );
  return Array.from({ length: batches }, () => {
    const drawn = drawStartStates(where, starts, rng, batchSize, system.dynamics.stateSize);
    try {
      return valueAndGradNorm(
        () => truncatedObjective(system, trainable.policy, critic, drawn.states, { window, discount }),
        trainable.variables,
      ).gradNorm;
    } finally {
      if (drawn.owned) drawn.states.dispose();
    }
  });
}

/** One iteration's numbers, measured before its update. */
export interface TruncatedBpttProgress {
  iteration: number;
  /** J_h on the iteration's batch. */
  objective: number;
  /** ‖∇θ J_h‖₂ before clipping. */
  gradNorm: number;
}

/** Options of `trainTruncatedBptt`. */
export interface TruncatedBpttOptions {
  /** Window h: model steps backpropagated through. @default 8 */
  window: number;
  /** Start states per iteration. @default 64 */
  batchSize: number;
  /** Policy updates. @default 40 */
  iterations: number;
  /** Adam's step size. @default 0.02 */
  learningRate: number;
  /** Discount γ. @default 0.95 */
  discount: number;
  /** Clip ‖∇θ J_h‖ to this before each update; undefined: no clipping. @default undefined */
  maxGradNorm: number | undefined;
  /**
   * Refit the critic to the current policy every this many updates (and once before the
   * first); 0: never, the critic is used as given (it must have been fitted). @default 10
   */
  criticEvery: number;
  /** L, the length of the returns the critic is fitted to (rollouts of 2L steps). @default 50 */
  criticHorizon: number;
  /** Options of each critic fit. @default { epochs: 10 } */
  criticFit: Partial<ValueFitOptions>;
  /** Called after each update. @default undefined */
  onProgress: ((progress: TruncatedBpttProgress) => void) | undefined;
}

export const TRUNCATED_BPTT_DEFAULTS: Readonly<TruncatedBpttOptions> = {
  window: 8,
  batchSize: 64,
  iterations: 40,
  learningRate: 0.02,
  discount: 0.95,
  maxGradNorm: undefined,
  criticEvery: 10,
  criticHorizon: 50,
  criticFit: { epochs: 10 },
  onProgress: undefined,
};

/**
 * Train a policy by truncated BPTT through the (learned) dynamics with a critic bootstrap:
 * before the first update and every `criticEvery` updates, refit V to the current policy's
 * L-step returns; each update draws start states, differentiates −J_h with respect to the
 * policy's variables only, optionally clips, and takes an Adam step.
 * @param system the (learned) dynamics and the reward
 * @param critic V, refitted in place (or used as given with `criticEvery: 0`)
 * @param starts (B, S) fixed, or a sampler (rng, n) => (n, S)
 * @returns the history, one entry per update
 */
export function trainTruncatedBptt(
  system: System,
  trainable: TrainablePolicy,
  critic: ValueFunction,
  starts: StartStates,
  rng: Rng,
  options?: Partial<TruncatedBpttOptions>,
): TruncatedBpttProgress[] {
  const where = "trainTruncatedBptt";
  const { dynamics } = system;
  checkTrainable(where, trainable);
  const o = fillOptions(where, { ...TRUNCATED_BPTT_DEFAULTS }, options, {
    window: positiveInt,
    batchSize: positiveInt,
    iterations: positiveInt,
    learningRate: positive,
    discount: inRange(0, 1),
    maxGradNorm: (v) => (v === undefined ? undefined : positive(v)),
    criticEvery: nonNegativeInt,
    criticHorizon: positiveInt,
  });
  const optimizer = tf.train.adam(o.learningRate);
  const history: TruncatedBpttProgress[] = [];
  const refitCritic = () => {
    const drawn = drawStartStates(where, starts, rng, o.batchSize, dynamics.stateSize);
    const targets = valueTargets(system, trainable.policy, drawn.states, {
      horizon: o.criticHorizon,
      discount: o.discount,
    });
    if (drawn.owned) drawn.states.dispose();
    try {
      fitValueFunction(critic, targets.states, targets.returns, rng, o.criticFit);
    } finally {
      tf.dispose([targets.states, targets.returns]);
    }
  };
  try {
    for (let iteration = 0; iteration < o.iterations; iteration++) {
      if (o.criticEvery > 0 && iteration % o.criticEvery === 0) refitCritic();
      const drawn = drawStartStates(where, starts, rng, o.batchSize, dynamics.stateSize);
      const { value, grads } = tf.variableGrads(
        () =>
          tf.neg(
            truncatedObjective(system, trainable.policy, critic, drawn.states, {
              window: o.window,
              discount: o.discount,
            }),
          ),
        trainable.variables,
      );
      if (drawn.owned) drawn.states.dispose();
      const numbers = tf.tidy(
        () =>
          tf
            .stack([value, ...trainable.variables.map((v) => tf.sum(tf.square(grads[v.name])))])
            .dataSync() as Float32Array,
      );
      const gradNorm = Math.sqrt(numbers.slice(1).reduce((a, b) => a + b, 0));
      if (!Number.isFinite(numbers[0]) || !Number.isFinite(gradNorm)) {
        tf.dispose([value, ...Object.values(grads)]);
        throw new Error(
          `${where}: non-finite objective or gradient at iteration ${iteration} (J_h ${-numbers[0]}, ‖∇‖ ${gradNorm}); no update made`,
        );
      }
      const scale = o.maxGradNorm !== undefined && gradNorm > o.maxGradNorm ? o.maxGradNorm / gradNorm : 1;
      tf.tidy(() =>
        optimizer.applyGradients(trainable.variables.map((v) => ({ name: v.name, tensor: grads[v.name].mul(scale) }))),
      );
      tf.dispose([value, ...Object.values(grads)]);
      const progress = { iteration, objective: -numbers[0], gradNorm };
      history.push(progress);
      o.onProgress?.(progress);
    }
  } finally {
    optimizer.dispose();
  }
  return history;
}
