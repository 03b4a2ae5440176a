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
export function dataTensor<T extends tf.Tensor>(where: string, name: string, value: T | number[][] | number[][][], pattern: (number | null)[]): T {
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
