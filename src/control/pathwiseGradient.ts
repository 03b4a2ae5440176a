/**
 * The pathwise (reparameterisation) policy gradient (lecture step 04): write every action as
 * a_t = μ_θ(s_t) + σ ε_t with the noise ε_t drawn first, and differentiate the return of the
 * sampled trajectory with respect to θ through the dynamics: BPTT on a stochastic policy.
 * Each term of the gradient carries a product of Jacobians ∂f/∂s along the trajectory, so on
 * an unstable system its variance grows geometrically with the horizon (Parmas et al. 2018).
 *
 * To get one independent estimate per batch from a single backward pass, every trajectory
 * gets its own copy of W (all equal): the gradient of Σ_n R_n with respect to copy n is ∇R_n.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, inRange, positiveInt } from "../checks";
import type { Rng } from "../random";
import type { System } from "../envs/types";
import { rollout } from "../rollout";
import type { GaussianPolicy } from "./gaussianPolicy";
import { perBatchMeans, resolveBatchSize, type GradientEstimates } from "./likelihoodRatio";

/** Options of `pathwiseGradients`. */
export interface PathwiseOptions {
  /** Rollout length H. @default 10 */
  horizon: number;
  /** Trajectories n per estimate; the starts' N must be a multiple. @default all of them */
  batchSize: number | undefined;
  /** Discount γ of the objective Σ_t γ^t r_t. @default 1 */
  discount: number;
}

export const PATHWISE_DEFAULTS: Readonly<PathwiseOptions> = { horizon: 10, batchSize: undefined, discount: 1 };

/**
 * Pathwise gradient estimates of J(W) = E[Σ_{t<H} γ^t r_t] for the Gaussian policy.
 * @param system the dynamics differentiated through, and the reward
 * @param starts (N, S): one trajectory per row
 * @param rng draws the policy noise ε (and the dynamics' process noise, an input too)
 * @returns one estimate of ∇_W J per batch of n trajectories, and the N returns
 */
export function pathwiseGradients(
  system: System,
  policy: GaussianPolicy,
  starts: tf.Tensor2D,
  rng: Rng,
  options?: Partial<PathwiseOptions>,
): GradientEstimates {
  const where = "pathwiseGradients";
  const { dynamics } = system;
  const o = fillOptions(where, { ...PATHWISE_DEFAULTS }, options, { horizon: positiveInt, discount: inRange(0, 1) });
  const [N, S] = assertShape(where, "starts", starts, [null, dynamics.stateSize]);
  check(
    policy.stateSize === S && policy.actionSize === dynamics.actionSize,
    where,
    `policy (${policy.stateSize} → ${policy.actionSize}) does not fit the dynamics (${S} → ${dynamics.actionSize})`,
  );
  const n = resolveBatchSize(where, N, o.batchSize);
  const [F, A] = [S + 1, policy.actionSize];
  const noise = Array.from({ length: o.horizon }, () => rng.normalTensor([N, A], 0, policy.std) as tf.Tensor2D);
  let returns: tf.Tensor1D | undefined;
  const objective = (copies: tf.Tensor): tf.Scalar => {
    const rewards: tf.Tensor1D[] = [];
    // μ(s_t) + σ ε_t
    const act = (s: tf.Tensor2D, t: number) => tf.add(policy.mean(s, copies as tf.Tensor3D), noise[t]) as tf.Tensor2D;
    rollout(system, act, starts, rng, { steps: o.horizon, tape: true, where }, (step) =>
      rewards.push(tf.mul(step.rewards!, o.discount ** step.t)),
    );
    returns = tf.keep(tf.addN(rewards)) as tf.Tensor1D;
    return tf.sum(returns);
  };
  try {
    const grads = tf.tidy(() => {
      const copies = tf.tile(policy.weights.expandDims(0), [N, 1, 1]);
      return tf
        .grad(objective)(copies)
        .reshape([N, F * A]) as tf.Tensor2D;
    });
    try {
      return { estimates: perBatchMeans(grads, n), returns: Array.from(returns!.dataSync()) };
    } finally {
      grads.dispose();
    }
  } finally {
    tf.dispose([...noise, ...(returns ? [returns] : [])]);
  }
}
