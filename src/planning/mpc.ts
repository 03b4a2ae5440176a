/**
 * Model predictive control: at every step, plan an open-loop sequence with the model from the
 * state actually reached, execute only its first action in the environment, and replan.
 *
 * Replanning gives MPC feedback: each action depends on the latest state. But each plan is
 * still judged open loop, as if the actions were fixed in advance, so the planner cannot value
 * information it would only receive later. The model used for planning and the environment
 * acted in may differ (a learned model, or the mean of a stochastic system).
 *
 * Batched over E episodes: at each step the E planning problems are solved together.
 */
import * as tf from "@tensorflow/tfjs";
import { check, fillOptions, isBoolean, positiveInt } from "../checks";
import type { System, Task } from "../envs/types";
import type { Rng } from "../random";
import { checkElites } from "./cem";
import { recordEpisodes, type Episodes, type RunProgress } from "./execute";
import { pickOptions, planFlat, PLAN_DEFAULTS, PLAN_RULES, type PlanOptions } from "./openLoopPlan";

/** Plain numbers reported after each MPC step. */
export interface MpcProgress extends RunProgress {
  /** Mean over episodes of the model's predicted return of the plan made at this step. */
  predictedReturn: number;
}

export interface MpcOptions extends PlanOptions {
  /** Steps T executed per episode (one plan per step). @default 10 */
  steps: number;
  /**
   * CEM only: start each plan from the previous one shifted by a step (its last action the
   * middle of the bounds) instead of from the uniform box. @default false
   */
  warmStart: boolean;
  /** Called after every executed step. @default undefined */
  onProgress: ((progress: MpcProgress) => void) | undefined;
}

export const MPC_DEFAULTS: MpcOptions = { ...PLAN_DEFAULTS, steps: 10, warmStart: false, onProgress: undefined };

/** The recorded episodes plus what the planner expected at each step. */
export interface MpcEpisodes extends Episodes {
  /** (E, T): the model's predicted return of the plan made at each step. */
  predictedReturns: number[][];
}

/** Drop the executed first action and pad with the middle of the bounds. */
function shiftPlan(plan: Float32Array, middle: number[]): Float32Array {
  const next = new Float32Array(plan.length);
  next.set(plan.subarray(middle.length));
  next.set(middle, plan.length - middle.length);
  return next;
}

/**
 * Run MPC for E episodes side by side.
 * @param model what the planner believes: dynamics (possibly an ensemble), reward, action bounds
 * @param environment where actions are executed: single-model dynamics and reward
 * @param starts (E, S)
 * @param rng its first split is the environment's noise (as in `runPolicy` and `executePlan`),
 *   its second the planner's
 */
export function mpc(
  model: Task,
  environment: System,
  starts: tf.Tensor2D,
  rng: Rng,
  options?: Partial<MpcOptions>,
): MpcEpisodes {
  const where = "mpc";
  const o = fillOptions(where, MPC_DEFAULTS, options, { ...PLAN_RULES, steps: positiveInt, warmStart: isBoolean });
  checkElites(where, o);
  const A = model.dynamics.actionSize;
  check(
    environment.dynamics.stateSize === model.dynamics.stateSize && environment.dynamics.actionSize === A,
    where,
    `model and environment must have the same state and action sizes, got (${model.dynamics.stateSize}, ${A}) and ` +
      `(${environment.dynamics.stateSize}, ${environment.dynamics.actionSize})`,
  );
  const noise = rng.split();
  const planRng = rng.split();
  const planOptions = pickOptions(PLAN_DEFAULTS, o);
  const middle = model.bounds.low.map((lo, i) => (lo + model.bounds.high[i]) / 2);
  const E = starts.shape[0];
  const predictedReturns: number[][] = Array.from({ length: E }, () => []);
  let warm: Float32Array[] | undefined;
  let lastPredicted = 0;

  const act = (states: tf.Tensor2D): tf.Tensor2D => {
    const { plans, predictedReturns: predicted } = planFlat(where, model, states, planRng, planOptions, warm);
    if (o.warmStart && o.method === "cem") warm = plans.map((p) => shiftPlan(p, middle));
    predicted.forEach((v, e) => predictedReturns[e]?.push(v));
    lastPredicted = predicted.reduce((a, b) => a + b, 0) / predicted.length;
    const first = new Float32Array(plans.length * A);
    plans.forEach((p, e) => first.set(p.subarray(0, A), e * A));
    return tf.tensor2d(first, [plans.length, A]);
  };
  const episodes = recordEpisodes(where, environment, starts, o.steps, act, noise, (p) =>
    o.onProgress?.({ ...p, predictedReturn: lastPredicted }),
  );
  return { ...episodes, predictedReturns };
}
