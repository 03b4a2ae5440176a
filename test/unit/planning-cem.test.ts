import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { cem, cemBatch, type CemProgress } from "../../src/planning/cem";
import type { SearchObjective } from "../../src/planning/search";
import { Rng } from "../../src/random";
import { leakedTensors } from "./helpers";

/** f(x) = −Σ w_i (x_i − c_i)²: on a box its argmax is c clipped to the box, dimension by dimension. */
function quadratic(c: number[], w: number[]): SearchObjective {
  return (x) => tf.tidy(() => x.sub(tf.tensor1d(c)).square().mul(tf.tensor1d(w)).sum(1).neg() as tf.Tensor1D);
}

/** An objective that also records every batch of candidates and scores it was asked for. */
function recording(objective: SearchObjective) {
  const calls: { candidates: number[][]; scores: number[] }[] = [];
  const wrapped: SearchObjective = (x) => {
    const scores = objective(x);
    calls.push({ candidates: x.arraySync(), scores: scores.arraySync() });
    return scores;
  };
  return { calls, objective: wrapped };
}

const box = { low: [-2, -2, -2, -2], high: [2, 2, 2, 2] };
const opts = { samples: 200, elites: 20, iterations: 12 };

/** Column-wise mean and population std of some rows. */
function moments(rows: number[][]): { mean: number[]; std: number[] } {
  const D = rows[0].length;
  const mean = Array.from({ length: D }, (_, i) => rows.reduce((a, r) => a + r[i], 0) / rows.length);
  const std = mean.map((m, i) => Math.sqrt(rows.reduce((a, r) => a + (r[i] - m) ** 2, 0) / rows.length));
  return { mean, std };
}

/** The E best rows by score, found by sorting in plain JS. */
function elitesOf(call: { candidates: number[][]; scores: number[] }, E: number): number[][] {
  const order = call.scores
    .map((s, i) => [s, i])
    .sort((a, b) => b[0] - a[0])
    .slice(0, E);
  return order.map(([, i]) => call.candidates[i]);
}

