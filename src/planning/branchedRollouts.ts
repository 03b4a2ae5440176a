/**
 * Branched rollouts (Dyna, Sutton 1991; MBPO, Janner et al. 2019): short trajectories of a
 * stochastic policy through a (learned) model, each branching off a real state, e.g. one from
 * the recorded data. The transitions they produce are data for a model-free learner, which
 * never differentiates through the model; the branch length k trades how far the learner can
 * see inside one branch against how much model error the branch accumulates.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, positiveInt } from "../checks";
import type { Rng } from "../random";
import type { GaussianPolicy } from "../control/gaussianPolicy";
import type { System } from "../envs/types";
import { rollout } from "../rollout";

/** Options of `branchedRollouts`. */
export interface BranchedRolloutOptions {
  /** Branch length k: model steps per branch. @default 5 */
  horizon: number;
}

export const BRANCHED_ROLLOUT_DEFAULTS: Readonly<BranchedRolloutOptions> = { horizon: 5 };

/** A buffer of model-generated transitions, N branches of k steps. The caller disposes it. */
export interface RolloutBuffer {
  /** s_t of every transition, (N, k, S). */
  states: tf.Tensor3D;
  /** a_t, sampled from the policy, (N, k, A). */
  actions: tf.Tensor3D;
  /** r(s_t, a_t, s_{t+1}), (N, k). */
  rewards: tf.Tensor2D;
  /** s_k, where each branch ends, (N, S). */
  finalStates: tf.Tensor2D;
}

/** Dispose every tensor of a buffer. */
export function disposeBuffer(buffer: RolloutBuffer): void {
  tf.dispose([buffer.states, buffer.actions, buffer.rewards, buffer.finalStates]);
}

/**
 * Roll the stochastic policy a_t = μ(s_t) + σ ε_t through the dynamics for k steps from each
 * start. Nothing is recorded for autodiff: a learner on this buffer sees only numbers.
 * @param system the (learned) dynamics and the reward
 * @param starts (N, S): the states the branches leave from
 * @param rng draws the policy's noise, and the dynamics' process noise if they have any
 * @returns the buffer (N branches of k transitions)
 */
export function branchedRollouts(
  system: System,
  policy: GaussianPolicy,
  starts: tf.Tensor2D,
  rng: Rng,
  options?: Partial<BranchedRolloutOptions>,
): RolloutBuffer {
  const where = "branchedRollouts";
  const { dynamics } = system;
  const o = fillOptions(where, { ...BRANCHED_ROLLOUT_DEFAULTS }, options, { horizon: positiveInt });
  const [N, S] = assertShape(where, "starts", starts, [null, dynamics.stateSize]);
  check(
    policy.stateSize === S && policy.actionSize === dynamics.actionSize,
    where,
    `policy (${policy.stateSize} → ${policy.actionSize}) does not fit the dynamics (${S} → ${dynamics.actionSize})`,
  );
  check(
    N % dynamics.members === 0,
    where,
    `starts (${N} rows) must be a multiple of dynamics.members = ${dynamics.members}`,
  );
  // Every transition is kept (the buffer holds them all), so the rollout keeps its tape and
  // this tidy frees what the buffer does not return.
  return tf.tidy(() => {
    const states: tf.Tensor2D[] = [];
    const actions: tf.Tensor2D[] = [];
    const rewards: tf.Tensor1D[] = [];
    const last = rollout(
      system,
      (s) => policy.sample(s, rng),
      starts,
      rng,
      { steps: o.horizon, tape: true, where },
      (step) => {
        states.push(step.states);
        actions.push(step.actions);
        rewards.push(step.rewards!);
      },
    );
    return {
      states: tf.stack(states, 1) as tf.Tensor3D,
      actions: tf.stack(actions, 1) as tf.Tensor3D,
      rewards: tf.stack(rewards, 1) as tf.Tensor2D,
      finalStates: last.clone(),
    };
  });
}
