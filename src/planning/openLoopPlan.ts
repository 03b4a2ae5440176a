/**
 * Open-loop planning: choose a whole action sequence a_0..a_{H−1} from a start state by
 * scoring candidate sequences with a model, with random shooting or CEM.
 *
 * A sequence of H actions of size A is a flat vector of H·A numbers in the box given by the
 * task's action bounds repeated H times; the objective is `sequenceReturnsBatch`. Planning is
 * batched over P start states (one plan each), which is how MPC plans for many episodes at once.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, isBoolean, positiveInt, type Rule } from "../checks";
import type { Task } from "../envs/types";
import { Rng } from "../random";
import { cemBatch, CEM_DEFAULTS, CEM_RULES, checkElites, type CemOptions } from "./cem";
import { randomShootingBatch } from "./randomShooting";
import { sequenceReturnsBatch } from "./returns";
import type { BatchSearchObjective, Box } from "./search";

export type PlanMethod = "cem" | "randomShooting";

export interface PlanOptions extends Omit<CemOptions, "onProgress"> {
  /** The optimiser over action sequences. @default "cem" */
  method: PlanMethod;
  /** Planning horizon H, the length of each action sequence. @default 10 (CS285 hw4) */
  horizon: number;
  /**
   * Sampled futures K per candidate: 0 scores it on the model's mean dynamics
   * (certainty equivalence), K ≥ 1 averages K noisy futures drawn from the rng. @default 0
   */
  particles: number;
  /**
   * With particles ≥ 1: every candidate of one planning step meets the same K futures, in every
   * CEM iteration (common random numbers; see `ReturnOptions.commonFutures`). @default false
   */
  commonFutures: boolean;
}

// The CEM options a plan passes on (all but onProgress, which belongs to the caller's loop).
const { onProgress: _onProgress, ...cemPlanDefaults } = CEM_DEFAULTS;

export const PLAN_DEFAULTS: PlanOptions = {
  ...cemPlanDefaults,
  method: "cem",
  horizon: 10,
  particles: 0,
  commonFutures: false,
};

const method: Rule<PlanMethod> = (v) =>
  v === "cem" || v === "randomShooting" ? undefined : `must be "cem" or "randomShooting", got ${String(v)}`;
const nonNegativeInteger: Rule<number> = (v) =>
  Number.isInteger(v) && v >= 0 ? undefined : `must be a non-negative integer, got ${v}`;

export const PLAN_RULES = {
  ...CEM_RULES,
  method,
  horizon: positiveInt,
  particles: nonNegativeInteger,
  commonFutures: isBoolean,
};

/** The plans for P start states. */
export interface OpenLoopPlans {
  /** (P, H, A): the planned action sequence from each start state. */
  actions: number[][][];
  /** (P): the model's return of each plan (mean over members and sampled futures). */
  predictedReturns: number[];
}

/** Plans as flat vectors: P rows of H·A, plus their predicted returns. */
export interface FlatPlans {
  plans: Float32Array[];
  predictedReturns: number[];
}

/** Copy just the keys of `defaults` out of a larger filled options object. */
export function pickOptions<T extends object>(defaults: T, from: T): T {
  const out = {} as T;
  for (const key of Object.keys(defaults) as (keyof T)[]) out[key] = from[key];
  return out;
}

/** Check that the task's bounds fit its actions and repeat them over the horizon. */
function sequenceBox(where: string, model: Task, horizon: number): Box {
  const A = model.dynamics.actionSize;
  const { low, high } = model.bounds;
  check(low.length === A, where, `bounds.low must have one entry per action dimension (${A}), got ${low.length}`);
  check(high.length === A, where, `bounds.high must have one entry per action dimension (${A}), got ${high.length}`);
  const repeat = (v: number[]) => Array.from({ length: horizon }, () => v).flat();
  return { low: repeat(low), high: repeat(high) };
}

/**
 * The planner behind `openLoopPlan` and `mpc`: options already filled and checked.
 * @param starts (P, S)
 * @param warm optional warm-start plans, P rows of H·A (CEM only)
 */
export function planFlat(
  where: string,
  model: Task,
  starts: tf.Tensor2D,
  rng: Rng,
  o: PlanOptions,
  warm?: Float32Array[],
): FlatPlans {
  const [P] = assertShape(where, "starts", starts, [null, model.dynamics.stateSize]);
  check(P > 0, where, "starts must hold at least one row");
  const H = o.horizon;
  const A = model.dynamics.actionSize;
  const box = sequenceBox(where, model, H);
  const common = o.particles > 0 && o.commonFutures;
  // Common futures: one seed per planning step, replayed for every batch of candidates.
  const futuresSeed = common ? rng.int(2 ** 31) : 0;
  const noise = () => (common ? new Rng(futuresSeed) : o.particles > 0 ? rng : undefined);
  // Candidates (P, N, H·A) are action sequences: score them as such.
  const objective: BatchSearchObjective = (flat) => {
    const [, N] = flat.shape;
    return sequenceReturnsBatch(model, flat.reshape([P, N, H, A]) as tf.Tensor4D, starts, noise(), {
      particles: o.particles,
      commonFutures: common,
    });
  };
  if (o.method === "randomShooting") {
    const r = randomShootingBatch(objective, { ...box, problems: P }, rng, { samples: o.samples });
    return { plans: r.best, predictedReturns: r.bestScore };
  }
  const space = { ...box, problems: P, ...(warm ? { initialMean: warm } : {}) };
  const { mean } = cemBatch(objective, space, rng, pickOptions(cemPlanDefaults, o));
  // CEM's answer is the final mean, which was never scored itself: score it once.
  const predicted = tf.tidy(() =>
    objective(tf.tensor3d(Float32Array.from(mean.flatMap((m) => Array.from(m))), [P, 1, H * A])),
  );
  const predictedReturns = Array.from(predicted.dataSync());
  predicted.dispose();
  return { plans: mean, predictedReturns };
}

/** Fill and check planning options (shared with `mpc`). */
function fillPlanOptions(where: string, given?: Partial<PlanOptions>): PlanOptions {
  const o = fillOptions(where, PLAN_DEFAULTS, given, PLAN_RULES);
  checkElites(where, o);
  return o;
}

/**
 * Plan an open-loop action sequence from each of P start states with a model.
 * @param model dynamics (possibly an ensemble), reward and action bounds (A entries each)
 * @param starts (P, S)
 * @param rng draws the candidates (and the model's noise when particles ≥ 1)
 */
export function openLoopPlan(
  model: Task,
  starts: tf.Tensor2D,
  rng: Rng,
  options?: Partial<PlanOptions>,
): OpenLoopPlans {
  const where = "openLoopPlan";
  const o = fillPlanOptions(where, options);
  const { plans, predictedReturns } = planFlat(where, model, starts, rng, o);
  const A = model.dynamics.actionSize;
  const actions = plans.map((flat) =>
    Array.from({ length: o.horizon }, (_, t) => Array.from(flat.subarray(t * A, (t + 1) * A))),
  );
  return { actions, predictedReturns };
}
