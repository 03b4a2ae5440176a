/**
 * Recorded data that models learn from and are judged on: transitions (s, a, s') and whole
 * trajectories. Either form is accepted as tensors or as plain nested arrays (e.g. columns
 * read from a CSV), and is checked once here so that errors name the field that is wrong.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check } from "../checks";

/** Recorded transitions, as tensors or plain nested arrays. */
export interface TransitionData {
  /** (N, S) */
  states: tf.Tensor2D | number[][];
  /** (N, A) */
  actions: tf.Tensor2D | number[][];
  /** (N, S) */
  nextStates: tf.Tensor2D | number[][];
}

/** Recorded trajectories, as tensors or plain nested arrays. */
export interface Trajectories {
  /** (E, T+1, S): s_0 … s_T of each episode. */
  states: tf.Tensor3D | number[][][];
  /** (E, T, A): a_0 … a_{T−1} of each episode. */
  actions: tf.Tensor3D | number[][][];
}

/**
 * One field of the data as a float32 tensor the caller owns (a new handle even when given a
 * tensor), checked against a shape pattern (null = any size) and for finite entries.
 * @param where the calling function, for error messages
 * @param name the field's name, e.g. "states"
 */
export function dataTensor<T extends tf.Tensor>(
  where: string,
  name: string,
  value: T | number[][] | number[][][],
  pattern: (number | null)[],
): T {
  check(value != null, where, `data.${name} is missing`);
  const want = pattern.map((d) => (d === null ? "*" : String(d))).join(", ");
  let t: tf.Tensor;
  try {
    t = value instanceof tf.Tensor ? tf.cast(value, "float32") : tf.tensor(value, undefined, "float32");
  } catch (e) {
    throw new Error(`${where}: data.${name} must be a [${want}] array of numbers (${(e as Error).message})`);
  }
  try {
    assertShape(where, `data.${name}`, t, pattern);
    check(tf.tidy(() => tf.all(tf.isFinite(t)).dataSync()[0]) === 1, where, `data.${name} must be finite`);
  } catch (e) {
    t.dispose();
    throw e;
  }
  return t as T;
}

/** Transitions as plain arrays, row by row: what `transitionsFromEpisodes` returns. */
export interface TransitionRows {
  /** (N, S) */
  states: number[][];
  /** (N, A) */
  actions: number[][];
  /** (N, S) */
  nextStates: number[][];
}

/**
 * The transitions (s_t, a_t, s_{t+1}) of recorded episodes, e.g. the `Episodes` that
 * `executePlan`, `runPolicy` or `mpc` return, flattened for `fitDynamics`.
 * @param episodes states (E, T+1, S) and actions (E, T, A) as plain arrays
 * @returns states (E·T, S), actions (E·T, A), nextStates (E·T, S); row e·T + t is step t of
 *   episode e (episodes may differ in length T, then rows follow episode by episode)
 */
export function transitionsFromEpisodes(episodes: { states: number[][][]; actions: number[][][] }): TransitionRows {
  const where = "transitionsFromEpisodes";
  check(
    episodes != null && Array.isArray(episodes.states) && Array.isArray(episodes.actions),
    where,
    "episodes must hold states (E, T+1, S) and actions (E, T, A) as arrays",
  );
  const { states, actions } = episodes;
  check(
    states.length === actions.length,
    where,
    `episodes.states and episodes.actions must hold the same number of episodes, got ${states.length} and ${actions.length}`,
  );
  const out: TransitionRows = { states: [], actions: [], nextStates: [] };
  states.forEach((s, e) => {
    check(
      s.length === actions[e].length + 1,
      where,
      `episode ${e} must have one more state than actions (T+1 and T), got ${s.length} states and ${actions[e].length} actions`,
    );
    actions[e].forEach((a, t) => {
      out.states.push(s[t]);
      out.actions.push(a);
      out.nextStates.push(s[t + 1]);
    });
  });
  return out;
}
