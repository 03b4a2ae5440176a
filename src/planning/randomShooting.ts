/**
 * Random shooting: draw N candidates uniformly in a box, score them all in one batch, keep the
 * best. The simplest "guess and check" optimiser; as a planner its candidates are action
 * sequences, and CEM's first iteration is exactly this.
 */
import * as tf from "@tensorflow/tfjs";
import { assertFinite, fillOptions, positiveInt } from "../checks";
import type { Rng } from "../random";
import {
  asBatchObjective,
  checkBox,
  checkProblems,
  gatherCandidates,
  rows,
  sampleUniform,
  scoreCandidates,
  type BatchBox,
  type BatchSearchObjective,
  type Box,
  type SearchObjective,
} from "./search";

export interface RandomShootingOptions {
  /** How many candidates N are drawn uniformly in the box. @default 1000 */
  samples: number;
}

export const RANDOM_SHOOTING_DEFAULTS: RandomShootingOptions = { samples: 1000 };

/** The best of the candidates drawn for one problem. */
export interface RandomShootingResult {
  /** The best candidate (D). */
  best: Float32Array;
  /** Its score. */
  bestScore: number;
}

/** The best candidate of each of P problems. */
export interface RandomShootingBatchResult {
  /** P rows of D: the best candidate of each problem. */
  best: Float32Array[];
  /** (P) their scores. */
  bestScore: number[];
}

function shoot(
  where: string,
  objective: BatchSearchObjective,
  space: BatchBox,
  rng: Rng,
  options?: Partial<RandomShootingOptions>,
): RandomShootingBatchResult {
  const o = fillOptions(where, RANDOM_SHOOTING_DEFAULTS, options, { samples: positiveInt });
  const D = checkBox(where, space);
  const P = checkProblems(where, space.problems);
  const [best, bestScore] = tf.tidy(() => {
    const candidates = sampleUniform(rng, P, o.samples, space); // (P, N, D)
    const scores = scoreCandidates(where, objective, candidates); // (P, N)
    const top = tf.argMax(scores, 1).expandDims(1) as tf.Tensor2D; // (P, 1)
    return [gatherCandidates(candidates, top).reshape([P, D]), tf.max(scores, 1)] as [tf.Tensor2D, tf.Tensor1D];
  });
  const result = {
    best: rows(best.dataSync() as Float32Array, D),
    bestScore: Array.from(bestScore.dataSync() as Float32Array),
  };
  tf.dispose([best, bestScore]);
  assertFinite(where, "best score (objective output)", result.bestScore);
  return result;
}

/**
 * Random shooting for P independent problems sharing one box.
 * @param objective scores candidates (P, N, D) → (P, N), higher is better
 * @param space the box (D entries) and the number of problems P
 */
export function randomShootingBatch(
  objective: BatchSearchObjective,
  space: BatchBox,
  rng: Rng,
  options?: Partial<RandomShootingOptions>,
): RandomShootingBatchResult {
  return shoot("randomShootingBatch", objective, space, rng, options);
}

/**
 * Random shooting: the best of N uniform candidates in the box.
 * @param objective scores candidates (N, D) → (N), higher is better
 * @param space the box, D entries
 */
export function randomShooting(
  objective: SearchObjective,
  space: Box,
  rng: Rng,
  options?: Partial<RandomShootingOptions>,
): RandomShootingResult {
  const where = "randomShooting";
  const r = shoot(where, asBatchObjective(where, objective), { ...space, problems: 1 }, rng, options);
  return { best: r.best[0], bestScore: r.bestScore[0] };
}
