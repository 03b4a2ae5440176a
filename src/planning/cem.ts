/**
 * The cross-entropy method (CEM), a generic optimiser over flat vectors in a box.
 *
 * Each iteration draws N candidates, scores them in one batch, and refits a diagonal Gaussian
 * to the E best (the elites). As in CS285 hw4, the first iteration draws uniformly in the box
 * and later ones draw from N(mean, std²) clipped to the box; the refit may be smoothed,
 * mean ← α·elite mean + (1 − α)·mean (likewise std). Given a warm-start mean, every iteration
 * draws from the Gaussian, starting with std = initialStd.
 *
 * CEM never looks inside a candidate: the same function plans action sequences
 * (`openLoopPlan`) and searches policy parameters (`policySearch`).
 */
import * as tf from "@tensorflow/tfjs";
import { assertFinite, check, fillOptions, positive, positiveInt, type Rule } from "../checks";
import type { Rng } from "../random";
import {
  asBatchObjective,
  checkBox,
  checkProblems,
  gatherCandidates,
  rows,
  sampleNormal,
  sampleUniform,
  scoreCandidates,
  type BatchBox,
  type BatchSearchObjective,
  type Box,
  type SearchObjective,
} from "./search";

/** Plain numbers reported after each CEM iteration. */
export interface CemProgress {
  /** 1-based iteration just finished. */
  iteration: number;
  iterations: number;
  /** The best score drawn so far (averaged over problems when batched). */
  bestScore: number;
  /** The mean score of this iteration's elites (averaged over problems when batched). */
  eliteScore: number;
}

export interface CemOptions {
  /** Candidates N drawn per iteration. @default 1000 (CS285 hw4) */
  samples: number;
  /** Elites E, the best candidates the Gaussian is refitted to; at most `samples`. @default 5 (hw4) */
  elites: number;
  /** Iterations of draw, score, refit. @default 4 (hw4) */
  iterations: number;
  /** Smoothing α in (0, 1] of the refit; 1 forgets the previous Gaussian. @default 1 (hw4) */
  alpha: number;
  /** Std of the first Gaussian when a warm-start mean is given (unused otherwise). @default 0.5 */
  initialStd: number;
  /** Called after every iteration. @default undefined */
  onProgress: ((progress: CemProgress) => void) | undefined;
}

export const CEM_DEFAULTS: CemOptions = {
  samples: 1000,
  elites: 5,
  iterations: 4,
  alpha: 1,
  initialStd: 0.5,
  onProgress: undefined,
};

const unitInterval: Rule<number> = (v) =>
  Number.isFinite(v) && v > 0 && v <= 1 ? undefined : `must be in (0, 1], got ${v}`;

export const CEM_RULES = {
  samples: positiveInt,
  elites: positiveInt,
  iterations: positiveInt,
  alpha: unitInterval,
  initialStd: positive,
};

/** The cross-option check that `fillOptions` cannot express. */
export function checkElites(where: string, o: { samples: number; elites: number }): void {
  check(o.elites <= o.samples, where, `option elites (${o.elites}) must be <= samples (${o.samples})`);
}

/** A search box with an optional warm start. */
export interface SearchSpace extends Box {
  /** Warm-start mean (D); without it the first iteration draws uniformly in the box. */
  initialMean?: number[];
}

/** A search box shared by P problems, with optional warm starts. */
export interface BatchSearchSpace extends BatchBox {
  /** Warm-start means, P rows of D; without them the first iteration draws uniformly. */
  initialMean?: ArrayLike<number>[];
}

/** The final Gaussian of one problem and the best candidate ever drawn. */
export interface CemResult {
  /** Final mean (D): CEM's answer, as in hw4. */
  mean: Float32Array;
  /** Final std (D). */
  std: Float32Array;
  /** The best candidate drawn in any iteration (D). */
  best: Float32Array;
  bestScore: number;
}

/** `CemResult` for each of P problems (each array has P entries). */
export interface CemBatchResult {
  mean: Float32Array[];
  std: Float32Array[];
  best: Float32Array[];
  bestScore: number[];
}

type Gaussian = { mean: tf.Tensor2D; std: tf.Tensor2D };

