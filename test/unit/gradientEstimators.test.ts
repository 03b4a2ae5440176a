import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { Rng } from "../../src/random";
import { LinearGaussian, linearGaussianReward } from "../../src/envs/linearGaussian";
import { GaussianPolicy } from "../../src/control/gaussianPolicy";
import { likelihoodRatioGradients, trainLikelihoodRatio } from "../../src/control/likelihoodRatio";
import { pathwiseGradients } from "../../src/control/pathwiseGradient";
import { branchedRollouts, disposeBuffer } from "../../src/planning/branchedRollouts";
import { meanCI } from "../../src/analysis/stats";

beforeAll(async () => {
  await initBackend();
});

// x' = x + a + w, w ~ N(0, σw²); a = w0·x + b + σπ ε; reward −x'²; x_0 = 0.
const [sigmaW, sigmaPi, T] = [0.5, 0.5, 5];

/** Exact J(w0, b) = −Σ_{t=1..T} E[x_t²] by the mean and variance recursions (float64). */
function exactJ(w0: number, b: number): number {
  const c = 1 + w0;
  let [m, v, cost] = [0, 0, 0];
  for (let t = 1; t <= T; t++) {
    m = c * m + b;
    v = c * c * v + sigmaW ** 2 + sigmaPi ** 2;
    cost += m * m + v;
  }
  return -cost;
}

/** Central finite differences of the closed form: (∂J/∂w0, ∂J/∂b). */
function exactGradient(w0: number, b: number): [number, number] {
  const h = 1e-5;
  return [(exactJ(w0 + h, b) - exactJ(w0 - h, b)) / (2 * h), (exactJ(w0, b + h) - exactJ(w0, b - h)) / (2 * h)];
}

function setup() {
  const policy = new GaussianPolicy(1, 1, { std: sigmaPi });
  policy.setWeights([-0.5, 0.3]);
  return { policy, dynamics: new LinearGaussian(sigmaW), starts: tf.zeros([4096, 1]) as tf.Tensor2D };
}

function expectUnbiased(estimates: number[][]) {
  const exact = exactGradient(-0.5, 0.3);
  exact.forEach((g, i) => {
    const ci = meanCI(
      estimates.map((e) => e[i]),
      { level: 0.999 },
    );
    expect(Math.abs(ci.mean - g)).toBeLessThan(ci.halfWidth);
    // The check has teeth: the interval is narrower than a fifth of the gradient.
    expect(ci.halfWidth).toBeLessThan(Math.abs(g) / 5);
  });
}

