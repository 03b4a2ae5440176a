import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { closedForm, linearPolicy, quadratic, scalarSystem } from "./scalarLq";
import { gradientCheck, gradientNormByHorizon, relativeError } from "../../src/analysis/gradientCheck";
import { mlpPolicy } from "../../src/control/mlpPolicy";
import { Pendulum, pendulumTask, sampleStartStates } from "../../src/envs/pendulum";

/** f(x) = Σ sin(x_i)·x_i², with ∂f/∂x_i = cos(x_i)·x_i² + 2 x_i sin(x_i). */
const f = (x: tf.Tensor) => tf.tidy(() => x.sin().mul(x.square()).sum() as tf.Scalar);
const df = (x: number) => Math.cos(x) * x * x + 2 * x * Math.sin(x);

const normalStarts = (rng: Rng, n: number) => rng.normalTensor([n, 1]) as tf.Tensor2D;

describe("relativeError", () => {
  it("is |g − ĝ| / max(|g|, |ĝ|, tiny)", () => {
    expect(relativeError(1, 1.1)).toBeCloseTo(0.1 / 1.1, 12);
    expect(relativeError(-2, 2)).toBe(2);
    expect(relativeError(0, 0)).toBe(0);
    expect(relativeError(0, 1e-9, 1e-8)).toBeCloseTo(0.1, 12);
    expect(relativeError(3, 5)).toBe(relativeError(5, 3));
  });
});

describe("gradientCheck", () => {
  it("central differences match the closed-form derivative, and autodiff passes", () => {
    const values = [0.3, -1.2, 2.5, 0.01, 4];
    const x = tf.tensor2d(values, [1, 5]);
    const result = gradientCheck(f, x);
    expect(result.value).toBeCloseTo(
      values.reduce((s, v) => s + Math.sin(v) * v * v, 0),
      4,
    );
    expect(result.entries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    result.entries.forEach((e, i) => {
      expect(Math.abs(e.numeric - df(values[i]))).toBeLessThan(2e-3 * Math.max(1, Math.abs(df(values[i]))));
      expect(e.analytic).toBeCloseTo(df(values[i]), 4);
    });
    // Entry 3 (x = 0.01, gradient 3e-4) sits near the float32 noise floor; the others agree to 1e-3.
    result.entries.filter((e) => e.index !== 3).forEach((e) => expect(e.relativeError).toBeLessThan(1e-3));
    expect(result.noiseFloor).toBeGreaterThan(0);
    x.dispose();
  });

  it("catches a wrong gradient: 10% too large gives relative error 0.1/1.1 on every entry", () => {
    const values = [0.5, -1, 2];
    const x = tf.tensor1d(values);
    const wrong = tf.tensor1d(values.map((v) => 1.1 * df(v)));
    const result = gradientCheck(f, x, { analytic: wrong });
    result.entries.forEach((e) => expect(e.relativeError).toBeCloseTo(0.1 / 1.1, 2));
    expect(result.maxRelativeError).toBeGreaterThan(0.05);
    tf.dispose([x, wrong]);
  });

  it("uses a step relative to |x|, so large entries stay accurate in float32", () => {
    // f(x) = Σ x² at x = 3000: an absolute h = 5e-3 would move x by only ~20 float32 ulps.
    const x = tf.tensor1d([3000, -1500]);
    const result = gradientCheck((t) => t.square().sum() as tf.Scalar, x);
    expect(result.entries[0].numeric / 6000).toBeCloseTo(1, 3);
    expect(result.entries[1].numeric / -3000).toBeCloseTo(1, 3);
    x.dispose();
  });

  it("checks only the requested indices", () => {
    const x = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
    const result = gradientCheck(f, x, { indices: [3, 1] });
    expect(result.entries.map((e) => e.index)).toEqual([3, 1]);
    expect(result.entries[0].numeric).toBeCloseTo(df(0.4), 3);
    x.dispose();
  });

  it("rejects bad options and leaves no tensors behind", () => {
    const x = tf.tensor1d([0.1, 0.2]);
    expect(() => gradientCheck(f, x, { step: 0 })).toThrow(/gradientCheck: option step/);
    expect(() => gradientCheck(f, x, { indices: [2] })).toThrow(
      /option indices\[0\] must be an integer index into x \(size 2\)/,
    );
    const wrongShape = tf.zeros([3]);
    expect(() => gradientCheck(f, x, { analytic: wrongShape })).toThrow(/option analytic must have x's shape \[2\]/);
    expect(() => gradientCheck((t) => t as unknown as tf.Scalar, x, { analytic: x })).toThrow(/f must return a scalar/);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) gradientCheck(f, x);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, wrongShape]);
  });
});

describe("gradientNormByHorizon", () => {
  it("equals |dJ/dk| in closed form at every horizon", () => {
    const [a, b, q, r, k0] = [1.3, 1, 1, 0.2, 0.1];
    const trainable = linearPolicy(k0);
    const starts = tf.tensor2d([[1], [-1], [0.5]]);
    const m = (1 + 1 + 0.25) / 3;
    const horizons = [1, 3, 10, 30];
    const system = { dynamics: scalarSystem(a, b), reward: quadratic(q, r) };
    const points = gradientNormByHorizon(system, trainable, starts, new Rng(0), { horizons });
    expect(points.map((p) => p.horizon)).toEqual(horizons);
    points.forEach((p) => {
      const want = closedForm(a, b, q, r, p.horizon, k0, m);
      expect(p.objective / want.J).toBeCloseTo(1, 4);
      expect(p.gradNorm / Math.abs(want.dJdk)).toBeCloseTo(1, 3);
      expect(p.finite).toBe(true);
    });
    // Open-loop gain 1.2: the gradient explodes geometrically with H.
    expect(points[3].gradNorm).toBeGreaterThan(100 * points[1].gradNorm);
    tf.dispose([starts, trainable.k]);
  });

  it("builds one policy per call from a factory, disposes it, and flags overflow as not finite", () => {
    const before = tf.memory().numTensors;
    const made: number[] = [];
    const factory = (rng: Rng) => {
      const p = linearPolicy(rng.uniform());
      made.push(p.k.dataSync()[0]);
      return p;
    };
    const system = { dynamics: scalarSystem(3, 1), reward: quadratic(1, 1) };
    const points = [4, 5].flatMap((seed) =>
      gradientNormByHorizon(system, factory, normalStarts, new Rng(seed), { batchSize: 8, horizons: [2, 200] }),
    );
    expect(made.length).toBe(2);
    expect(made[0]).not.toBe(made[1]);
    expect(points.map((p) => p.finite)).toEqual([true, false, true, false]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => gradientNormByHorizon(system, factory, normalStarts, new Rng(0), { horizons: [0] })).toThrow(
      /gradientNormByHorizon: option horizons must list positive integers/,
    );
  });

  it("frees everything a factory's policy allocated, not only its variables (the MLP's fast path keeps tensors)", () => {
    const system = { dynamics: new Pendulum(), reward: pendulumTask().reward };
    const factory = (rng: Rng) => mlpPolicy(rng, { outputScale: 0.01 });
    const probe = factory(new Rng(1));
    const ownTensors = probe.variables.length;
    const allocated = tf.memory().numTensors;
    probe.net.dispose();
    expect(allocated - tf.memory().numTensors).toBeGreaterThan(ownTensors); // more than its variables to free
    const before = tf.memory().numTensors;
    const points = gradientNormByHorizon(system, factory, (rng, n) => sampleStartStates(rng, n), new Rng(2), {
      horizons: [1, 5],
      batchSize: 4,
    });
    expect(points.every((p) => p.finite && p.gradNorm > 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
