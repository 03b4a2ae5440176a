/**
 * What the sampling-based optimisers (random shooting, CEM) share.
 *
 * They search a box of flat vectors x ∈ R^D and only ever ask an objective to score a batch of
 * candidates. Nothing here knows what a candidate means: an action sequence flattened to
 * H·A numbers, or the parameters of a policy. That is the point of the lecture's comparison,
 * the same optimiser applied to a different object.
 *
 * Everything is batched over P independent problems (e.g. one planning problem per episode
 * of an MPC run), candidates (P, N, D) and scores (P, N); the single-problem versions are P = 1.
 */
import * as tf from "@tensorflow/tfjs";
import { assertFinite, assertShape, check } from "../checks";
import type { Rng } from "../random";

/**
 * Scores N candidates of one problem; higher is better.
 * @param candidates (N, D)
 * @returns scores (N)
 */
export type SearchObjective = (candidates: tf.Tensor2D) => tf.Tensor1D;

/**
 * Scores N candidates for each of P independent problems; higher is better.
 * @param candidates (P, N, D)
 * @returns scores (P, N)
 */
export type BatchSearchObjective = (candidates: tf.Tensor3D) => tf.Tensor2D;

/** A box of candidate vectors, low[i] ≤ x[i] ≤ high[i], one entry per dimension (D). */
export interface Box {
  low: number[];
  high: number[];
}

/** A box shared by P independent problems. */
export interface BatchBox extends Box {
  /** How many independent problems P are solved side by side. */
  problems: number;
}

/** Check a box and return its dimension D. */
export function checkBox(where: string, box: Box): number {
  check(Array.isArray(box.low) && Array.isArray(box.high), where, "low and high must be arrays of numbers");
  const D = box.low.length;
  check(D > 0, where, "low must have at least one entry");
  check(box.high.length === D, where, `high must have the same length as low (${D}), got ${box.high.length}`);
  assertFinite(where, "low", box.low);
  assertFinite(where, "high", box.high);
  box.low.forEach((lo, i) =>
    check(lo <= box.high[i], where, `low[${i}] = ${lo} must be <= high[${i}] = ${box.high[i]}`),
  );
  return D;
}

/** Check the number of problems P of a batched search. */
export function checkProblems(where: string, problems: number): number {
  check(Number.isInteger(problems) && problems > 0, where, `problems must be a positive integer, got ${problems}`);
  return problems;
}

/**
 * N candidates per problem drawn uniformly in the box.
 * @returns (P, N, D)
 */
export function sampleUniform(rng: Rng, problems: number, samples: number, box: Box): tf.Tensor3D {
  const D = box.low.length;
  return tf.tidy(() => {
    const u = tf.tensor3d(rng.uniformArray(problems * samples * D), [problems, samples, D]);
    const low = tf.tensor1d(box.low);
    return low.add(u.mul(tf.tensor1d(box.high).sub(low))) as tf.Tensor3D;
  });
}

/**
 * N candidates per problem drawn from N(mean, std²) per dimension, clipped to the box.
 * @param mean (P, D)
 * @param std (P, D)
 * @returns (P, N, D)
 */
export function sampleNormal(rng: Rng, mean: tf.Tensor2D, std: tf.Tensor2D, samples: number, box: Box): tf.Tensor3D {
  const [P, D] = mean.shape;
  return tf.tidy(() => {
    const z = tf.tensor3d(rng.normalArray(P * samples * D), [P, samples, D]);
    const x = mean.expandDims(1).add(std.expandDims(1).mul(z));
    return tf.minimum(tf.maximum(x, tf.tensor1d(box.low)), tf.tensor1d(box.high)) as tf.Tensor3D;
  });
}

/**
 * Pick K candidates per problem by index. (tf.gather with batchDims is avoided on purpose: the
 * wasm backend of tfjs 4.22 returns wrong rows for it beyond the first batch.)
 * @param candidates (P, N, D)
 * @param indices (P, K) int32, each in [0, N)
 * @returns (P, K, D)
 */
export function gatherCandidates(candidates: tf.Tensor3D, indices: tf.Tensor2D): tf.Tensor3D {
  const [P, N, D] = candidates.shape;
  const K = indices.shape[1];
  return tf.tidy(() => {
    const offsets = tf.range(0, P * N, N, "int32").reshape([P, 1]);
    const flat = tf.gather(candidates.reshape([P * N, D]), indices.add(offsets).reshape([P * K]));
    return flat.reshape([P, K, D]) as tf.Tensor3D;
  });
}

/** Call a batched objective and check that it returned one score per candidate. */
export function scoreCandidates(where: string, objective: BatchSearchObjective, candidates: tf.Tensor3D): tf.Tensor2D {
  const [P, N] = candidates.shape;
  const scores = objective(candidates);
  assertShape(where, "objective output", scores, [P, N]);
  return scores;
}

/** View a single-problem objective as a batched one with P = 1. */
export function asBatchObjective(where: string, objective: SearchObjective): BatchSearchObjective {
  return (candidates) => {
    const [, N, D] = candidates.shape;
    const scores = objective(candidates.reshape([N, D]) as tf.Tensor2D);
    assertShape(where, "objective output", scores, [N]);
    return scores.reshape([1, N]) as tf.Tensor2D;
  };
}

/** Split a flat (P·D) array into P rows of D. */
export function rows(flat: Float32Array, D: number): Float32Array[] {
  return Array.from({ length: flat.length / D }, (_, p) => flat.slice(p * D, (p + 1) * D));
}