describe("cem", () => {
  it("finds the argmax of a quadratic, clipped to the box (to 0.02 per dimension)", () => {
    const c = [0.7, -1.3, 3, -2.5]; // the last two lie outside the box: optimum on its faces
    const result = cem(quadratic(c, [1, 2, 0.5, 1]), box, new Rng(1), opts);
    const argmax = c.map((ci, i) => Math.min(Math.max(ci, box.low[i]), box.high[i]));
    result.mean.forEach((m, i) => expect(Math.abs(m - argmax[i])).toBeLessThan(0.02));
    const optimum = -(0.5 * 1 ** 2 + 1 * 0.5 ** 2); // −Σ w (clip(c) − c)²
    expect(result.bestScore).toBeLessThanOrEqual(optimum + 1e-6);
    expect(result.bestScore).toBeGreaterThan(optimum - 1e-3);
  });

  it("follows hw4: uniform first iteration, then clipped Gaussians refitted to the elites with smoothing α", () => {
    const { calls, objective } = recording(quadratic([0.5, -0.5, 1, 0], [1, 1, 1, 1]));
    const alpha = 0.6;
    const E = 10;
    const result = cem(objective, box, new Rng(2), { samples: 400, elites: E, iterations: 2, alpha });
    expect(calls).toHaveLength(2);
    // Iteration 1 is uniform on [−2, 2]: mean 0, std 4/√12.
    const first = moments(calls[0].candidates);
    first.mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(0.3));
    first.std.forEach((s) => expect(s).toBeCloseTo(4 / Math.sqrt(12), 1));
    // Its elites' moments are taken as they are; iteration 2's are blended in with α.
    const g1 = moments(elitesOf(calls[0], E));
    const g2 = moments(elitesOf(calls[1], E));
    g2.mean.forEach((m, i) => expect(result.mean[i]).toBeCloseTo(alpha * m + (1 - alpha) * g1.mean[i], 4));
    g2.std.forEach((s, i) => expect(result.std[i]).toBeCloseTo(alpha * s + (1 - alpha) * g1.std[i], 4));
    for (const call of calls)
      for (const x of call.candidates) x.forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(2));
  });

  it("starts from N(initialMean, initialStd²) when warm-started", () => {
    const { calls, objective } = recording(quadratic([0, 0, 0, 0], [1, 1, 1, 1]));
    const initialMean = [0.5, -0.5, 0, 1];
    cem(objective, { ...box, initialMean }, new Rng(3), { samples: 2000, elites: 10, iterations: 1, initialStd: 0.2 });
    const m = moments(calls[0].candidates);
    m.mean.forEach((v, i) => expect(v).toBeCloseTo(initialMean[i], 1));
    m.std.forEach((v) => expect(v).toBeCloseTo(0.2, 1));
  });

  it("gives the same answer for the same seed and a different one for another seed", () => {
    const f = quadratic([0.3, 0.1, -0.2, 0.4], [1, 1, 1, 1]);
    const short = { samples: 50, elites: 5, iterations: 2 };
    const a = cem(f, box, new Rng(7), short);
    const b = cem(f, box, new Rng(7), short);
    const c = cem(f, box, new Rng(8), short);
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    expect(Array.from(a.mean)).not.toEqual(Array.from(c.mean));
  });

  it("reports progress once per iteration, the best score never decreasing", () => {
    const seen: CemProgress[] = [];
    cem(quadratic([0, 0, 0, 0], [1, 1, 1, 1]), box, new Rng(4), {
      ...opts,
      iterations: 5,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.map((p) => p.iteration)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < seen.length; i++) expect(seen[i].bestScore).toBeGreaterThanOrEqual(seen[i - 1].bestScore);
    seen.forEach((p) => expect(p.eliteScore).toBeLessThanOrEqual(p.bestScore));
  });

  it("rejects impossible settings, naming the option", () => {
    const f = quadratic([0, 0, 0, 0], [1, 1, 1, 1]);
    const rng = new Rng(5);
    expect(() => cem(f, box, rng, { samples: 10, elites: 11 })).toThrow(
      /cem: option elites \(11\) must be <= samples \(10\)/,
    );
    expect(() => cem(f, box, rng, { alpha: 0 })).toThrow(/cem: option alpha/);
    expect(() => cem(f, box, rng, { iterations: 0 })).toThrow(/cem: option iterations/);
    expect(() => cem(f, box, rng, { samples: 2.5 })).toThrow(/cem: option samples/);
    expect(() => cem(f, box, rng, { elitez: 3 } as never)).toThrow(/cem: unknown option "elitez"/);
    expect(() => cem(f, { low: [0, 0], high: [1] }, rng)).toThrow(/cem: high must have the same length as low/);
    expect(() => cem(f, { low: [1], high: [0] }, rng)).toThrow(/cem: low\[0\] = 1 must be <= high\[0\]/);
    expect(() => cem(f, { ...box, initialMean: [0] }, rng)).toThrow(/cem: initialMean\[0\] must have 4 entries/);
    expect(() => cem(() => tf.zeros([3]) as tf.Tensor1D, box, rng)).toThrow(
      /cem: objective output must have shape \[1000\]/,
    );
    expect(() => cem((x) => tf.fill([x.shape[0]], NaN) as tf.Tensor1D, box, rng)).toThrow(
      /cem: elite scores .* must be finite/,
    );
  });

  it("leaks no tensors, also when the objective fails", () => {
    const f = quadratic([0.1, 0.2, 0.3, 0.4], [1, 1, 1, 1]);
    const rng = new Rng(6);
    expect(
      leakedTensors(() =>
        cem(f, { ...box, initialMean: [0, 0, 0, 0] }, rng, { samples: 50, elites: 5, iterations: 3 }),
      ),
    ).toBe(0);
    const bad: SearchObjective = (x) => tf.fill([x.shape[0]], NaN) as tf.Tensor1D;
    expect(leakedTensors(() => expect(() => cem(bad, box, rng, { samples: 20, elites: 2 })).toThrow())).toBe(0);
  });
});

describe("cemBatch", () => {
  it("solves P independent problems side by side, each to its own optimum", () => {
    const centres = [
      [0.5, -1],
      [-1.5, 0.2],
      [1, 1],
    ];
    const objective = (x: tf.Tensor3D) =>
      tf.tidy(() => x.sub(tf.tensor2d(centres).expandDims(1)).square().sum(2).neg() as tf.Tensor2D);
    const r = cemBatch(objective, { low: [-2, -2], high: [2, 2], problems: 3 }, new Rng(9), opts);
    expect(r.mean).toHaveLength(3);
    centres.forEach((c, p) => c.forEach((ci, i) => expect(Math.abs(r.mean[p][i] - ci)).toBeLessThan(0.02)));
  });

  it("rejects a warm start with the wrong number of rows", () => {
    const objective = (x: tf.Tensor3D) => x.sum(2) as tf.Tensor2D;
    expect(() => cemBatch(objective, { low: [0], high: [1], problems: 2, initialMean: [[0]] }, new Rng(1))).toThrow(
      /cemBatch: initialMean must have 2 rows/,
    );
    expect(() => cemBatch(objective, { low: [0], high: [1], problems: 0 }, new Rng(1))).toThrow(/cemBatch: problems/);
  });
});
