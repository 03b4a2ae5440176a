/**
 * The scalar linear-Gaussian system: x_{t+1} = x_t + a_t + w_t, w_t ~ N(0, σ²), x_0 = 0,
 * cost Σ_{t=1..T} x_t².
 *
 * Everything has a closed form, which makes it the reference for open loop against feedback:
 * - The noise adds variance tσ² to x_t whatever the actions, and an open-loop plan can only
 *   move the mean. So the best plan is a ≡ 0, with expected cost σ²·T(T+1)/2 (55 at T=10, σ=1).
 * - Feedback a_t = −x_t cancels the state each step, leaving x_t = w_{t−1}: cost T·σ² (10).
 * - Replanning MPC with the mean model also reaches T·σ²: its plan's first action is −x_t
 *   (certainty equivalence holds for linear dynamics with quadratic cost).
 */
import * as tf from "@tensorflow/tfjs";
import { assertFinite, assertShape, check, fillOptions, nonNegative, positive, positiveInt } from "../checks";
import type { Rng } from "../random";
import type { Dynamics, Policy, RewardFn, Task } from "./types";
import { rollout, type Actor } from "../rollout";

export interface LinearGaussianOptions {
  /** Standard deviation σ of the process noise w_t. @default 1 */
  sigma: number;
  /** Steps T of an episode: the cost sums x_1² … x_T². @default 10 */
  steps: number;
  /** Action bounds ±actionLimit offered to planners; the dynamics themselves do not clip. @default 5 */
  actionLimit: number;
}

export const LINEAR_GAUSSIAN_DEFAULTS: LinearGaussianOptions = { sigma: 1, steps: 10, actionLimit: 5 };
const RULES = { sigma: nonNegative, steps: positiveInt, actionLimit: positive };

function fill(where: string, given?: Partial<LinearGaussianOptions>): LinearGaussianOptions {
  return fillOptions(where, LINEAR_GAUSSIAN_DEFAULTS, given, RULES);
}

/** The true dynamics as a batched `Dynamics` (state and action size 1). */
export class LinearGaussian implements Dynamics {
  readonly stateSize = 1;
  readonly actionSize = 1;
  readonly members = 1;
  readonly sigma: number;

  /** @param sigma process-noise standard deviation σ ≥ 0 */
  constructor(sigma: number) {
    check(Number.isFinite(sigma) && sigma >= 0, "LinearGaussian", `sigma must be a finite number >= 0, got ${sigma}`);
    this.sigma = sigma;
  }

  /**
   * x' = x + a (+ σw with w drawn from `rng`, one normal per row, when `rng` is given).
   * @param states (B, 1)
   * @param actions (B, 1)
   * @returns (B, 1)
   */
  step(states: tf.Tensor2D, actions: tf.Tensor2D, rng?: Rng): tf.Tensor2D {
    const [batch] = assertShape("LinearGaussian.step", "states", states, [null, 1]);
    assertShape("LinearGaussian.step", "actions", actions, [batch, 1]);
    return tf.tidy(() => {
      const mean = tf.add(states, actions) as tf.Tensor2D;
      return rng ? (mean.add(rng.normalTensor([batch, 1], 0, this.sigma)) as tf.Tensor2D) : mean;
    });
  }
}

/** Reward −x'² (the cost is charged on the state reached). Returns (B). */
export const linearGaussianReward: RewardFn = (states, actions, nextStates) => {
  const [batch] = assertShape("linearGaussianReward", "states", states, [null, 1]);
  assertShape("linearGaussianReward", "actions", actions, [batch, 1]);
  assertShape("linearGaussianReward", "nextStates", nextStates, [batch, 1]);
  return tf.tidy(() => tf.neg(tf.square(nextStates)).reshape([batch]) as tf.Tensor1D);
};

/** The task plus what an episode needs: its length and start states. */
export interface LinearGaussianTask extends Task {
  readonly dynamics: LinearGaussian;
  /** Steps T of an episode. */
  readonly steps: number;
  readonly options: LinearGaussianOptions;
  /** Start states x_0 = 0, shape (batch, 1). */
  initialStates(batch: number): tf.Tensor2D;
}

/** The linear-Gaussian system as a control task, with its episode length and start states x_0 = 0. */
export function linearGaussianTask(options?: Partial<LinearGaussianOptions>): LinearGaussianTask {
  const o = fill("linearGaussianTask", options);
  return {
    dynamics: new LinearGaussian(o.sigma),
    reward: linearGaussianReward,
    bounds: { low: [-o.actionLimit], high: [o.actionLimit] },
    steps: o.steps,
    options: o,
    initialStates: (batch) => {
      check(
        Number.isInteger(batch) && batch > 0,
        "LinearGaussianTask.initialStates",
        `batch must be a positive integer, got ${batch}`,
      );
      return tf.zeros([batch, 1]);
    },
  };
}

/** The linear feedback policy a = −gain·x; gain 1 is the lecture's a = −x. */
export function linearGaussianFeedbackPolicy(gain = 1): Policy {
  check(Number.isFinite(gain), "linearGaussianFeedbackPolicy", `gain must be finite, got ${gain}`);
  return (states) => {
    assertShape("linearGaussianFeedbackPolicy", "states", states, [null, 1]);
    return tf.tidy(() => tf.mul(states, -gain) as tf.Tensor2D);
  };
}

