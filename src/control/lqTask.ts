/**
 * An LQ problem as a batched, differentiable task (lecture step 02): linear dynamics and
 * quadratic rewards (`envs/linear.ts`) built from the float64 `LQProblem` of `lqr.ts`.
 */
import type * as tf from "@tensorflow/tfjs";
import type { RewardFn } from "../envs/types";
import { LinearDynamics, quadraticReward, quadraticTerminalReward } from "../envs/linear";
import { LQProblem, checkLQProblem } from "./lqr";

/** An LQ problem ready for the tensor rollouts. */
export interface LQTask {
  dynamics: LinearDynamics;
  /** −(sᵀQs + aᵀRa). */
  reward: RewardFn;
  /** −sᵀQ_f s; pass as `{ terminalReward }` to a rollout to count the terminal cost. */
  terminalReward: (states: tf.Tensor2D) => tf.Tensor1D;
  /** The problem's horizon T. */
  horizon: number;
}

/**
 * The tensor form of an LQ problem (checked as `riccatiGains` checks it; Q_f defaults to Q).
 * `openLoopObjective(task, actions, x0, undefined, { terminalReward })` is then −lqCost(x0, actions).
 */
export function lqTask(problem: LQProblem): LQTask {
  const { horizon, Qf } = checkLQProblem("lqTask", problem);
  return {
    dynamics: new LinearDynamics(problem),
    reward: quadraticReward(problem),
    terminalReward: quadraticTerminalReward(Qf),
    horizon,
  };
}
