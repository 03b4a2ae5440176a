import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { trainBptt, type BpttProgress } from "../../src/control/bptt";
import type { Dynamics, RewardFn } from "../../src/envs/types";
import { closedForm, linearPolicy, quadratic, scalarSystem } from "./scalarLq";
import { policyObjective } from "../../src/control/rollout";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import { mlpPolicy } from "../../src/control/mlpPolicy";

/** The infinite-horizon LQR gain from the scalar DARE b²P² + (r − q b² − a² r) P − q r = 0. */
function lqrGain(a: number, b: number, q: number, r: number): number {
  const B1 = r - q * b * b - a * a * r;
  const P = (-B1 + Math.sqrt(B1 * B1 + 4 * b * b * q * r)) / (2 * b * b);
  return (a * b * P) / (r + b * b * P);
}

const normalStarts = (rng: Rng, n: number) => rng.normalTensor([n, 1]) as tf.Tensor2D;

describe("trainBptt", () => {
  it("reports the closed-form loss and gradient at the start, then moves k toward the LQR gain", () => {
    const [a, b, q, r, H] = [1.2, 1, 1, 0.5, 15];
    const kStar = lqrGain(a, b, q, r);
    const trainable = linearPolicy(0.3);
    const starts = tf.tensor2d([[1], [-0.5], [2], [0.3]]);
    const m = (1 + 0.25 + 4 + 0.09) / 4;
    const result = trainBptt({ dynamics: scalarSystem(a, b), reward: quadratic(q, r) }, trainable, starts, new Rng(0), {
      horizon: H,
      learningRate: 0.05,
      iterations: 120,
    });
    const first = closedForm(a, b, q, r, H, 0.3, m);
    expect(result.status).toBe("finished");
    expect(result.history.length).toBe(120);
    expect(result.history[0].loss).toBeCloseTo(-first.J, 3);
    expect(result.history[0].gradNorm).toBeCloseTo(Math.abs(first.dJdk), 2);
    const last = result.history[119].loss;
    expect(last).toBeLessThan(result.history[0].loss);
    const k = trainable.k.dataSync()[0];
    // Near k* (≈ 0.906) the closed loop |a − b k| ≈ 0.3, so the tail beyond H = 15 (0.3^30) is
    // negligible and the best stationary gain for this horizon is the DARE gain; Adam gets within 0.01.
    expect(Math.abs(k - kStar)).toBeLessThan(0.01);
    expect(last).toBeCloseTo(-closedForm(a, b, q, r, H, kStar, m).J, 2);
    tf.dispose([starts, trainable.k]);
  });

  it("stops before a non-finite update and leaves the policy at its last good value (a = 3)", () => {
    // k0 = 3 gives a closed loop c = 0 (finite loss, dloss/dk = 2 r k m = 6); one SGD step of
    // 0.3 moves k to 1.2, c = 1.8, and 1.8^198 overflows float32 at iteration 1.
    const trainable = linearPolicy(3);
    const starts = tf.tensor2d([[1]]);
    const seen: number[] = [];
    const result = trainBptt({ dynamics: scalarSystem(3, 1), reward: quadratic(1, 1) }, trainable, starts, new Rng(0), {
      horizon: 100,
      optimizer: "sgd",
      learningRate: 0.3,
      iterations: 10,
      onProgress: () => seen.push(trainable.k.dataSync()[0]),
    });
    expect(result.status).toBe("non-finite");
    expect(result.nonFinite?.iteration).toBe(1);
    expect(result.nonFinite?.what).toMatch(/^loss/);
    expect(result.history.map((h) => h.iteration)).toEqual([0]);
    expect(result.history[0].gradNorm).toBeCloseTo(6, 4);
    const k = trainable.k.dataSync()[0];
    expect(Number.isFinite(k)).toBe(true);
    expect(k).toBe(seen[0]);
    expect(k).toBeCloseTo(3 - 0.3 * 6, 5);

    const fresh = linearPolicy(0);
    const immediate = trainBptt({ dynamics: scalarSystem(3, 1), reward: quadratic(1, 1) }, fresh, starts, new Rng(0), {
      horizon: 100,
      iterations: 5,
    });
    expect(immediate).toEqual({
      status: "non-finite",
      history: [],
      nonFinite: { iteration: 0, what: expect.stringMatching(/^loss/) },
    });
    expect(fresh.k.dataSync()[0]).toBe(0);
    tf.dispose([starts, trainable.k, fresh.k]);
  });

  it("names the variable whose gradient is non-finite while the loss is finite", () => {
    // u = −k x − 0·√v at v = 0: the loss is finite, ∂/∂v = 0·∞ = NaN.
    const k = tf.variable(tf.scalar(0.5));
    const v = tf.variable(tf.scalar(0));
    const policy = (s: tf.Tensor2D) => tf.tidy(() => s.mul(k).neg().sub(v.sqrt().mul(0)) as tf.Tensor2D);
    const starts = tf.ones([2, 1]) as tf.Tensor2D;
    const result = trainBptt(
      { dynamics: scalarSystem(1, 1), reward: quadratic(1, 1) },
      { policy, variables: [k, v] },
      starts,
      new Rng(0),
      { horizon: 5, iterations: 3 },
    );
    expect(result.status).toBe("non-finite");
    expect(result.nonFinite?.iteration).toBe(0);
    expect(result.nonFinite?.what).toContain(`variables[1] (name "${v.name}"`);
    expect(k.dataSync()[0]).toBe(0.5);
    tf.dispose([k, v, starts]);
  });

  it("clipping caps the applied gradient norm (SGD makes the step lr·g visible) and keeps its direction", () => {
    const k = tf.variable(tf.scalar(0.2));
    const c = tf.variable(tf.scalar(0.1));
    const trainable = {
      policy: (s: tf.Tensor2D) => tf.tidy(() => s.mul(k).neg().add(c) as tf.Tensor2D),
      variables: [k, c],
    };
    const starts = tf.tensor2d([[1], [2]]);
    const [dynamics, reward] = [scalarSystem(1.1, 1), quadratic(1, 0.1)];
    // The unclipped gradient of loss = −J, by autodiff of the same objective written out here.
    const loss = () =>
      tf.tidy(() => {
        let [s, total] = [starts as tf.Tensor2D, tf.scalar(0)];
        for (let t = 0; t < 10; t++) {
          const u = trainable.policy(s);
          total = total.add(reward(s, u, s).mean());
          s = dynamics.step(s, u);
        }
        return total.neg() as tf.Scalar;
      });
    const { grads } = tf.variableGrads(loss, [k, c]);
    const g = [grads[k.name].dataSync()[0], grads[c.name].dataSync()[0]];
    tf.dispose(Object.values(grads));
    const norm = Math.hypot(...g);
    const lr = 0.01;
    for (const maxGradNorm of [norm / 4, norm * 2]) {
      k.assign(tf.scalar(0.2));
      c.assign(tf.scalar(0.1));
      const result = trainBptt({ dynamics, reward }, trainable, starts, new Rng(0), {
        horizon: 10,
        optimizer: "sgd",
        learningRate: lr,
        iterations: 1,
        maxGradNorm,
      });
      expect(result.history[0].gradNorm).toBeCloseTo(norm, 3);
      const applied = [(0.2 - k.dataSync()[0]) / lr, (0.1 - c.dataSync()[0]) / lr];
      const want = Math.min(norm, maxGradNorm);
      expect(Math.hypot(...applied)).toBeCloseTo(want, 2);
      applied.forEach((x, i) => expect(x).toBeCloseTo((g[i] * want) / norm, 2));
    }
    tf.dispose([k, c, starts]);
  });

  it("takes tf.train.adam's steps on a clipped gradient, variable by variable (MLP policy, learned model)", () => {
    // The independent answer: the same objective differentiated by tf.variableGrads, clipped
    // and applied by tfjs's own Adam, on a copy of the policy with the same initial weights.
    const model = new DynamicsModel(3, 1, new Rng(7), { hiddenSizes: [16, 16] });
    const reward: RewardFn = (s, a) =>
      tf.tidy(() => s.square().sum(1).add(a.square().sum(1).mul(0.01)).neg() as tf.Tensor1D);
    const system = { dynamics: model, reward };
    const [ours, theirs] = [
      mlpPolicy(new Rng(8), { hiddenSizes: [8, 8] }),
      mlpPolicy(new Rng(8), { hiddenSizes: [8, 8] }),
    ];
    const starts = tf.tensor2d(new Rng(9).normalArray(32 * 3), [32, 3]);
    const [lr, maxGradNorm, iterations, horizon] = [0.05, 0.5, 4, 6];
    const result = trainBptt(system, ours, starts, new Rng(0), { horizon, learningRate: lr, maxGradNorm, iterations });
    const adam = tf.train.adam(lr);
    for (let i = 0; i < iterations; i++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.neg(policyObjective(system, theirs.policy, starts, undefined, { horizon })),
          theirs.variables,
        );
        const norm = Math.sqrt(
          theirs.variables.reduce((n, v) => n + tf.sum(tf.square(grads[v.name])).dataSync()[0], 0),
        );
        // float32 on both sides, summed in different orders: agreement to ~1e-5 relative
        const loss = value.dataSync()[0];
        expect(Math.abs(result.history[i].loss - loss)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(loss)));
        expect(Math.abs(result.history[i].gradNorm - norm)).toBeLessThanOrEqual(1e-4 * (1 + norm));
        const scale = norm > maxGradNorm ? maxGradNorm / norm : 1;
        adam.applyGradients(theirs.variables.map((v) => ({ name: v.name, tensor: grads[v.name].mul(scale) })));
      });
    }
    expect(result.history[0].gradNorm).toBeGreaterThan(maxGradNorm); // the clipping was exercised
    ours.variables.forEach((v, i) => {
      const [x, y] = [v.dataSync(), theirs.variables[i].dataSync()];
      x.forEach((xi, j) => expect(Math.abs(xi - y[j])).toBeLessThanOrEqual(1e-5));
    });
    adam.dispose();
    tf.dispose(starts);
    [ours, theirs].forEach((p) => p.net.dispose());
    model.dispose();
  });

  it("is seeded: the same seed repeats the history, another seed changes it", () => {
    const run = (seed: number) => {
      const trainable = linearPolicy(0.5);
      const result = trainBptt(
        { dynamics: scalarSystem(1.1, 1), reward: quadratic(1, 1) },
        trainable,
        normalStarts,
        new Rng(seed),
        { horizon: 8, batchSize: 16, iterations: 5, learningRate: 0.01 },
      );
      trainable.k.dispose();
      return result.history.map((h) => h.loss);
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it("with processNoise, steps the dynamics with an rng: same seed repeats, and noise changes the losses", () => {
    const base = scalarSystem(0.9, 1);
    const rngs: unknown[] = [];
    const noisy: Dynamics = {
      ...base,
      step: (s, u, rng) => {
        rngs.push(rng);
        return tf.tidy(() => base.step(s, u).add(rng ? rng.normalTensor(s.shape, 0, 0.1) : 0) as tf.Tensor2D);
      },
    };
    const starts = tf.ones([4, 1]) as tf.Tensor2D;
    const run = (processNoise: boolean) => {
      const trainable = linearPolicy(0.5);
      const result = trainBptt({ dynamics: noisy, reward: quadratic(1, 1) }, trainable, starts, new Rng(9), {
        horizon: 5,
        iterations: 3,
        processNoise,
      });
      trainable.k.dispose();
      return result.history.map((h) => h.loss);
    };
    const plain = run(false);
    expect(rngs.every((r) => r === undefined)).toBe(true);
    rngs.length = 0;
    const noisy1 = run(true);
    expect(rngs.length).toBe(15);
    expect(rngs.every((r) => r instanceof Rng)).toBe(true);
    expect(run(true)).toEqual(noisy1);
    expect(noisy1).not.toEqual(plain);
    starts.dispose();
  });

  it("leaks no tensors across iterations or runs (MLP policy, sampled starts, clipping)", () => {
    const rng = new Rng(3);
    const W1 = tf.variable(rng.normalTensor([2, 16], 0, 0.5));
    const W2 = tf.variable(rng.normalTensor([16, 1], 0, 0.5));
    const policy = (s: tf.Tensor2D) => tf.tidy(() => s.matMul(W1).tanh().matMul(W2).tanh().mul(2) as tf.Tensor2D);
    const dynamics: Dynamics = {
      stateSize: 2,
      actionSize: 1,
      members: 1,
      step: (s, u) =>
        tf.tidy(
          () =>
            s.add(tf.concat([s.slice([0, 1], [-1, 1]), u.sub(s.slice([0, 0], [-1, 1]))], 1).mul(0.05)) as tf.Tensor2D,
        ),
    };
    const reward: RewardFn = (s, u) =>
      tf.tidy(() => s.square().sum(1).add(u.square().sum(1).mul(0.01)).neg() as tf.Tensor1D);
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const sampler = (r: Rng, n: number) => r.normalTensor([n, 2]) as tf.Tensor2D;
    const options = {
      horizon: 10,
      batchSize: 32,
      iterations: 6,
      maxGradNorm: 0.01,
      onProgress: (_: BpttProgress) => counts.push(tf.memory().numTensors),
    };
    for (let run = 0; run < 2; run++) {
      const result = trainBptt({ dynamics, reward }, { policy, variables: [W1, W2] }, sampler, new Rng(0), options);
      expect(result.status).toBe("finished");
      expect(tf.memory().numTensors).toBe(before);
    }
    // Adam's state (two slots per variable, and β1^t, β2^t) exists from the first update on;
    // nothing else accumulates.
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBe(before + 2 * 2 + 2);
    tf.dispose([W1, W2]);
  });

  it("rejects bad options, naming the option", () => {
    const trainable = linearPolicy(0.5);
    const starts = tf.ones([4, 1]) as tf.Tensor2D;
    const [f, r] = [scalarSystem(1, 1), quadratic(1, 1)];
    const system = { dynamics: f, reward: r };
    const bad = (options: object) => () => trainBptt(system, trainable, starts, new Rng(0), { ...options });
    expect(bad({ horizon: 0 })).toThrow(/trainBptt: option horizon must be a positive integer/);
    expect(bad({ learningRate: -1 })).toThrow(/option learningRate/);
    expect(bad({ iterations: 1.5 })).toThrow(/option iterations/);
    expect(bad({ maxGradNorm: 0 })).toThrow(/option maxGradNorm/);
    expect(bad({ optimizer: "rmsprop" })).toThrow(/option optimizer must be "adam" or "sgd"/);
    expect(bad({ lr: 0.1 })).toThrow(/unknown option "lr"/);
    expect(bad({ batchSize: 8 })).toThrow(/option batchSize \(8\) must equal the rows of the fixed startStates \(4\)/);
    const badStarts = (startStates: unknown) => () =>
      trainBptt(system, trainable, startStates as tf.Tensor2D, new Rng(0));
    expect(badStarts(undefined)).toThrow(/trainBptt: startStates must be/);
    const wide = tf.ones([4, 2]) as tf.Tensor2D;
    expect(badStarts(wide)).toThrow(/trainBptt: startStates must have shape \[\*, 1\]/);
    expect(badStarts((rng: Rng, n: number) => rng.normalTensor([n, 3]))).toThrow(
      /sampled startStates must have shape \[64, 1\]/,
    );
    expect(bad({ seed: 3 })).toThrow(/unknown option "seed"/);
    wide.dispose();
    expect(() =>
      trainBptt({ dynamics: f, reward: r }, { policy: trainable.policy, variables: [] }, starts, new Rng(0)),
    ).toThrow(/trainable.variables/);
    tf.dispose([starts, trainable.k]);
  });
});