/**
 * Exact expected cost of a fixed open-loop plan: the mean of x_t is Σ_{s<t} a_s and its
 * variance tσ², so E[x_t²] = (Σ_{s<t} a_s)² + tσ².
 * @param plan (T) actions a_0 … a_{T−1}
 */
export function linearGaussianPlanCost(plan: ArrayLike<number>, options?: Partial<LinearGaussianOptions>): number {
  const o = fill("linearGaussianPlanCost", options);
  check(
    plan.length === o.steps,
    "linearGaussianPlanCost",
    `plan must have steps = ${o.steps} entries, got ${plan.length}`,
  );
  assertFinite("linearGaussianPlanCost", "plan", plan);
  let mean = 0;
  let cost = 0;
  for (let t = 1; t <= o.steps; t++) {
    mean += plan[t - 1];
    cost += mean * mean + t * o.sigma ** 2;
  }
  return cost;
}

/** Expected cost of the best open-loop plan a ≡ 0: σ²·T(T+1)/2. */
export function linearGaussianOpenLoopCost(options?: Partial<LinearGaussianOptions>): number {
  const o = fill("linearGaussianOpenLoopCost", options);
  return (o.sigma ** 2 * o.steps * (o.steps + 1)) / 2;
}

/** Expected cost of feedback a = −x (and of replanning MPC): T·σ². */
export function linearGaussianFeedbackCost(options?: Partial<LinearGaussianOptions>): number {
  const o = fill("linearGaussianFeedbackCost", options);
  return o.steps * o.sigma ** 2;
}

/**
 * Expected cost of a = −gain·x. Then x_{t+1} = (1−gain)x_t + w_t, so
 * Var x_t = σ² Σ_{i<t} (1−gain)^{2i}; gain 0 is the open-loop a ≡ 0, gain 1 the deadbeat a = −x.
 */
export function linearGaussianLinearFeedbackCost(gain: number, options?: Partial<LinearGaussianOptions>): number {
  const o = fill("linearGaussianLinearFeedbackCost", options);
  check(Number.isFinite(gain), "linearGaussianLinearFeedbackCost", `gain must be finite, got ${gain}`);
  const decay = (1 - gain) ** 2;
  let variance = 0;
  let cost = 0;
  for (let t = 1; t <= o.steps; t++) {
    variance = decay * variance + o.sigma ** 2;
    cost += variance;
  }
  return cost;
}

export interface LinearGaussianSimulationOptions extends LinearGaussianOptions {
  /** Number of episodes run side by side as one batch. @default 1000 */
  episodes: number;
}

/** Batched rollout from x_0 = 0; `act(x, t)` gives the (B, 1) actions. Returns per-episode costs. */
function simulate(where: string, act: Actor, rng: Rng, o: LinearGaussianSimulationOptions): Float64Array {
  const system = { dynamics: new LinearGaussian(o.sigma), reward: linearGaussianReward };
  const starts = tf.zeros([o.episodes, 1]) as tf.Tensor2D;
  let cost = tf.zeros([o.episodes]) as tf.Tensor1D;
  try {
    const last = rollout(system, act, starts, rng, { steps: o.steps, where }, ({ rewards }) => {
      const sum = tf.keep(cost.sub(rewards!) as tf.Tensor1D); // the cost is −reward = x_{t+1}²
      cost.dispose();
      cost = sum;
    });
    last.dispose();
    return Float64Array.from(cost.dataSync());
  } finally {
    tf.dispose([starts, cost]);
  }
}

function fillSimulation(
  where: string,
  given?: Partial<LinearGaussianSimulationOptions>,
): LinearGaussianSimulationOptions {
  return fillOptions(where, { ...LINEAR_GAUSSIAN_DEFAULTS, episodes: 1000 }, given, {
    ...RULES,
    episodes: positiveInt,
  });
}

/**
 * Run a feedback policy for many episodes in one batch, noise drawn from `rng` step by step.
 * @returns (episodes) per-episode costs Σ_{t=1..T} x_t²
 */
export function linearGaussianRunPolicy(
  policy: Policy,
  rng: Rng,
  options?: Partial<LinearGaussianSimulationOptions>,
): Float64Array {
  const o = fillSimulation("linearGaussianRunPolicy", options);
  return simulate("linearGaussianRunPolicy", (x) => policy(x), rng, o);
}

/**
 * Run one fixed open-loop plan for many episodes in one batch.
 * @param plan (T) actions a_0 … a_{T−1}, the same in every episode
 * @returns (episodes) per-episode costs Σ_{t=1..T} x_t²
 */
export function linearGaussianRunPlan(
  plan: ArrayLike<number>,
  rng: Rng,
  options?: Partial<LinearGaussianSimulationOptions>,
): Float64Array {
  const o = fillSimulation("linearGaussianRunPlan", options);
  check(
    plan.length === o.steps,
    "linearGaussianRunPlan",
    `plan must have steps = ${o.steps} entries, got ${plan.length}`,
  );
  assertFinite("linearGaussianRunPlan", "plan", plan);
  return simulate("linearGaussianRunPlan", (_, t) => tf.fill([o.episodes, 1], plan[t]) as tf.Tensor2D, rng, o);
}
