import { afterAll, describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import type { Dynamics, RewardFn } from "../../src/envs/types";
import { policyObjective } from "../../src/control/rollout";
import { initBackend, registerBackends, type BackendName } from "../../src/backend";
import { pendulumTask, sampleStartStates } from "../../src/envs/pendulum";
import { MLP } from "../../src/models/mlp";
import {
  flattenVariables,
  landscapeSlice,
  linspace,
  parameterObjective,
  policyLandscapeSlice,
  randomUnitDirection,
  roughness,
} from "../../src/analysis/landscape";

describe("roughness", () => {
  it("is 0 for a line and 8(N−2)/(N−1) for a parabola, whatever the span or spacing", () => {
    // J = c·α² on N even points: slopes change by 2c·h each, N−2 times; range c·(L/2)², L = (N−1)h.
    for (const n of [21, 201]) {
      const alphas = linspace(-1, 1, n);
      expect(roughness(alphas.map((a) => 3 * a - 1))).toBeCloseTo(0, 9);
      expect(roughness(alphas.map((a) => a * a))).toBeCloseTo((8 * (n - 2)) / (n - 1), 9);
      // The same parabola over α in [0, 10] with explicit alphas: rescaling α changes nothing.
      const wide = alphas.map((a) => 5 * a + 5);
      expect(
        roughness(
          alphas.map((a) => a * a),
          wide,
        ),
      ).toBeCloseTo((8 * (n - 2)) / (n - 1), 9);
    }
  });

  it("scores a smooth slice lower than the same slice plus a small high-frequency ripple", () => {
    const alphas = linspace(-1, 1, 101);
    const smooth = alphas.map((a) => Math.cos(2 * a) + a);
    const rippled = smooth.map((v, i) => v + 0.02 * Math.sin(80 * alphas[i]));
    // Smooth: ∫|J''| = 4∫|cos 2α| ≈ 4.36, times span 2, over the range ≈ 2.54: about 3.4.
    expect(roughness(smooth)).toBeCloseTo(3.43, 1);
    expect(roughness(rippled)).toBeGreaterThan(10 * roughness(smooth));
  });

  it("grows with the ripple's frequency when the grid resolves it", () => {
    const alphas = linspace(0, 1, 401);
    const R = (omega: number) => roughness(alphas.map((a) => a + 0.01 * Math.sin(omega * a)));
    expect(R(20)).toBeLessThan(R(40));
    expect(R(40)).toBeLessThan(R(80));
  });

  it("is invariant to scaling and shifting J, and 0 for a constant slice", () => {
    const values = linspace(0, 3, 50).map((a) => Math.sin(5 * a) + 0.3 * a);
    const R = roughness(values);
    expect(roughness(values.map((v) => 1e6 * v - 42))).toBeCloseTo(R, 6);
    expect(roughness(values.map((v) => -0.001 * v))).toBeCloseTo(R, 6);
    expect(roughness([3, 3, 3])).toBe(0);
  });

  it("rejects non-finite values, too few values and bad alphas", () => {
    expect(() => roughness([1, NaN, 2])).toThrow(/roughness: values must be finite, but entry 1 is NaN/);
    expect(() => roughness([1, 2])).toThrow(/at least 3/);
    expect(() => roughness([1, 2, 3], [0, 1])).toThrow(/alphas must hold one number per value \(3\)/);
    expect(() => roughness([1, 2, 3], [0, 2, 1])).toThrow(/alphas must increase/);
  });
});

describe("landscapeSlice", () => {
  it("equals the closed form of a quadratic along the line", () => {
    // J(θ) = −‖θ‖², so J(θ₀ + αd) = −(‖θ₀‖² + 2α θ₀·d + α²) for a unit d.
    const theta0 = tf.tensor1d([0.5, -1, 2]);
    const d = randomUnitDirection(new Rng(1), 3);
    const [t0, dv] = [theta0.arraySync(), d.arraySync()];
    const dot = t0.reduce((s, v, i) => s + v * dv[i], 0);
    const sq = t0.reduce((s, v) => s + v * v, 0);
    const alphas = [-2, -0.5, 0, 1, 3];
    const slice = landscapeSlice((th) => th.square().sum().neg() as tf.Scalar, theta0, d, { alphas });
    expect(slice.alphas).toEqual(alphas);
    slice.values.forEach((v, i) => expect(v).toBeCloseTo(-(sq + 2 * alphas[i] * dot + alphas[i] ** 2), 4));
    tf.dispose([theta0, d]);
  });

  it("slices the policy objective through the policy's variables: matches the closed form J(k₀ + α d)", () => {
    // x' = a x + b u, u = −k x, r = −x²: J(k) = −mean(x0²)·Σ_{t<H} (a − b k)^{2t}.
    const [a, b, H] = [1.05, 0.5, 8];
    const dynamics: Dynamics = {
      stateSize: 1,
      actionSize: 1,
      members: 1,
      step: (s, u) => tf.tidy(() => s.mul(a).add(u.mul(b)) as tf.Tensor2D),
    };
    const reward: RewardFn = (s) => tf.tidy(() => s.square().neg().reshape([-1]) as tf.Tensor1D);
    const init = tf.scalar(0.4);
    const k = tf.variable(init);
    const starts = tf.tensor2d([[1], [2]]);
    const objective = parameterObjective([k], () =>
      policyObjective({ dynamics, reward }, (s) => s.mul(k).neg() as tf.Tensor2D, starts, undefined, { horizon: H }),
    );
    const theta0 = flattenVariables([k]);
    const d = tf.tensor1d([1]);
    const before = tf.memory().numTensors;
    const slice = landscapeSlice(objective, theta0, d, { alphas: linspace(-1, 1, 9) });
    expect(tf.memory().numTensors).toBe(before);
    slice.alphas.forEach((alpha, i) => {
      const c = a - b * (0.4 + alpha);
      let series = 0;
      for (let t = 0; t < H; t++) series += c ** (2 * t);
      expect(slice.values[i]).toBeCloseTo(-2.5 * series, 3);
    });
    expect(k.dataSync()[0]).toBeCloseTo(0.4, 7); // restored
    tf.dispose([init, k, starts, theta0, d]);
  });

  it("rejects mismatched shapes, naming the argument", () => {
    const theta0 = tf.zeros([3]) as tf.Tensor1D;
    const d = tf.zeros([2]) as tf.Tensor1D;
    const J = (th: tf.Tensor1D) => th.sum() as tf.Scalar;
    expect(() => landscapeSlice(J, theta0, d)).toThrow(/landscapeSlice: direction must have shape \[3\]/);
    expect(() => landscapeSlice(J, theta0, theta0, { alphas: [] })).toThrow(/option alphas/);
    expect(() => landscapeSlice(J, theta0, theta0, { alphas: [0, Infinity] })).toThrow(/options.alphas must be finite/);
    tf.dispose([theta0, d]);
  });
});

describe("directions and flat parameters", () => {
  it("randomUnitDirection has unit norm and is reproducible from the seed", () => {
    const [d1, d2, d3] = [
      randomUnitDirection(new Rng(7), 50),
      randomUnitDirection(new Rng(7), 50),
      randomUnitDirection(new Rng(8), 50),
    ];
    expect(Math.hypot(...d1.dataSync())).toBeCloseTo(1, 5);
    expect(d1.arraySync()).toEqual(d2.arraySync());
    expect(d1.arraySync()).not.toEqual(d3.arraySync());
    tf.dispose([d1, d2, d3]);
  });

  it("flattenVariables concatenates row-major in order; parameterObjective sees θ and then restores", () => {
    const [i1, i2] = [
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor1d([5]),
    ];
    const [W, c] = [tf.variable(i1), tf.variable(i2)];
    tf.dispose([i1, i2]);
    const flat = flattenVariables([W, c]);
    expect(Array.from(flat.dataSync())).toEqual([1, 2, 3, 4, 5]);
    // J = W[0,1]·10 + c: reads the variables, so it must see θ while evaluated.
    const J = parameterObjective([W, c], () =>
      tf.tidy(() => W.slice([0, 1], [1, 1]).sum().mul(10).add(c.sum()) as tf.Scalar),
    );
    const theta = tf.tensor1d([0, 7, 0, 0, 0.5]);
    const before = tf.memory().numTensors;
    const value = J(theta);
    expect(value.dataSync()[0]).toBeCloseTo(70.5, 5);
    value.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(W.arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(c.arraySync()).toEqual([5]);
    expect(() => J(tf.zeros([4]) as tf.Tensor1D)).toThrow(/parameterObjective: theta must have shape \[5\]/);
    tf.dispose([W, c, flat, theta]);
  });
});

describe("policyLandscapeSlice", () => {
  // The one-θ-at-a-time path is the reference: landscapeSlice of policyObjective through the
  // network's variables, with a fresh noise stream per α (common random numbers).
  const backendBefore = tf.getBackend() as BackendName;
  registerBackends(false);
  afterAll(async () => {
    await initBackend(backendBefore);
  });

  /** Both slices of a small tanh policy on the pendulum, and the tensors each call left behind. */
  function bothSlices(noiseStd: number, horizon: number) {
    const task = pendulumTask({ noiseStd });
    const net = new MLP([3, 8, 1], new Rng(1));
    const starts = sampleStartStates(new Rng(2), 5);
    const theta0 = flattenVariables(net.variables());
    const d = randomUnitDirection(new Rng(3), theta0.size);
    const alphas = linspace(-2, 2, 9);
    const noise = () => (noiseStd > 0 ? new Rng(7) : undefined);
    const objective = parameterObjective(net.variables(), () =>
      policyObjective(task, (s) => net.forward(s), starts, noise(), { horizon }),
    );
    const reference = landscapeSlice(objective, theta0, d, { alphas });
    const before = tf.memory().numTensors;
    const batched = policyLandscapeSlice(task, net, starts, noise(), theta0, d, { alphas, horizon });
    const leaked = tf.memory().numTensors - before;
    tf.dispose([starts, theta0, d]);
    net.dispose();
    return { reference, batched, leaked };
  }

  for (const backend of ["cpu", "wasm"] as const) {
    it(`${backend}: equals the one-α-at-a-time slice, deterministic and with shared noise`, async () => {
      await initBackend(backend);
      for (const [noiseStd, horizon] of [
        [0, 40],
        [1, 40],
      ]) {
        const { reference, batched, leaked } = bothSlices(noiseStd, horizon);
        expect(leaked).toBe(0);
        expect(batched.alphas).toEqual(reference.alphas);
        expect(new Set(reference.values).size).toBe(reference.values.length); // a slice that varies
        // Each row meets the same ops in the same order as in its own rollout: equal bit for bit.
        expect(batched.values).toEqual(reference.values);
      }
      // Different noise changes the slice: the batched path really uses the stream it is given.
      const task = pendulumTask({ noiseStd: 1 });
      const net = new MLP([3, 8, 1], new Rng(1));
      const starts = sampleStartStates(new Rng(2), 5);
      const theta0 = flattenVariables(net.variables());
      const d = randomUnitDirection(new Rng(3), theta0.size);
      const slice = (seed: number) =>
        policyLandscapeSlice(task, net, starts, new Rng(seed), theta0, d, { alphas: [0, 1], horizon: 20 }).values;
      expect(slice(7)).toEqual(slice(7));
      expect(slice(7)).not.toEqual(slice(8));
      tf.dispose([starts, theta0, d]);
      net.dispose();
    });
  }

  it("checks its inputs, naming the argument", () => {
    const task = pendulumTask();
    const net = new MLP([3, 4, 1], new Rng(1));
    const pair = new MLP([3, 4, 1], new Rng(1), { members: 2 });
    const starts = sampleStartStates(new Rng(2), 3);
    const theta0 = flattenVariables(net.variables());
    const short = tf.zeros([5]) as tf.Tensor1D;
    const go = (options: object, n = net, th = theta0, d = theta0, dynamics: Dynamics = task.dynamics) =>
      policyLandscapeSlice({ ...task, dynamics }, n, starts, undefined, th, d, { horizon: 5, ...options });
    expect(() => go({ horizon: undefined })).toThrow(/policyLandscapeSlice: option horizon is required/);
    expect(() => go({ horizon: 0 })).toThrow(/option horizon/);
    expect(() => go({ alphas: [] })).toThrow(/option alphas/);
    expect(() => go({ alphas: [0, NaN] })).toThrow(/options.alphas must be finite/);
    expect(() => go({}, pair)).toThrow(/net must be a one-member MLP, got 2 members/);
    expect(() => go({}, net, short)).toThrow(/policyLandscapeSlice: theta0 must have shape \[21\]/);
    expect(() => go({}, net, theta0, short)).toThrow(/policyLandscapeSlice: direction must have shape \[21\]/);
    // Dynamics whose noise is not a tensor of rows cannot share it between the α: a clear error.
    const scalarNoise: Dynamics = { ...task.dynamics, members: 1, step: (s, _a, r) => s.add(r ? r.normal() : 0) };
    expect(() =>
      policyLandscapeSlice({ ...task, dynamics: scalarNoise }, net, starts, new Rng(7), theta0, theta0, { horizon: 2 }),
    ).toThrow(/policyLandscapeSlice: the dynamics drew noise with rng.normal, which cannot be shared/);
    const ensemble: Dynamics = { ...task.dynamics, members: 2, step: (s) => s };
    expect(() => go({}, net, theta0, theta0, ensemble)).toThrow(/system.dynamics must be one model, got 2/);
    tf.dispose([starts, theta0, short]);
    net.dispose();
    pair.dispose();
  });
});
