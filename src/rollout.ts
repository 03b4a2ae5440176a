/**
 * The rollout, in one place: from states s_0, for t = 0..T−1,
 *
 *   a_t = actor(s_t, t),   s_{t+1} = f(s_t, a_t),   r_t = r(s_t, a_t, s_{t+1}).
 *
 * Every loop of the library that steps dynamics is this one: the recursive objective
 * (control/rollout), planners' returns (planning/returns), execution and MPC (planning/execute),
 * Jacobian trajectories (analysis/jacobians), the linear-Gaussian simulations (envs) and a
 * model's multi-step prediction error (models/predictionError). They differ only in who acts
 * (a policy reads s_t, an open-loop plan reads t) and in what they keep of each transition,
 * which `visit` decides.
 *
 * Memory has two modes. Streaming (the default) runs each step in its own `tf.tidy` and frees
 * s_t once s_{t+1} exists, so a long rollout of a big batch stays flat; `visit` runs inside that
 * tidy and must `tf.keep` any tensor it stores. With `tape: true` nothing is freed, so that the
 * caller's tidy (and autodiff) sees the whole unroll: the recursive objective differentiates it.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check } from "./checks";
import type { Rng } from "./random";
import type { Dynamics, RewardFn } from "./envs/types";

/** Chooses the actions (B, A) at step t from the states (B, S): a policy, or a plan read at t. */
export type Actor = (states: tf.Tensor2D, t: number) => tf.Tensor2D;

/** One step of a batch of B rollouts. */
export interface Transition {
  t: number;
  /** s_t (B, S) */
  states: tf.Tensor2D;
  /** a_t (B, A) */
  actions: tf.Tensor2D;
  /** s_{t+1} (B, S) */
  nextStates: tf.Tensor2D;
  /** r_t (B), or undefined when the system has no reward. */
  rewards: tf.Tensor1D | undefined;
}

/** Options of `rollout`. */
export interface RolloutLoopOptions {
  /** Steps T ≥ 0. */
  steps: number;
  /** Keep every tensor for the caller's tidy and autodiff instead of freeing each step. @default false */
  tape?: boolean;
  /** The public function the rollout serves, for error messages. @default "rollout" */
  where?: string;
}

/**
 * Roll an actor through dynamics from a batch of start states, showing each transition to
 * `visit`. The start states are never disposed.
 * @param system dynamics, and optionally the reward r(s, a, s')
 * @param starts (B, S)
 * @param rng process noise for stochastic dynamics; undefined steps their mean
 * @returns s_T (B, S): `starts` itself when T = 0; otherwise the caller disposes it
 */
export function rollout(
  system: { readonly dynamics: Dynamics; readonly reward?: RewardFn },
  actor: Actor,
  starts: tf.Tensor2D,
  rng: Rng | undefined,
  options: RolloutLoopOptions,
  visit?: (transition: Transition) => void,
): tf.Tensor2D {
  const { steps, tape = false, where = "rollout" } = options;
  const { dynamics, reward } = system;
  check(Number.isInteger(steps) && steps >= 0, where, `steps must be a non-negative integer, got ${steps}`);
  const [B, S] = assertShape(where, "starts", starts, [null, dynamics.stateSize]);
  const A = dynamics.actionSize;
  const step = (states: tf.Tensor2D, t: number): tf.Tensor2D => {
    const actions = actor(states, t); //                      a_t
    assertShape(where, "action", actions, [B, A]);
    const nextStates = dynamics.step(states, actions, rng); // s_{t+1} = f(s_t, a_t)
    assertShape(where, "dynamics.step output", nextStates, [B, S]);
    const rewards = reward?.(states, actions, nextStates); //  r(s_t, a_t, s_{t+1})
    if (rewards) assertShape(where, "reward output", rewards, [B]);
    visit?.({ t, states, actions, nextStates, rewards });
    return nextStates;
  };
  let s = starts;
  try {
    for (let t = 0; t < steps; t++) {
      const current = s;
      s = tape ? step(current, t) : tf.tidy(() => step(current, t));
      if (!tape && current !== starts) current.dispose();
    }
  } catch (error) {
    if (!tape && s !== starts) s.dispose();
    throw error;
  }
  return s;
}
