/**
 * Executing in an environment, open loop and closed loop, and recording what happened.
 *
 * Open loop: a fixed plan a_0..a_{T−1} is played whatever states are reached. Closed loop:
 * a policy picks a_t = π(s_t) after seeing s_t. MPC is closed loop too, its "policy" being
 * "plan from s_t, take the first action". All three share one recorder, batched over E
 * episodes, that reads each step back into plain arrays for plots and statistics.
 *
 * Common random numbers: every function here (and `mpc`) draws the environment's noise from
 * the FIRST `split()` of the rng it is given. So equal seeds give the open-loop plan, the
 * policy and MPC exactly the same noise, and their returns can be compared episode by episode.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, positiveInt } from "../checks";
import type { Policy, System } from "../envs/types";
import { rollout, type Transition } from "../rollout";
import type { Rng } from "../random";

/** E recorded episodes of T steps, as plain arrays. */
export interface Episodes {
  /** (E, T+1, S): s_0 … s_T. */
  states: number[][][];
  /** (E, T, A): a_0 … a_{T−1}. */
  actions: number[][][];
  /** (E, T): r(s_t, a_t, s_{t+1}). */
  rewards: number[][];
  /** (E): the total return of each episode. */
  returns: number[];
}

/** Plain numbers reported after each executed step. */
export interface RunProgress {
  /** 1-based step just executed. */
  step: number;
  steps: number;
  /** Mean over episodes of this step's reward. */
  meanReward: number;
  /** Mean over episodes of the return so far. */
  meanReturn: number;
}

export interface RunOptions {
  /** Steps T per episode. @default 10 (the linear-Gaussian example's T) */
  steps: number;
  /** Called after every step. @default undefined */
  onProgress: ((progress: RunProgress) => void) | undefined;
}

export const RUN_DEFAULTS: RunOptions = { steps: 10, onProgress: undefined };

/** Split a flat (B·D) array into B rows of D plain numbers. */
function toRows(flat: ArrayLike<number>, D: number): number[][] {
  return Array.from({ length: flat.length / D }, (_, b) => Array.from({ length: D }, (_, i) => flat[b * D + i]));
}

/**
 * The recorder shared by open-loop, closed-loop and MPC execution.
 * @param starts (E, S), not disposed
 * @param act chooses a_t (E, A) from s_t; runs inside a tidy
 * @param noise the environment's noise stream
 */
export function recordEpisodes(
  where: string,
  environment: System,
  starts: tf.Tensor2D,
  steps: number,
  act: (states: tf.Tensor2D, t: number) => tf.Tensor2D,
  noise: Rng,
  onProgress?: (p: RunProgress) => void,
): Episodes {
  const { dynamics } = environment;
  check(
    dynamics.members === 1,
    where,
    `the environment must be a single model (dynamics.members = 1), got ${dynamics.members}`,
  );
  const [E, S] = assertShape(where, "starts", starts, [null, dynamics.stateSize]);
  check(E > 0, where, "starts must hold at least one row");
  const A = dynamics.actionSize;
  const first = toRows(starts.dataSync(), S);
  const out: Episodes = {
    states: first.map((s) => [s]),
    actions: first.map(() => []),
    rewards: first.map(() => []),
    returns: new Array<number>(E).fill(0),
  };
  // Each step is read back into plain numbers as it happens (for plots, statistics and progress).
  const record = ({ t, actions, nextStates, rewards }: Transition): void => {
    const [aRows, nRows, rs] = [toRows(actions.dataSync(), A), toRows(nextStates.dataSync(), S), rewards!.dataSync()];
    let rewardSum = 0;
    for (let e = 0; e < E; e++) {
      out.actions[e].push(aRows[e]);
      out.states[e].push(nRows[e]);
      out.rewards[e].push(rs[e]);
      out.returns[e] += rs[e];
      rewardSum += rs[e];
    }
    onProgress?.({
      step: t + 1,
      steps,
      meanReward: rewardSum / E,
      meanReturn: out.returns.reduce((x, y) => x + y, 0) / E,
    });
  };
  const last = rollout(environment, act, starts, noise, { steps, where }, record);
  if (last !== starts) last.dispose();
  return out;
}

/**
 * Closed loop: run a policy in the environment for E episodes side by side.
 * @param environment single-model dynamics (members = 1) and reward
 * @param policy a_t = π(s_t), (E, S) → (E, A)
 * @param starts (E, S)
 * @param rng its first split is the environment's noise
 */
export function runPolicy(
  environment: System,
  policy: Policy,
  starts: tf.Tensor2D,
  rng: Rng,
  options?: Partial<RunOptions>,
): Episodes {
  const where = "runPolicy";
  const o = fillOptions(where, RUN_DEFAULTS, options, { steps: positiveInt });
  const noise = rng.split();
  return recordEpisodes(where, environment, starts, o.steps, (s) => policy(s), noise, o.onProgress);
}

/**
 * Open loop: play a fixed plan in the environment for E episodes, whatever states they reach.
 * @param environment single-model dynamics (members = 1) and reward
 * @param plan (T, A), the same plan in every episode, or (E, T, A), one plan per episode
 * @param starts (E, S)
 * @param rng its first split is the environment's noise
 */
export function executePlan(
  environment: System,
  plan: tf.Tensor2D | tf.Tensor3D,
  starts: tf.Tensor2D,
  rng: Rng,
): Episodes {
  const where = "executePlan";
  const A = environment.dynamics.actionSize;
  const [E] = assertShape(where, "starts", starts, [null, environment.dynamics.stateSize]);
  const [T] =
    plan.rank === 2
      ? assertShape(where, "plan", plan, [null, A])
      : assertShape(where, "plan", plan, [E, null, A]).slice(1);
  check(T > 0, where, "plan must hold at least one step");
  const noise = rng.split();
  const byStep = tf.tidy(
    () => tf.unstack(plan.rank === 2 ? plan.expandDims(0).tile([E, 1, 1]) : plan, 1) as tf.Tensor2D[],
  );
  try {
    return recordEpisodes(where, environment, starts, T, (_, t) => byStep[t], noise);
  } finally {
    tf.dispose(byStep);
  }
}
