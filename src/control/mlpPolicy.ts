/**
 * The neural-network policy of the BPTT notebook: π_θ(s) = maxAction · tanh(net_θ(s)), so its
 * action always lies in [−maxAction, maxAction]. A `TrainablePolicy` for `trainBptt`.
 */
import * as tf from "@tensorflow/tfjs";
import { check, fillOptions, positive, positiveInt } from "../checks";
import { MLP } from "../models/mlp";
import type { Rng } from "../random";
import type { TrainablePolicy } from "./bptt";

export interface MlpPolicyOptions {
  /** State size S (the input). @default 3 (the pendulum) */
  stateSize: number;
  /** Action size A (the output). @default 1 */
  actionSize: number;
  /** Hidden layer widths (tanh). @default [32, 32] */
  hiddenSizes: number[];
  /** Bound of the action: the output is maxAction·tanh(·). @default 2 (the pendulum's torque limit) */
  maxAction: number;
  /**
   * Multiplies the last layer's initial weights: 0.01 gives a nearly passive policy (actions ≈ 0),
   * so that the dynamics, not a random policy, decide where a rollout goes. @default 1
   */
  outputScale: number;
}

export const MLP_POLICY_DEFAULTS: MlpPolicyOptions = {
  stateSize: 3,
  actionSize: 1,
  hiddenSizes: [32, 32],
  maxAction: 2,
  outputScale: 1,
};

/**
 * A fresh MLP policy. The caller disposes `net` when done.
 * @param rng draws the initial weights
 * @returns policy (B, S) → (B, A), its variables, and the network
 */
export function mlpPolicy(rng: Rng, options?: Partial<MlpPolicyOptions>): TrainablePolicy & { net: MLP } {
  const where = "mlpPolicy";
  const o = fillOptions(where, MLP_POLICY_DEFAULTS, options, {
    stateSize: positiveInt,
    actionSize: positiveInt,
    maxAction: positive,
    outputScale: positive,
    hiddenSizes: (v) =>
      Array.isArray(v) && v.every((n) => Number.isInteger(n) && n > 0)
        ? undefined
        : `must be an array of positive integers, got ${String(v)}`,
  });
  check(rng !== undefined && typeof rng.normal === "function", where, "rng must be an Rng");
  const net = new MLP([o.stateSize, ...o.hiddenSizes, o.actionSize], rng);
  const last = net.weights[net.weights.length - 1];
  if (o.outputScale !== 1) tf.tidy(() => last.assign(last.mul(o.outputScale)));
  const policy = (s: tf.Tensor2D) => net.forward(s, o.maxAction); // maxAction·tanh(net(s)), in one node
  return { net, policy, variables: net.variables(), squashedMlp: { net, maxAction: o.maxAction } };
}
