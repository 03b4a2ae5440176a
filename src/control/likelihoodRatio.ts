/**
 * The likelihood-ratio (score-function, REINFORCE) policy gradient (lecture step 04):
 *
 *   ∇_θ J = E[ Σ_t ∇_θ log π_θ(a_t|s_t) (G_t − b_t) ],   G_t = Σ_{j≥t} γ^j r_j,
 *
 * estimated from sampled transitions alone. It needs no derivative of the dynamics, so it
 * works on a buffer of model-generated data exactly as on real data, and its variance does
 * not multiply the Jacobians ∂f/∂s along the trajectory the way the pathwise (BPTT) gradient
 * does (Parmas et al. 2018; Metz et al. 2021). Only rewards after a_t are credited to it
 * (G_t, "reward to go"), and the baseline b_t is the mean G_t of the *other* trajectories of
 * the same batch (leave-one-out), so it does not depend on a_t and the estimate stays unbiased.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, inRange, positive, positiveInt } from "../checks";
import type { Rng } from "../random";
import { branchedRollouts, disposeBuffer, type RolloutBuffer } from "../planning/branchedRollouts";
import type { System } from "../envs/types";
import { drawStartStates, type StartStates } from "./bptt";
import type { GaussianPolicy } from "./gaussianPolicy";

/** Independent gradient estimates, one per batch, as plain numbers. */
export interface GradientEstimates {
  /** (K, P): batch k's estimate of ∇_W J, W flattened row-major. */
  estimates: number[][];
  /** (N): each trajectory's discounted return Σ_t γ^t r_t. */
  returns: number[];
}

/** Options of `likelihoodRatioGradients`. */
export interface LikelihoodRatioOptions {
  /** Trajectories n per estimate; the buffer's N must be a multiple. @default all of them */
  batchSize: number | undefined;
  /** Discount γ of the objective Σ_t γ^t r_t. @default 1 */
  discount: number;
  /** "leave-one-out": b_t = mean G_t of the batch's other trajectories; "none": b_t = 0. @default "leave-one-out" */
  baseline: "leave-one-out" | "none";
}

export const LIKELIHOOD_RATIO_DEFAULTS: Readonly<LikelihoodRatioOptions> = {
  batchSize: undefined,
  discount: 1,
  baseline: "leave-one-out",
};

/**
 * Split N per-trajectory rows into K = N / n batches and average each.
 * @param perTrajectory (N, P) @returns (K, P)
 */
export function perBatchMeans(perTrajectory: tf.Tensor2D, batchSize: number): number[][] {
  const [N, P] = perTrajectory.shape;
  const K = N / batchSize;
  const flat = tf.tidy(() => perTrajectory.reshape([K, batchSize, P]).mean(1).dataSync());
  return Array.from({ length: K }, (_, k) => Array.from(flat.subarray(k * P, (k + 1) * P)));
}

/** The batch size n, checked: N must be a multiple of n, and the baseline needs n ≥ 2. */
export function resolveBatchSize(where: string, N: number, batchSize: number | undefined, minimum = 1): number {
  const n = batchSize ?? N;
  check(Number.isInteger(n) && n >= minimum, where, `option batchSize must be an integer >= ${minimum}, got ${n}`);
  check(N % n === 0, where, `the ${N} trajectories must split into batches of batchSize = ${n}`);
  return n;
}

/**
 * Likelihood-ratio gradient estimates from a buffer of transitions of the policy (on-policy:
 * the buffer's actions must come from this policy with its current weights).
 * @param buffer N trajectories of k steps, e.g. from `branchedRollouts`
 * @returns one estimate of ∇_W J per batch of n trajectories, and the N returns
 */
export function likelihoodRatioGradients(
  policy: GaussianPolicy,
  buffer: RolloutBuffer,
  options?: Partial<LikelihoodRatioOptions>,
): GradientEstimates {
  const where = "likelihoodRatioGradients";
  const o = fillOptions(where, { ...LIKELIHOOD_RATIO_DEFAULTS }, options, {
    discount: inRange(0, 1),
    baseline: (v) =>
      v === "leave-one-out" || v === "none" ? undefined : `must be "leave-one-out" or "none", got ${v}`,
  });
  const [N, k, S] = assertShape(where, "buffer.states", buffer.states, [null, null, policy.stateSize]);
  const A = policy.actionSize;
  assertShape(where, "buffer.actions", buffer.actions, [N, k, A]);
  assertShape(where, "buffer.rewards", buffer.rewards, [N, k]);
  const n = resolveBatchSize(where, N, o.batchSize, o.baseline === "none" ? 1 : 2);
  const F = S + 1;
  const [grads, returns] = tf.tidy(() => {
    const flatStates = buffer.states.reshape([N * k, S]) as tf.Tensor2D;
    const phi = policy.features(flatStates).reshape([N, k, F]);
    const mean = policy.mean(flatStates).reshape([N, k, A]);
    const score = tf.div(tf.sub(buffer.actions, mean), policy.std ** 2); // ∂ log π / ∂μ, (N, k, A)
    const discounts = tf.tensor1d(Array.from({ length: k }, (_, t) => o.discount ** t));
    const toGo = tf.cumsum(tf.mul(buffer.rewards, discounts), 1, false, true); // G_t (N, k)
    let weight: tf.Tensor = toGo;
    if (o.baseline === "leave-one-out") {
      const batched = toGo.reshape([N / n, n, k]);
      const others = tf.sub(tf.sum(batched, 1, true), batched).div(n - 1);
      weight = tf.sub(batched, others).reshape([N, k]);
    }
    // Σ_t φ_tᵀ (score_t · weight_t): (N, F, k) × (N, k, A) → (N, F, A)
    const g = tf.matMul(phi, tf.mul(score, weight.expandDims(2)), true, false);
    return [g.reshape([N, F * A]) as tf.Tensor2D, toGo.slice([0, 0], [N, 1]).reshape([N])];
  });
  try {
    return { estimates: perBatchMeans(grads, n), returns: Array.from(returns.dataSync()) };
  } finally {
    tf.dispose([grads, returns]);
  }
}