function warmStart(where: string, space: BatchSearchSpace, P: number, D: number, std: number): Gaussian | undefined {
  if (space.initialMean === undefined) return undefined;
  check(
    space.initialMean.length === P,
    where,
    `initialMean must have ${P} rows (one per problem), got ${space.initialMean.length}`,
  );
  const flat = new Float32Array(P * D);
  space.initialMean.forEach((row, p) => {
    check(row.length === D, where, `initialMean[${p}] must have ${D} entries, got ${row.length}`);
    assertFinite(where, `initialMean[${p}]`, row);
    flat.set(Array.from(row), p * D);
  });
  return { mean: tf.tensor2d(flat, [P, D]), std: tf.fill([P, D], std) as tf.Tensor2D };
}

function optimise(
  where: string,
  objective: BatchSearchObjective,
  space: BatchSearchSpace,
  rng: Rng,
  options?: Partial<CemOptions>,
): CemBatchResult {
  const o = fillOptions(where, CEM_DEFAULTS, options, CEM_RULES);
  checkElites(where, o);
  const D = checkBox(where, space);
  const P = checkProblems(where, space.problems);
  let g = warmStart(where, space, P, D, o.initialStd);
  const best = Array.from({ length: P }, () => new Float32Array(D));
  const bestScore = new Array<number>(P).fill(-Infinity);
  try {
    for (let iteration = 1; iteration <= o.iterations; iteration++) {
      const prior = g;
      const step = tf.tidy(() => {
        const candidates = prior
          ? sampleNormal(rng, prior.mean, prior.std, o.samples, space)
          : sampleUniform(rng, P, o.samples, space);
        const scores = scoreCandidates(where, objective, candidates); // (P, N)
        const { values, indices } = tf.topk(scores, o.elites); // (P, E), best first
        const elites = gatherCandidates(candidates, indices); // (P, E, D)
        const { mean, variance } = tf.moments(elites, 1);
        const top = gatherCandidates(candidates, indices.slice([0, 0], [P, 1])).reshape([P, D]);
        const smooth = (fit: tf.Tensor, old?: tf.Tensor) => (old ? fit.mul(o.alpha).add(old.mul(1 - o.alpha)) : fit);
        return {
          mean: smooth(mean, prior?.mean) as tf.Tensor2D,
          std: smooth(tf.sqrt(variance), prior?.std) as tf.Tensor2D,
          values,
          top,
        };
      });
      const values = step.values.dataSync();
      const top = step.top.dataSync() as Float32Array;
      tf.dispose([step.values, step.top]);
      if (prior) tf.dispose([prior.mean, prior.std]);
      g = { mean: step.mean, std: step.std };
      assertFinite(where, "elite scores (objective output)", values);
      let eliteSum = 0;
      for (let p = 0; p < P; p++) {
        for (let e = 0; e < o.elites; e++) eliteSum += values[p * o.elites + e];
        if (values[p * o.elites] > bestScore[p]) {
          bestScore[p] = values[p * o.elites];
          best[p] = top.slice(p * D, (p + 1) * D);
        }
      }
      o.onProgress?.({
        iteration,
        iterations: o.iterations,
        bestScore: bestScore.reduce((a, b) => a + b, 0) / P,
        eliteScore: eliteSum / (P * o.elites),
      });
    }
    const final = g as Gaussian; // iterations ≥ 1, so the Gaussian exists
    return {
      mean: rows(final.mean.dataSync() as Float32Array, D),
      std: rows(final.std.dataSync() as Float32Array, D),
      best,
      bestScore,
    };
  } finally {
    if (g) tf.dispose([g.mean, g.std]);
  }
}

/**
 * CEM for P independent problems sharing one box, all scored in one batch per iteration.
 * @param objective scores candidates (P, N, D) → (P, N), higher is better
 * @param space the box (D entries), the number of problems P, optional warm starts (P, D)
 */
export function cemBatch(
  objective: BatchSearchObjective,
  space: BatchSearchSpace,
  rng: Rng,
  options?: Partial<CemOptions>,
): CemBatchResult {
  return optimise("cemBatch", objective, space, rng, options);
}

/**
 * CEM: maximise an objective over vectors in a box.
 * @param objective scores candidates (N, D) → (N), higher is better
 * @param space the box (D entries) and an optional warm-start mean (D)
 */
export function cem(
  objective: SearchObjective,
  space: SearchSpace,
  rng: Rng,
  options?: Partial<CemOptions>,
): CemResult {
  const where = "cem";
  const batchSpace: BatchSearchSpace = { low: space.low, high: space.high, problems: 1 };
  if (space.initialMean !== undefined) batchSpace.initialMean = [space.initialMean];
  const r = optimise(where, asBatchObjective(where, objective), batchSpace, rng, options);
  return { mean: r.mean[0], std: r.std[0], best: r.best[0], bestScore: r.bestScore[0] };
}
