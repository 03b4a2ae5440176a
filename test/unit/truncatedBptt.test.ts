import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { Rng } from "../../src/random";
import { ValueFunction, fitValueFunction } from "../../src/models/valueFunction";
import {
  trainTruncatedBptt,
  truncatedGradientNorms,
  truncatedObjective,
  valueTargets,
} from "../../src/control/truncatedBptt";
import { policyObjective } from "../../src/control/rollout";
import { linearPolicy, quadratic, scalarSystem } from "./scalarLq";

beforeAll(async () => {
  await initBackend();
});

// x' = 1.2 x + u, r = −(x² + 0.1 u²), u = −k x.
const [a, q, r, gamma] = [1.2, 1, 0.1, 0.9];
const system = scalarSystem(a, 1);
const reward = quadratic(q, r);

/** Plain loop: Σ_{j<L} γ^j r_{t+j} along x_t = (a − k)^t x_0. */
function loopReturn(x0: number, k: number, t: number, L: number): number {
  let total = 0;
  for (let j = 0; j < L; j++) {
    const x = x0 * (a - k) ** (t + j);
    total += gamma ** j * -(q * x * x + r * k * k * x * x);
  }
  return total;
}

describe("value function and truncated BPTT", () => {
  it("valueTargets gives each state its L-step discounted return", () => {
    const policy = linearPolicy(0.5);
    const starts = tf.tensor2d([[1], [-2]]);
    const { states, returns } = valueTargets({ dynamics: system, reward }, policy.policy, starts, {
      horizon: 4,
      discount: gamma,
    });
    expect(states.shape).toEqual([8, 1]);
    const [s, g] = [states.dataSync(), returns.dataSync()];
    [1, -2].forEach((x0, n) =>
      [0, 1, 2, 3].forEach((t) => {
        expect(s[n * 4 + t]).toBeCloseTo(x0 * (a - 0.5) ** t, 5);
        expect(g[n * 4 + t]).toBeCloseTo(loopReturn(x0, 0.5, t, 4), 4);
      }),
    );
    tf.dispose([states, returns, starts, policy.k]);
  });

  it("fitValueFunction learns V(x) = −c x² to a small error", () => {
    const value = new ValueFunction(1, new Rng(0), { hiddenSizes: [16, 16] });
    const xs = new Rng(1).uniformArray(512, -2, 2);
    const states = tf.tensor2d(xs, [512, 1]);
    const targets = tf.tensor1d(Array.from(xs, (x) => -3 * x * x));
    // 150 full-batch steps at 2e-2 land well inside both bounds (300 at 1e-2 did too, in twice the time).
    const losses = fitValueFunction(value, states, targets, new Rng(2), {
      epochs: 150,
      batchSize: 512,
      learningRate: 2e-2,
    });
    expect(losses[losses.length - 1]).toBeLessThan(0.01 * losses[0]);
    const test = tf.tensor2d([[-1.5], [0], [1]]);
    const v = value.predict(test).dataSync();
    [-6.75, 0, -3].forEach((want, i) => expect(Math.abs(v[i] - want)).toBeLessThan(0.3));
    tf.dispose([states, targets, test]);
    value.dispose();
  });

  it("truncatedObjective is the discounted window return plus γ^h V(s_h)", () => {
    const value = new ValueFunction(1, new Rng(0));
    const seed = tf.tensor2d([[1], [2]]);
    const seedTargets = tf.tensor1d([-1, -4]);
    fitValueFunction(value, seed, seedTargets, new Rng(1), { epochs: 1 });
    const policy = linearPolicy(0.5);
    const starts = tf.tensor2d([[1], [-0.5], [0.3]]);
    const h = 3;
    const Jh = truncatedObjective({ dynamics: system, reward }, policy.policy, value, starts, {
      window: h,
      discount: gamma,
    }).dataSync()[0];
    const window = policyObjective({ dynamics: system, reward }, policy.policy, starts, undefined, {
      horizon: h,
      discount: gamma,
    }).dataSync()[0];
    const ends = tf.tensor2d([1, -0.5, 0.3].map((x) => [x * 0.7 ** h]));
    const tail = value.predict(ends).mean().dataSync()[0];
    expect(Jh).toBeCloseTo(window + gamma ** h * tail, 4);
    tf.dispose([seed, seedTargets, starts, ends, policy.k]);
    value.dispose();
  });

  it("truncatedGradientNorms gives |dJ_h/dk| per batch, as finite differences of J_h do", () => {
    const value = new ValueFunction(1, new Rng(0));
    const seed = tf.tensor2d([[1], [2]]);
    const seedTargets = tf.tensor1d([-1, -4]);
    fitValueFunction(value, seed, seedTargets, new Rng(1), { epochs: 1 });
    const policy = linearPolicy(0.5);
    const system = { dynamics: scalarSystem(a, 1), reward };
    const starts = tf.tensor2d([[1], [-0.5]]);
    const norms = truncatedGradientNorms(system, policy, value, starts, new Rng(0), {
      batches: 3,
      window: 4,
      discount: gamma,
    });
    expect(norms.length).toBe(3);
    // A fixed batch: all three equal, and equal to |J_h(k + ε) − J_h(k − ε)| / 2ε.
    const Jh = (k: number) => {
      tf.tidy(() => policy.k.assign(tf.scalar(k)));
      return truncatedObjective(system, policy.policy, value, starts, { window: 4, discount: gamma }).dataSync()[0];
    };
    const fd = Math.abs(Jh(0.5 + 1e-2) - Jh(0.5 - 1e-2)) / 2e-2;
    norms.forEach((g) => expect(g).toBeCloseTo(norms[0], 6));
    expect(Math.abs(norms[0] - fd) / fd).toBeLessThan(1e-2);
    tf.dispose([seed, seedTargets, starts, policy.k]);
    value.dispose();
  });

  it("trainTruncatedBptt with a short window improves the long-horizon return of the gain", () => {
    const before = tf.memory().numTensors;
    const value = new ValueFunction(1, new Rng(0), { hiddenSizes: [16] });
    const policy = linearPolicy(0.3); // |1.2 − 0.3| = 0.9: stable but slow
    const sampler = (rng: Rng, n: number) => rng.uniformTensor([n, 1], -1, 1) as tf.Tensor2D;
    const history = trainTruncatedBptt({ dynamics: system, reward }, policy, value, sampler, new Rng(1), {
      window: 2,
      iterations: 60,
      learningRate: 0.05,
      discount: gamma,
      criticEvery: 10,
      criticHorizon: 30,
      criticFit: { epochs: 20, batchSize: 1024, learningRate: 1e-2 },
    });
    const k = policy.k.dataSync()[0];
    // Judge by the exact 100-step discounted return from x0 = 1 (independent of the critic).
    expect(loopReturn(1, k, 0, 100)).toBeGreaterThan(loopReturn(1, 0.3, 0, 100));
    expect(history.length).toBe(60);
    expect(history.every((p) => Number.isFinite(p.gradNorm))).toBe(true);
    tf.dispose([policy.k]);
    value.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("names the bad argument", () => {
    const value = new ValueFunction(1, new Rng(0));
    const policy = linearPolicy(0.3);
    const starts = tf.tensor2d([[1]]);
    expect(() => value.predict(starts)).toThrow(/ValueFunction.predict: fit the value function/);
    expect(() =>
      trainTruncatedBptt({ dynamics: system, reward }, policy, value, starts, new Rng(0), { window: 0 }),
    ).toThrow(/trainTruncatedBptt: option window must be a positive integer/);
    expect(() => new ValueFunction(1, new Rng(0), { hiddenSizes: [0] })).toThrow(/ValueFunction: option hiddenSizes/);
    tf.dispose([starts, policy.k]);
    value.dispose();
  });
});