/** One iteration's numbers. */
export interface LikelihoodRatioProgress {
  iteration: number;
  /** Mean discounted return of the iteration's branches (before its update). */
  meanReturn: number;
  /** ‖estimate‖₂ of ∇_W J. */
  gradNorm: number;
}

/** Options of `trainLikelihoodRatio`. */
export interface LikelihoodRatioTrainOptions {
  /** Branch length k. @default 5 */
  horizon: number;
  /** Branches per iteration. @default 64 */
  batchSize: number;
  /** Updates. @default 50 */
  iterations: number;
  /** Adam's step size. @default 0.05 */
  learningRate: number;
  /** Discount γ. @default 1 */
  discount: number;
  /** Called after each update. @default undefined */
  onProgress: ((progress: LikelihoodRatioProgress) => void) | undefined;
}

export const LIKELIHOOD_RATIO_TRAIN_DEFAULTS: Readonly<LikelihoodRatioTrainOptions> = {
  horizon: 5,
  batchSize: 64,
  iterations: 50,
  learningRate: 0.05,
  discount: 1,
  onProgress: undefined,
};

/**
 * Model-free learning on model-generated data: every iteration branches `batchSize` rollouts
 * of k steps off start states (a fixed tensor, or a sampler, e.g. states of the recorded
 * data), estimates ∇J by likelihood ratio from that buffer alone, and takes an Adam ascent
 * step on the policy's weights. Nothing is differentiated through the dynamics.
 * @param system where the branches run: the (learned) dynamics and the reward
 * @param starts (B, S) or a sampler (rng, n) => (n, S)
 * @returns the history, one entry per update
 */
export function trainLikelihoodRatio(
  system: System,
  policy: GaussianPolicy,
  starts: StartStates,
  rng: Rng,
  options?: Partial<LikelihoodRatioTrainOptions>,
): LikelihoodRatioProgress[] {
  const where = "trainLikelihoodRatio";
  const { dynamics } = system;
  const o = fillOptions(where, { ...LIKELIHOOD_RATIO_TRAIN_DEFAULTS }, options, {
    horizon: positiveInt,
    batchSize: positiveInt,
    iterations: positiveInt,
    learningRate: positive,
    discount: inRange(0, 1),
  });
  check(o.batchSize >= 2, where, `option batchSize must be >= 2 for the leave-one-out baseline, got ${o.batchSize}`);
  const optimizer = tf.train.adam(o.learningRate);
  const history: LikelihoodRatioProgress[] = [];
  try {
    for (let iteration = 0; iteration < o.iterations; iteration++) {
      const drawn = drawStartStates(where, starts, rng, o.batchSize, dynamics.stateSize);
      let buffer: RolloutBuffer;
      try {
        buffer = branchedRollouts(system, policy, drawn.states, rng, { horizon: o.horizon });
      } finally {
        if (drawn.owned) drawn.states.dispose();
      }
      let estimate: GradientEstimates;
      try {
        estimate = likelihoodRatioGradients(policy, buffer, { discount: o.discount });
      } finally {
        disposeBuffer(buffer);
      }
      const g = estimate.estimates[0];
      // Adam minimises, so hand it −∇J.
      tf.tidy(() =>
        optimizer.applyGradients([{ name: policy.weights.name, tensor: tf.tensor2d(g, policy.weights.shape).neg() }]),
      );
      const progress = {
        iteration,
        meanReturn: estimate.returns.reduce((a, b) => a + b, 0) / estimate.returns.length,
        gradNorm: Math.hypot(...g),
      };
      history.push(progress);
      o.onProgress?.(progress);
    }
  } finally {
    optimizer.dispose();
  }
  return history;
}
