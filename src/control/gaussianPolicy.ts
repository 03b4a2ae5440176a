/**
 * A Gaussian policy (lecture step 04): a ~ π_θ(·|s) = N(μ_θ(s), σ² I), with a mean that is
 * linear in the features φ(s) = (s, 1):
 *
 *   μ_θ(s) = φ(s) W,   W (S+1, A),   log π_θ(a|s) = −½‖(a − μ)/σ‖² − A log σ − (A/2) log 2π.
 *
 * Sampling as a = μ_θ(s) + σ ε with ε ~ N(0, I) is the reparameterisation the pathwise
 * estimator differentiates through; the score ∇_W log π = φ(s)ᵀ (a − μ)/σ² is what the
 * likelihood-ratio estimator multiplies by the return. A linear mean keeps both exact and
 * cheap, and near the pendulum's top it is a PD controller (sin θ ≈ θ), which is enough to
 * balance it. σ is fixed, not learned, so that the estimators are compared at equal noise.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, positive, positiveInt } from "../checks";
import type { Policy } from "../envs/types";
import type { Rng } from "../random";

/** Options of a `GaussianPolicy`. */
export interface GaussianPolicyOptions {
  /** Action noise σ (action units), the same in every action dimension. @default 0.3 */
  std: number;
}

export const GAUSSIAN_POLICY_DEFAULTS: Readonly<GaussianPolicyOptions> = { std: 0.3 };

const LOG_2PI = Math.log(2 * Math.PI);

/** A linear-mean Gaussian policy; owns one variable, `weights` (S+1, A), initialised to 0. */
export class GaussianPolicy {
  readonly stateSize: number;
  readonly actionSize: number;
  readonly std: number;
  /** W (S+1, A): the last row is the bias. */
  readonly weights: tf.Variable<tf.Rank.R2>;

  /**
   * @param stateSize S
   * @param actionSize A
   * @param options the action noise σ
   */
  constructor(stateSize: number, actionSize: number, options?: Partial<GaussianPolicyOptions>) {
    const where = "GaussianPolicy";
    check(!positiveInt(stateSize), where, `stateSize ${positiveInt(stateSize)}`);
    check(!positiveInt(actionSize), where, `actionSize ${positiveInt(actionSize)}`);
    const o = fillOptions(where, { ...GAUSSIAN_POLICY_DEFAULTS }, options, { std: positive });
    this.stateSize = stateSize;
    this.actionSize = actionSize;
    this.std = o.std;
    // In a tidy, so that the initial zeros (copied into the variable) are freed.
    this.weights = tf.tidy(() => tf.variable(tf.zeros([stateSize + 1, actionSize])));
  }

  /** Number of parameters P = (S+1)·A. */
  get size(): number {
    return (this.stateSize + 1) * this.actionSize;
  }

  /** Set W from a flat (P) vector, row-major (S+1, A). */
  setWeights(values: ArrayLike<number>): void {
    check(
      values?.length === this.size,
      "GaussianPolicy.setWeights",
      `values must hold ${this.size} numbers, got ${values?.length}`,
    );
    tf.tidy(() => this.weights.assign(tf.tensor2d(Array.from(values), [this.stateSize + 1, this.actionSize])));
  }

  /** The weights as a flat (P) array, row-major. */
  getWeights(): number[] {
    return Array.from(this.weights.dataSync());
  }

  /**
   * Features φ(s) = (s, 1).
   * @param states (B, S) @returns (B, S+1)
   */
  features(states: tf.Tensor2D): tf.Tensor2D {
    const [B] = assertShape("GaussianPolicy.features", "states", states, [null, this.stateSize]);
    return tf.tidy(() => tf.concat([states, tf.ones([B, 1])], 1) as tf.Tensor2D);
  }

  /**
   * The mean action μ(s) = φ(s) W, with the policy's own W or a per-row copy of it (so that one
   * backward pass gives every trajectory its own gradient).
   * @param states (B, S)
   * @param weights (S+1, A) shared, or (B, S+1, A) one per row; default the policy's own
   * @returns (B, A)
   */
  mean(states: tf.Tensor2D, weights: tf.Tensor2D | tf.Tensor3D = this.weights): tf.Tensor2D {
    const where = "GaussianPolicy.mean";
    const [B] = assertShape(where, "states", states, [null, this.stateSize]);
    const F = this.stateSize + 1;
    if (weights.rank === 3) assertShape(where, "weights", weights, [B, F, this.actionSize]);
    else assertShape(where, "weights", weights, [F, this.actionSize]);
    return tf.tidy(() => {
      const phi = this.features(states);
      if (weights.rank === 2) return tf.matMul(phi, weights as tf.Tensor2D);
      return tf.matMul(phi.reshape([B, 1, F]), weights as tf.Tensor3D).reshape([B, this.actionSize]) as tf.Tensor2D;
    });
  }

  /**
   * Sample a = μ(s) + σ ε.
   * @param states (B, S) @returns actions (B, A)
   */
  sample(states: tf.Tensor2D, rng: Rng): tf.Tensor2D {
    const [B] = assertShape("GaussianPolicy.sample", "states", states, [null, this.stateSize]);
    return tf.tidy(() => tf.add(this.mean(states), rng.normalTensor([B, this.actionSize], 0, this.std)) as tf.Tensor2D);
  }

  /**
   * log π(a|s), summed over action dimensions.
   * @param states (B, S) @param actions (B, A) @returns (B)
   */
  logProb(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    const [B] = assertShape("GaussianPolicy.logProb", "states", states, [null, this.stateSize]);
    assertShape("GaussianPolicy.logProb", "actions", actions, [B, this.actionSize]);
    const A = this.actionSize;
    return tf.tidy(() => {
      const z = tf.div(tf.sub(actions, this.mean(states)), this.std);
      return tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), A * Math.log(this.std) + (A / 2) * LOG_2PI) as tf.Tensor1D;
    });
  }

  /** The deterministic policy s ↦ μ(s), for evaluation and for BPTT through the mean. */
  readonly policy: Policy = (states) => this.mean(states);

  /** Free the weights. */
  dispose(): void {
    this.weights.dispose();
  }
}
