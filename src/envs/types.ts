/**
 * The contracts between environments, models, planners and policies.
 *
 * Everything is batched: a batch of B states is a (B, S) tensor, a batch of actions (B, A).
 * Dynamics are pure: state in, state out. Randomness (process noise) comes only from an
 * `Rng` passed in, so the same seed gives the same trajectory.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../random";

/**
 * Batched dynamics s' = f(s, a), true or learned.
 *
 * An ensemble of M learned models is also a `Dynamics`, with `members = M`: its batch is
 * laid out member-major, rows [m·N, (m+1)·N) belong to member m, so a planner can evaluate N
 * action sequences under all members by tiling them M times (see `tileForMembers`).
 */
export interface Dynamics {
  readonly stateSize: number;
  readonly actionSize: number;
  /** How many models the batch is split between (1 for a single model). */
  readonly members: number;
  /**
   * One step. Differentiable with respect to states and actions (so BPTT can use it).
   * @param states (B, S)
   * @param actions (B, A)
   * @param rng when given, stochastic dynamics draw their process noise from it;
   *   when omitted they step their mean (noise-free) dynamics.
   * @returns next states (B, S)
   */
  step(states: tf.Tensor2D, actions: tf.Tensor2D, rng?: Rng): tf.Tensor2D;
}

/**
 * Batched reward of the transition (s, a) → s'. Pure, differentiable, and row by row: row b
 * of the result depends on row b of the inputs only (so the recursive objective can score the
 * transitions of all steps in one call). Most tasks read only (s, a); tasks whose cost is on the state reached (the
 * linear-Gaussian system's Σ_{t=1..T} x_t²) read s'. A return over a horizon H is
 * Σ_{t=0}^{H-1} r(s_t, a_t, s_{t+1}).
 * @param states (B, S)
 * @param actions (B, A)
 * @param nextStates (B, S)
 * @returns rewards (B)
 */
export type RewardFn = (states: tf.Tensor2D, actions: tf.Tensor2D, nextStates: tf.Tensor2D) => tf.Tensor1D;

/** Box bounds on actions, one entry per action dimension. */
export interface ActionBounds {
  low: number[];
  high: number[];
}

/** What a rollout needs: dynamics (true or learned) and a reward. Every `Task` is one. */
export interface System {
  readonly dynamics: Dynamics;
  readonly reward: RewardFn;
}

/** A control task: a system plus the action bounds a planner searches within. */
export interface Task extends System {
  readonly bounds: ActionBounds;
}

/**
 * A closed-loop (feedback) policy a = π(s), batched and differentiable.
 * @param states (B, S)
 * @returns actions (B, A)
 */
export type Policy = (states: tf.Tensor2D) => tf.Tensor2D;
