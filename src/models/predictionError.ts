/**
 * Multi-step (open-loop) prediction error of a dynamics model against the horizon.
 *
 * A model that is accurate for one step can still drift far over many: each prediction is
 * fed back as the next input, so errors compound, and the model is queried on states it was
 * never trained on. This is why long model rollouts, and gradients through them, are fragile.
 */
import * as tf from "@tensorflow/tfjs";
import { check } from "../checks";
import type { Dynamics } from "../envs/types";
import { rollout } from "../rollout";
import { dataTensor, type Trajectories } from "./data";

const where = "predictionErrorByHorizon";

/**
 * Roll the model forward open-loop from each episode's first state with its recorded actions,
 * and compare with the recorded states.
 *
 * For an ensemble (M members) every member rolls out every episode on its own (the episodes
 * are tiled M times, member-major), and the errors are averaged over members.
 *
 * @param model any `Dynamics`, stepped without noise
 * @param data states (E, T+1, S) and actions (E, T, A)
 * @returns T numbers: entry k−1 is the mean over episodes, members and state dimensions of
 *   (ŝ_k − s_k)², the squared error k steps ahead. Entry 0 is the one-step MSE in state units.
 *   A rollout that diverges gives Infinity or NaN from that step on (left for the caller to report).
 */
export function predictionErrorByHorizon(model: Dynamics, data: Trajectories): number[] {
  check(data != null, where, "data is missing");
  const states = dataTensor<tf.Tensor3D>(where, "states", data.states, [null, null, model.stateSize]);
  try {
    const [episodes, steps] = states.shape;
    check(
      episodes >= 1 && steps >= 2,
      where,
      `data.states must hold at least one episode of at least 2 states (T ≥ 1), got [${states.shape}]`,
    );
    const actions = dataTensor<tf.Tensor3D>(where, "actions", data.actions, [episodes, steps - 1, model.actionSize]);
    try {
      return rolloutErrors(model, states, actions);
    } finally {
      actions.dispose();
    }
  } finally {
    states.dispose();
  }
}

/** The open-loop rollout itself; states (E, T+1, S), actions (E, T, A). */
function rolloutErrors(model: Dynamics, states: tf.Tensor3D, actions: tf.Tensor3D): number[] {
  const [, steps, S] = states.shape;
  const A = actions.shape[2];
  const tileMembers = (t: tf.Tensor2D) => tf.tile(t, [model.members, 1]) as tf.Tensor2D;
  const at = (t: tf.Tensor3D, k: number, width: number) =>
    tileMembers(tf.slice(t, [0, k, 0], [-1, 1, width]).squeeze([1]) as tf.Tensor2D);
  const start = tf.tidy(() => at(states, 0, S));
  const errors: tf.Scalar[] = [];
  try {
    const last = rollout(
      { dynamics: model },
      (_, t) => at(actions, t, A),
      start,
      undefined,
      { steps: steps - 1, where },
      ({ t, nextStates }) =>
        errors.push(tf.keep(tf.mean(tf.square(tf.sub(nextStates, at(states, t + 1, S)))) as tf.Scalar)),
    );
    last.dispose();
    return Array.from(tf.tidy(() => tf.stack(errors).dataSync()));
  } finally {
    start.dispose();
    errors.forEach((e) => e.dispose());
  }
}

/**
 * The prediction error of a guess that knows nothing: the mean squared difference, per state
 * dimension, between two states drawn independently from the data. That is twice the mean of
 * the per-dimension (population) variances, the yardstick a long open-loop prediction tends to.
 * @param states N states of S numbers each (N ≥ 1)
 */
export function uninformedPredictionError(states: number[][]): number {
  const where = "uninformedPredictionError";
  check(Array.isArray(states) && states.length > 0, where, "states must hold at least one state");
  const S = states[0].length;
  check(
    S > 0 && states.every((s) => s.length === S && s.every(Number.isFinite)),
    where,
    `states must be rows of ${S || "at least one"} finite numbers`,
  );
  const variance = (i: number) => {
    const mean = states.reduce((a, s) => a + s[i], 0) / states.length;
    return states.reduce((a, s) => a + (s[i] - mean) ** 2, 0) / states.length;
  };
  const variances = Array.from({ length: S }, (_, i) => variance(i));
  return (2 * variances.reduce((a, b) => a + b, 0)) / S;
}