describe("gradient estimators on the linear-Gaussian system", () => {
  it("the pathwise estimator's mean matches finite differences of the closed-form J", () => {
    const { policy, dynamics, starts } = setup();
    const before = tf.memory().numTensors;
    const result = pathwiseGradients({ dynamics, reward: linearGaussianReward }, policy, starts, new Rng(1), {
      horizon: T,
      batchSize: 64,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.estimates.length).toBe(64);
    expect(result.estimates[0].length).toBe(2);
    expectUnbiased(result.estimates);
    const J = meanCI(result.returns, { level: 0.999 });
    expect(Math.abs(J.mean - exactJ(-0.5, 0.3))).toBeLessThan(J.halfWidth);
    tf.dispose([starts]);
    policy.dispose();
  });

  it("the likelihood-ratio estimator's mean matches too, with and without a baseline", () => {
    const { policy, dynamics, starts } = setup();
    const before = tf.memory().numTensors;
    const buffer = branchedRollouts({ dynamics, reward: linearGaussianReward }, policy, starts, new Rng(2), {
      horizon: T,
    });
    const withBaseline = likelihoodRatioGradients(policy, buffer, { batchSize: 64 });
    expectUnbiased(withBaseline.estimates);
    const plain = likelihoodRatioGradients(policy, buffer, { batchSize: 64, baseline: "none" });
    disposeBuffer(buffer);
    expect(tf.memory().numTensors).toBe(before);
    const spread = (e: number[][]) => meanCI(e.map((g) => g[0])).std;
    // The baseline removes variance without moving the mean.
    expect(spread(withBaseline.estimates)).toBeLessThan(spread(plain.estimates));
    tf.dispose([starts]);
    policy.dispose();
  });

  it("a per-trajectory pathwise gradient equals finite differences of that trajectory's return", () => {
    // One trajectory, deterministic dynamics: R(w0, b) with the noise ε fixed by the seed.
    const policy = new GaussianPolicy(1, 1, { std: sigmaPi });
    const dynamics = new LinearGaussian(0);
    const start = tf.tensor2d([[0.7]]);
    const returnAt = (w: number[]) => {
      policy.setWeights(w);
      return pathwiseGradients({ dynamics, reward: linearGaussianReward }, policy, start, new Rng(5), { horizon: T })
        .returns[0];
    };
    const w = [-0.4, 0.2];
    const g = (() => {
      policy.setWeights(w);
      return pathwiseGradients({ dynamics, reward: linearGaussianReward }, policy, start, new Rng(5), { horizon: T })
        .estimates[0];
    })();
    const h = 1e-2; // R is a polynomial of degree 2T in w0: central differences are exact up to O(h²)
    const fd = [0, 1].map((i) => {
      const up = w.slice();
      up[i] += h;
      const down = w.slice();
      down[i] -= h;
      return (returnAt(up) - returnAt(down)) / (2 * h);
    });
    fd.forEach((d, i) => expect(g[i]).toBeCloseTo(d, 1));
    start.dispose();
    policy.dispose();
  });

  it("trainLikelihoodRatio moves the gain toward the best one on model data alone", () => {
    const before = tf.memory().numTensors;
    const policy = new GaussianPolicy(1, 1, { std: sigmaPi });
    const dynamics = new LinearGaussian(sigmaW);
    const starts = tf.zeros([256, 1]) as tf.Tensor2D;
    const history = trainLikelihoodRatio({ dynamics, reward: linearGaussianReward }, policy, starts, new Rng(3), {
      horizon: T,
      batchSize: 256,
      iterations: 60,
      learningRate: 0.05,
    });
    const [w0, b] = policy.getWeights();
    // The best gain is w0 = −1 (x' = w: deadbeat), b = 0; from w0 = 0 it must get close.
    expect(Math.abs(w0 + 1)).toBeLessThan(0.2);
    expect(Math.abs(b)).toBeLessThan(0.2);
    expect(history.length).toBe(60);
    expect(exactJ(w0, b)).toBeGreaterThan(exactJ(0, 0));
    starts.dispose();
    policy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("branchedRollouts records consecutive transitions of the policy through the dynamics", () => {
    const policy = new GaussianPolicy(1, 1, { std: 0.5 });
    policy.setWeights([-0.5, 0.1]);
    const dynamics = new LinearGaussian(0); // x' = x + a, so a_t = x_{t+1} − x_t exactly
    const starts = tf.tensor2d([[1], [-2], [0.5]]);
    const buffer = branchedRollouts({ dynamics, reward: linearGaussianReward }, policy, starts, new Rng(7), {
      horizon: 4,
    });
    expect(buffer.states.shape).toEqual([3, 4, 1]);
    const [x, a, r, last] = [
      buffer.states.arraySync(),
      buffer.actions.arraySync(),
      buffer.rewards.arraySync(),
      buffer.finalStates.arraySync(),
    ];
    for (let n = 0; n < 3; n++) {
      expect(x[n][0][0]).toBeCloseTo([1, -2, 0.5][n], 6);
      for (let t = 0; t < 4; t++) {
        const next = t < 3 ? x[n][t + 1][0] : last[n][0];
        expect(next).toBeCloseTo(x[n][t][0] + a[n][t][0], 5);
        expect(r[n][t]).toBeCloseTo(-next * next, 4);
      }
    }
    // The actions scatter around the mean −0.5 x + 0.1 with the policy's σ = 0.5.
    const noise = x.flatMap((row, n) => row.map((s, t) => (a[n][t][0] - (-0.5 * s[0] + 0.1)) / 0.5));
    expect(Math.max(...noise.map(Math.abs))).toBeLessThan(4);
    expect(new Set(noise.map((z) => z.toFixed(6))).size).toBe(12);
    disposeBuffer(buffer);
    starts.dispose();
    policy.dispose();
  });

  it("a policy frees everything it made", () => {
    const before = tf.memory().numTensors;
    const policy = new GaussianPolicy(3, 1);
    const states = tf.tensor2d([
      [1, 0, 0.5],
      [0, 1, -1],
    ]);
    const actions = policy.sample(states, new Rng(0));
    const lp = policy.logProb(states, actions);
    expect(lp.shape).toEqual([2]);
    tf.dispose([lp, states, actions]);
    policy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("logProb is the Gaussian log density", () => {
    const policy = new GaussianPolicy(2, 1, { std: 0.5 });
    policy.setWeights([1, -2, 0.5]); // μ = s0 − 2 s1 + 0.5
    const states = tf.tensor2d([
      [1, 1],
      [0, 2],
    ]);
    const actions = tf.tensor2d([[0], [-3]]);
    const lp = policy.logProb(states, actions).dataSync();
    const density = (a: number, mu: number) =>
      -0.5 * ((a - mu) / 0.5) ** 2 - Math.log(0.5) - 0.5 * Math.log(2 * Math.PI);
    expect(lp[0]).toBeCloseTo(density(0, -0.5), 5);
    expect(lp[1]).toBeCloseTo(density(-3, -3.5), 5);
    tf.dispose([states, actions]);
    policy.dispose();
  });

  it("names the bad argument", () => {
    const lgSystem = { dynamics: new LinearGaussian(1), reward: linearGaussianReward };
    const policy = new GaussianPolicy(1, 1);
    const starts = tf.zeros([10, 1]) as tf.Tensor2D;
    expect(() => pathwiseGradients(lgSystem, policy, starts, new Rng(0), { batchSize: 4 })).toThrow(
      /pathwiseGradients: the 10 trajectories must split into batches of batchSize = 4/,
    );
    expect(() => pathwiseGradients(lgSystem, policy, starts, new Rng(0), { horizon: 0 })).toThrow(
      /pathwiseGradients: option horizon must be a positive integer/,
    );
    expect(() => new GaussianPolicy(1, 1, { std: -1 })).toThrow(
      /GaussianPolicy: option std must be a finite number > 0/,
    );
    expect(() => branchedRollouts(lgSystem, new GaussianPolicy(2, 1), starts, new Rng(0))).toThrow(
      /branchedRollouts: policy \(2 → 1\) does not fit the dynamics/,
    );
    starts.dispose();
    policy.dispose();
  });
});
