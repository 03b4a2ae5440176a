import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import type { Policy } from "../../src/envs/types";
import { cem, type CemProgress } from "../../src/planning/cem";
import { policySearch } from "../../src/planning/policySearch";
import { Rng } from "../../src/random";
import { leakedTensors } from "./helpers";
import { scalarTask } from "./planning-toys";

// x' = x + a + w, r = −x'². For a = −k·x, x_{t+1} = (1 − k)x_t + w_t: every step's cost is
// smallest at k = 1 (deadbeat feedback), whatever the start state and noise.
const system = scalarTask(1, 10);
const gainPolicy =
  (params: Float32Array): Policy =>
  (s) =>
    tf.tidy(() => s.mul(-params[0]) as tf.Tensor2D);
const starts = () => tf.tidy(() => tf.tensor2d(new Rng(0).normalArray(64, 0, 1), [64, 1]));

describe("policySearch", () => {
  it("finds the deadbeat gain k = 1 of the linear-Gaussian system (to 0.1)", () => {
    const s0 = starts();
    const seen: CemProgress[] = [];
    const r = policySearch(system, { makePolicy: gainPolicy, space: { low: [-1], high: [3] } }, s0, new Rng(1), {
      samples: 32,
      elites: 6,
      iterations: 6,
      horizon: 10,
      onProgress: (p) => seen.push(p),
    });
    s0.dispose();
    expect(Math.abs(r.mean[0] - 1)).toBeLessThan(0.1);
    expect(seen).toHaveLength(6);
  });

  it("searches a two-parameter family too: a = −k·x + b finds k = 1, b = 0", () => {
    const s0 = starts();
    const affine =
      (p: Float32Array): Policy =>
      (s) =>
        tf.tidy(() => s.mul(-p[0]).add(p[1]) as tf.Tensor2D);
    const r = policySearch(system, { makePolicy: affine, space: { low: [-1, -2], high: [3, 2] } }, s0, new Rng(2), {
      samples: 48,
      elites: 8,
      iterations: 8,
      horizon: 6,
    });
    s0.dispose();
    expect(Math.abs(r.mean[0] - 1)).toBeLessThan(0.15);
    expect(Math.abs(r.mean[1])).toBeLessThan(0.15);
  });

  it("is the same CEM as the planner's: on a noise-free system it equals cem on the rollout returns", () => {
    // Without noise the episode seeds do not matter, so an objective written by hand (a plain
    // loop over candidates and start states) must lead CEM to exactly the same answer.
    const quiet = scalarTask(0, 10);
    const x0 = [1.5, -0.5, 2];
    const s0 = tf.tensor2d(x0, [3, 1]);
    const options = { samples: 16, elites: 4, iterations: 3, horizon: 4 };
    const found = policySearch(
      quiet,
      { makePolicy: gainPolicy, space: { low: [0], high: [2] } },
      s0,
      new Rng(3),
      options,
    );
    s0.dispose();
    const byLoop = (candidates: tf.Tensor2D) =>
      tf.tensor1d(
        Array.from(candidates.dataSync()).map((k) => {
          let total = 0;
          for (const start of x0) {
            let x = start;
            for (let t = 0; t < 4; t++) {
              x = Math.fround(x - Math.fround(k * x));
              total -= x * x;
            }
          }
          return total / x0.length;
        }),
      );
    const rng = new Rng(3);
    rng.split(); // policySearch takes its episode seeds from the first split
    const direct = cem(byLoop, { low: [0], high: [2] }, rng, { samples: 16, elites: 4, iterations: 3 });
    expect(found.mean[0]).toBeCloseTo(direct.mean[0], 5);
  });

  it("gives the same result for the same seed", () => {
    const s0 = starts();
    const run = (seed: number) =>
      policySearch(system, { makePolicy: gainPolicy, space: { low: [-1], high: [3] } }, s0, new Rng(seed), {
        samples: 8,
        elites: 2,
        iterations: 2,
        horizon: 3,
      }).mean[0];
    expect(run(4)).toBe(run(4));
    expect(run(4)).not.toBe(run(5));
    s0.dispose();
  });

  it("rejects impossible settings naming the option, and leaks no tensors", () => {
    const s0 = starts();
    const family = { makePolicy: gainPolicy, space: { low: [-1], high: [3] } };
    const rng = new Rng(6);
    expect(() => policySearch(system, family, s0, rng, { horizon: 0 })).toThrow(/policySearch: option horizon/);
    expect(() => policySearch(system, family, s0, rng, { samples: 4, elites: 8 })).toThrow(
      /policySearch: option elites \(8\) must be <= samples \(4\)/,
    );
    tf.tidy(() => {
      expect(() => policySearch(system, family, tf.zeros([2, 3]) as tf.Tensor2D, rng)).toThrow(
        /policySearch: starts must have shape \[\*, 1\]/,
      );
    });
    // A policy family whose policies hold their own tensors: they are built inside CEM's tidy.
    const holding = (p: Float32Array): Policy => {
      const k = tf.scalar(p[0]);
      return (s) => tf.mul(s, k.neg()) as tf.Tensor2D;
    };
    expect(
      leakedTensors(() =>
        policySearch(system, { ...family, makePolicy: holding }, s0, rng, {
          samples: 8,
          elites: 2,
          iterations: 2,
          horizon: 3,
        }),
      ),
    ).toBe(0);
    s0.dispose();
  });
});
