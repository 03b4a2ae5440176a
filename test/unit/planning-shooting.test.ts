import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { randomShooting, randomShootingBatch } from "../../src/planning/randomShooting";
import { sequenceReturns } from "../../src/planning/returns";
import type { BatchSearchObjective, SearchObjective } from "../../src/planning/search";
import { Rng } from "../../src/random";
import { leakedTensors } from "./helpers";
import { quadraticReward, sequenceReturnJs, toyEnsemble } from "./planning-toys";

const { reward, rewardJs } = quadraticReward();
const H = 4;
const model = toyEnsemble(2);
const start = [1, -0.5];
const box = { low: [-1, -1, -1, -1], high: [1, 1, 1, 1] }; // H = 4 actions of size 1

/** Candidates (N, H) scored as action sequences through the toy ensemble; every call recorded. */
function planningObjective() {
  const calls: number[][][] = [];
  const objective: SearchObjective = (x) => {
    calls.push(x.arraySync());
    return tf.tidy(() =>
      sequenceReturns({ dynamics: model, reward }, x.reshape([x.shape[0], H, 1]) as tf.Tensor3D, tf.tensor1d(start)),
    );
  };
  return { calls, objective };
}

describe("randomShooting", () => {
  it("returns the best of the sequences it drew (checked by a plain loop)", () => {
    const { calls, objective } = planningObjective();
    const r = randomShooting(objective, box, new Rng(1), { samples: 300 });
    expect(calls).toHaveLength(1);
    const scores = calls[0].map((x) =>
      sequenceReturnJs(
        model,
        rewardJs,
        start,
        x.map((a) => [a]),
      ),
    );
    const argmax = scores.indexOf(Math.max(...scores));
    expect(Array.from(r.best)).toEqual(calls[0][argmax].map((v) => Math.fround(v)));
    expect(r.bestScore).toBeCloseTo(scores[argmax], 4);
  });

  it("draws uniformly inside the bounds", () => {
    const { calls, objective } = planningObjective();
    randomShooting(objective, { low: [-1, 0, 0.5, -3], high: [1, 2, 0.5, -1] }, new Rng(2), { samples: 2000 });
    const columns = [0, 1, 2, 3].map((i) => calls[0].map((x) => x[i]));
    const [lo, hi] = [
      [-1, 0, 0.5, -3],
      [1, 2, 0.5, -1],
    ];
    columns.forEach((col, i) => {
      col.forEach((v) => {
        expect(v).toBeGreaterThanOrEqual(lo[i]);
        expect(v).toBeLessThanOrEqual(hi[i]);
      });
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      expect(mean).toBeCloseTo((lo[i] + hi[i]) / 2, 1);
    });
  });

  it("gives the same plan for the same seed and another plan for another seed", () => {
    const f = planningObjective().objective;
    const a = randomShooting(f, box, new Rng(3), { samples: 50 });
    const b = randomShooting(f, box, new Rng(3), { samples: 50 });
    const c = randomShooting(f, box, new Rng(4), { samples: 50 });
    expect(Array.from(a.best)).toEqual(Array.from(b.best));
    expect(Array.from(a.best)).not.toEqual(Array.from(c.best));
  });

  it("batched: each problem gets the best of its own candidates", () => {
    const weights = [1, -1, 0.5];
    const seen: number[][][][] = [];
    const objective: BatchSearchObjective = (x) => {
      seen.push(x.arraySync());
      return tf.tidy(() => x.sum(2).mul(tf.tensor2d(weights, [3, 1])) as tf.Tensor2D);
    };
    const r = randomShootingBatch(objective, { low: [-1, -1], high: [1, 1], problems: 3 }, new Rng(5), {
      samples: 100,
    });
    weights.forEach((w, p) => {
      const scores = seen[0][p].map((x) => w * (x[0] + x[1]));
      const argmax = scores.indexOf(Math.max(...scores));
      expect(Array.from(r.best[p])).toEqual(seen[0][p][argmax].map((v) => Math.fround(v)));
      expect(r.bestScore[p]).toBeCloseTo(scores[argmax], 5);
    });
  });

  it("rejects bad options naming them, and leaks no tensors", () => {
    const f = planningObjective().objective;
    expect(() => randomShooting(f, box, new Rng(6), { samples: 0 })).toThrow(/randomShooting: option samples/);
    expect(() => randomShooting(f, box, new Rng(6), { elites: 3 } as never)).toThrow(
      /randomShooting: unknown option "elites"/,
    );
    expect(() => randomShooting(f, { low: [0], high: [1, 2] }, new Rng(6))).toThrow(
      /randomShooting: high must have the same length/,
    );
    const rng = new Rng(7);
    expect(leakedTensors(() => randomShooting(f, box, rng, { samples: 64 }))).toBe(0);
  });
});
