import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import type { Dynamics } from "../../src/envs/types";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import { MLP } from "../../src/models/mlp";
import { Normalizer } from "../../src/models/normalizer";
import { predictionErrorByHorizon } from "../../src/models/predictionError";
import { transitionsFromEpisodes } from "../../src/models/data";

/** Plain float64 loop: one member's network, with weights in the `getFlat` layout. */
function refForward(sizes: readonly number[], flat: ArrayLike<number>, x: number[]): number[] {
  let h = x;
  let off = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [nIn, nOut] = [sizes[l], sizes[l + 1]];
    const out: number[] = [];
    for (let j = 0; j < nOut; j++) {
      let z = flat[off + nIn * nOut + j];
      for (let i = 0; i < nIn; i++) z += h[i] * flat[off + i * nOut + j];
      out.push(l + 2 < sizes.length ? Math.tanh(z) : z);
    }
    off += (nIn + 1) * nOut;
    h = out;
  }
  return h;
}

/** Plain loop of the delta model s + net((concat(s, a) − μ)/σ)·σΔ + μΔ for one member. */
function refStep(model: DynamicsModel, flat: ArrayLike<number>, s: number[], a: number[]): number[] {
  const inN = model.inputNormalizer.values();
  const dN = model.deltaNormalizer.values();
  const x = [...s, ...a].map((v, i) => (v - inN.mean[i]) / inN.std[i]);
  const y = refForward(model.net.sizes, flat, x);
  return s.map((v, i) => v + y[i] * dN.std[i] + dN.mean[i]);
}

function randomRows(rng: Rng, n: number, width: number, scale = 1): number[][] {
  return Array.from({ length: n }, () => Array.from(rng.normalArray(width, 0, scale)));
}

/** Give every weight and bias a random value, so zero-initialised biases are exercised too. */
function randomizeWeights(net: MLP, rng: Rng, scale = 0.5): void {
  net.setFlat(rng.normalArray(net.parameterCount(), 0, scale));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol);
}

describe("MLP", () => {
  it("forward equals a plain loop over the same weights", () => {
    const rng = new Rng(1);
    const net = new MLP([3, 5, 4, 2], rng);
    randomizeWeights(net, rng);
    const x = randomRows(rng, 7, 3);
    const y = tf.tidy(() => net.forward(tf.tensor2d(x)).arraySync());
    const flat = net.getFlat();
    x.forEach((row, i) => expectClose(y[i], refForward(net.sizes, flat, row), 1e-5));
    net.dispose();
  });

  it("initialises with Glorot-uniform weights and zero biases", () => {
    const net = new MLP([40, 60, 20], new Rng(2));
    const w = net.weights[0].dataSync();
    const limit = Math.sqrt(6 / 100);
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(limit);
    // Var of U(−L, L) is L²/3: check the sample variance to 10 %.
    const variance = Array.from(w).reduce((acc, v) => acc + v * v, 0) / w.length;
    expect(Math.abs(variance / ((limit * limit) / 3) - 1)).toBeLessThan(0.1);
    expect(Array.from(net.biases[0].dataSync()).every((b) => b === 0)).toBe(true);
    net.dispose();
  });

  it("an ensemble's batched forward equals evaluating each member separately", () => {
    const rng = new Rng(3);
    const sizes = [4, 6, 3];
    const ens = new MLP(sizes, rng, { members: 3 });
    randomizeWeights(ens, rng);
    const P = ens.memberParameterCount();
    const N = 5;
    const x = randomRows(rng, 3 * N, 4); // member-major
    const y = tf.tidy(() => ens.forward(tf.tensor2d(x)).arraySync());
    const yMembers = tf.tidy(() =>
      ens.forwardMembers(tf.tensor3d([x.slice(0, N), x.slice(N, 2 * N), x.slice(2 * N)])).arraySync(),
    );
    const flat = ens.getFlat();
    for (let m = 0; m < 3; m++) {
      const single = new MLP(sizes, new Rng(99));
      single.setFlat(flat.subarray(m * P, (m + 1) * P));
      const rows = x.slice(m * N, (m + 1) * N);
      const ySingle = tf.tidy(() => single.forward(tf.tensor2d(rows)).arraySync());
      rows.forEach((row, i) => {
        const ref = refForward(sizes, flat.subarray(m * P), row);
        expectClose(y[m * N + i], ref, 1e-5);
        expectClose(yMembers[m][i], ref, 1e-5);
        expectClose(ySingle[i], ref, 1e-5);
      });
      single.dispose();
    }
    ens.dispose();
  });

  it("counts parameters and round-trips the flat weight vector", () => {
    const rng = new Rng(4);
    const net = new MLP([23, 25, 25, 17], rng, { members: 3 });
    const perMember = (23 + 1) * 25 + (25 + 1) * 25 + (25 + 1) * 17;
    expect(net.memberParameterCount()).toBe(perMember);
    expect(net.parameterCount()).toBe(3 * perMember);
    expect(net.variables().reduce((n, v) => n + v.size, 0)).toBe(3 * perMember);
    const flat = rng.normalArray(net.parameterCount());
    net.setFlat(flat);
    expect(Array.from(net.getFlat())).toEqual(Array.from(flat));
    // The bias of member 1, layer 0, unit 2 sits right after member 1's first weight matrix.
    expect(net.biases[0].dataSync()[1 * 25 + 2]).toBe(flat[perMember + 23 * 25 + 2]);
    net.dispose();
  });

  it("leaves no tensors behind once built and disposed, and keeps its weights after construction", () => {
    const before = tf.memory().numTensors;
    const net = new MLP([3, 4, 2], new Rng(6), { members: 2 });
    // At least the variables; plus the per-member weight views the fast path keeps.
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(before + net.variables().length);
    const twin = new MLP([3, 4, 2], new Rng(6), { members: 2 });
    const flat = net.getFlat();
    expect(flat.some((v) => v !== 0)).toBe(true);
    expect(Array.from(twin.getFlat())).toEqual(Array.from(flat));
    net.dispose();
    twin.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects bad sizes, options and inputs, naming the argument", () => {
    const rng = new Rng(5);
    expect(() => new MLP([3], rng)).toThrow(/MLP: sizes/);
    expect(() => new MLP([3, 0, 1], rng)).toThrow(/MLP: sizes\[1\]/);
    expect(() => new MLP([3, 1], rng, { members: 0 })).toThrow(/MLP: option members/);
    expect(() => new MLP([3, 1], rng, { hidden: 2 } as never)).toThrow(/unknown option "hidden"/);
    const net = new MLP([3, 4, 2], rng, { members: 2 });
    const before = tf.memory().numTensors;
    const x = tf.zeros([4, 5]) as tf.Tensor2D;
    const odd = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => net.forward(x)).toThrow(/MLP.forward: x must have shape \[\*, 3\]/);
    expect(() => net.forward(odd)).toThrow(/MLP.forward: x must have a multiple of members = 2/);
    expect(() => net.setFlat(new Float32Array(5))).toThrow(/MLP.setFlat: flat must hold 52/);
    expect(() => net.setFlat(new Float32Array(52).fill(NaN))).toThrow(/MLP.setFlat: flat must be finite/);
    tf.dispose([x, odd]);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});

describe("Normalizer", () => {
  it("fromData gives the column means and population standard deviations; constant columns get σ = 1", () => {
    const rows = [
      [1, 5, 2],
      [3, 5, -4],
      [8, 5, 0.5],
      [-2, 5, 1],
    ];
    const x = tf.tensor2d(rows);
    const norm = Normalizer.fromData(x);
    const { mean, std } = norm.values();
    for (let j = 0; j < 3; j++) {
      const col = rows.map((r) => r[j]);
      const mu = col.reduce((a, b) => a + b) / col.length;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mu) ** 2, 0) / col.length);
      expect(mean[j]).toBeCloseTo(mu, 5);
      expect(std[j]).toBeCloseTo(j === 1 ? 1 : sd, 5);
    }
    const back = tf.tidy(() => norm.denormalize(norm.normalize(x)).arraySync());
    rows.forEach((r, i) => expectClose(back[i], r, 1e-5));
    expect(() => new Normalizer([0, 1], [1, 0])).toThrow(/Normalizer: std must be > 0, but entry 1/);
    expect(() => new Normalizer([0, 1], [1])).toThrow(/Normalizer: std must hold 2/);
    x.dispose();
    norm.dispose();
  });
});

describe("DynamicsModel", () => {
  function modelWithStats(seed: number, members: number): DynamicsModel {
    const rng = new Rng(seed);
    const model = new DynamicsModel(3, 2, rng, { hiddenSizes: [8, 8], members });
    randomizeWeights(model.net, rng);
    model.setNormalization(
      new Normalizer(rng.normalArray(5), rng.uniformArray(5, 0.5, 2)),
      new Normalizer(rng.normalArray(3, 0, 0.1), rng.uniformArray(3, 0.01, 0.5)),
    );
    return model;
  }

  it("step equals s + net((concat(s, a) − μ_in)/σ_in)·σ_Δ + μ_Δ computed by hand, member-major", () => {
    const model = modelWithStats(6, 2);
    const rng = new Rng(7);
    const N = 4;
    const s = randomRows(rng, 2 * N, 3);
    const a = randomRows(rng, 2 * N, 2);
    const next = tf.tidy(() => model.step(tf.tensor2d(s), tf.tensor2d(a)).arraySync());
    const flat = model.net.getFlat();
    const P = model.net.memberParameterCount();
    for (let row = 0; row < 2 * N; row++) {
      const member = Math.floor(row / N);
      expectClose(next[row], refStep(model, flat.subarray(member * P), s[row], a[row]), 1e-5);
    }
    model.dispose();
  });

  it.each([1, 2])(
    "its gradient with respect to states and actions matches central finite differences (members = %i)",
    (members) => {
      const model = modelWithStats(8, members);
      const rng = new Rng(9);
      const rows = 2 * members; // member-major: rows [2m, 2m + 2) belong to member m
      const s = randomRows(rng, rows, 3);
      const a = randomRows(rng, rows, 2);
      const w = randomRows(rng, rows, 3); // J = Σ w ⊙ step(s, a)
      const [gs, ga] = tf.tidy(() => {
        const f = (st: tf.Tensor, at: tf.Tensor) =>
          tf.sum(tf.mul(model.step(st as tf.Tensor2D, at as tf.Tensor2D), tf.tensor2d(w)));
        return tf
          .grads(f)([tf.tensor2d(s), tf.tensor2d(a)])
          .map((g) => g.arraySync() as number[][]);
      });
      // Central differences of the float64 reference, h = 1e-5 (truncation error ~1e-10).
      const flat = model.net.getFlat();
      const P = model.net.memberParameterCount();
      const J = (ss: number[], aa: number[], i: number) =>
        refStep(model, flat.subarray(Math.floor(i / 2) * P), ss, aa).reduce((acc, v, d) => acc + v * w[i][d], 0);
      const h = 1e-5;
      const central = (i: number, bump: (x: number[], y: number[], e: number) => [number[], number[]]) =>
        (J(...bump(s[i], a[i], h), i) - J(...bump(s[i], a[i], -h), i)) / (2 * h);
      // The model runs in float32, forward and backward: agreement to 1e-4 relative to the gradient's size.
      const tol = (g: number) => 1e-4 * (1 + Math.abs(g));
      for (let i = 0; i < rows; i++) {
        for (let d = 0; d < 3; d++) {
          const fd = central(i, (x, y, e) => [x.map((v, j) => (j === d ? v + e : v)), y]);
          expect(Math.abs(gs[i][d] - fd)).toBeLessThanOrEqual(tol(fd));
        }
        for (let d = 0; d < 2; d++) {
          const fd = central(i, (x, y, e) => [x, y.map((v, j) => (j === d ? v + e : v))]);
          expect(Math.abs(ga[i][d] - fd)).toBeLessThanOrEqual(tol(fd));
        }
      }
      model.dispose();
    },
  );

  it("rejects bad shapes and options, naming the argument", () => {
    const rng = new Rng(10);
    expect(() => new DynamicsModel(0, 1, rng)).toThrow(/DynamicsModel: stateSize/);
    expect(() => new DynamicsModel(2, 1.5, rng)).toThrow(/DynamicsModel: actionSize/);
    expect(() => new DynamicsModel(2, 1, rng, { hiddenSizes: [4, -1] })).toThrow(/DynamicsModel: option hiddenSizes/);
    const model = new DynamicsModel(2, 1, rng, { members: 2, hiddenSizes: [4] });
    const before = tf.memory().numTensors;
    const [s4, a4, a3, s3, a3b] = [
      tf.zeros([4, 2]),
      tf.zeros([4, 1]),
      tf.zeros([3, 1]),
      tf.zeros([3, 2]),
      tf.zeros([3, 1]),
    ] as tf.Tensor2D[];
    expect(() => model.step(s4, a3)).toThrow(/DynamicsModel.step: actions must have shape \[4, 1\]/);
    expect(() => model.step(a4, a4)).toThrow(/DynamicsModel.step: states must have shape \[\*, 2\]/);
    expect(() => model.step(s3, a3b)).toThrow(/multiple of members = 2/);
    const wrong = Normalizer.identity(2);
    expect(() => model.setNormalization(wrong, wrong)).toThrow(/setNormalization: input must have size S \+ A = 3/);
    wrong.dispose(); // a rejected normaliser stays the caller's
    tf.dispose([s4, a4, a3, s3, a3b]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("leaks no tensors across repeated steps, gradients and weight get/set", () => {
    const model = modelWithStats(11, 3);
    const s = tf.ones([6, 3]) as tf.Tensor2D;
    const a = tf.ones([6, 2]) as tf.Tensor2D;
    const once = () => {
      model.step(s, a).dispose();
      tf.grad((x: tf.Tensor) => tf.sum(model.step(x as tf.Tensor2D, a)))(s).dispose();
      model.net.setFlat(model.net.getFlat());
    };
    once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) once();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, a]);
    model.dispose();
  });
});

describe("predictionErrorByHorizon", () => {
  /** s' = c_m·s + a for member m: a model whose k-step error has a closed form. */
  function scaling(cs: number[]): Dynamics {
    return {
      stateSize: 2,
      actionSize: 1,
      members: cs.length,
      step: (s, a) =>
        tf.tidy(() => {
          const n = s.shape[0] / cs.length;
          const c = tf.tensor1d(cs.flatMap((ci) => new Array(n).fill(ci))).reshape([-1, 1]);
          return tf.add(tf.mul(s, c), a) as tf.Tensor2D;
        }),
    };
  }

  it("matches the closed form of compounding error, averaged over ensemble members", () => {
    // Truth: s' = s + a with a = 0, so s_k = s_0. Member with factor c predicts c^k·s_0,
    // so the k-step squared error averaged over episodes and dims is (c^k − 1)²·mean(s_0²).
    const T = 6;
    const s0 = [
      [1, -2],
      [0.5, 3],
    ];
    const states = s0.map((x) => Array.from({ length: T + 1 }, () => x));
    const actions = s0.map(() => Array.from({ length: T }, () => [0]));
    const meanSq = s0.flat().reduce((acc, v) => acc + v * v, 0) / 4;
    const cs = [1.1, 0.8];
    const before = tf.memory().numTensors;
    const err = predictionErrorByHorizon(scaling(cs), { states, actions });
    expect(tf.memory().numTensors).toBe(before);
    expect(err).toHaveLength(T);
    err.forEach((e, k) => {
      const expected = (cs.reduce((acc, c) => acc + (c ** (k + 1) - 1) ** 2, 0) / cs.length) * meanSq;
      expect(e).toBeCloseTo(expected, 4);
    });
    expect(predictionErrorByHorizon(scaling([1]), { states, actions }).every((e) => e === 0)).toBe(true);
  });

  it("rejects mismatched trajectories, naming the argument", () => {
    const model = scaling([1]);
    const states = [
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    ];
    const before = tf.memory().numTensors;
    expect(() => predictionErrorByHorizon(model, { states, actions: [[[0]]] })).toThrow(
      /predictionErrorByHorizon: data.actions must have shape \[1, 2, 1\]/,
    );
    expect(() => predictionErrorByHorizon(model, { states: [[[0, 0, 0]]], actions: [[[0]]] })).toThrow(
      /data.states must have shape \[\*, \*, 2\]/,
    );
    expect(() => predictionErrorByHorizon(model, { states: [[[0, 0]]], actions: [[[0]]] })).toThrow(
      /at least 2 states/,
    );
    expect(() => predictionErrorByHorizon(model, { states: [[0, 0]] as never, actions: [[[0]]] })).toThrow(
      /data.states must have shape \[\*, \*, 2\], got \[1, 2\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("transitionsFromEpisodes", () => {
  it("lists (s_t, a_t, s_{t+1}) episode by episode, step by step", () => {
    // Two episodes of a 2-d state, 1-d action; the second is shorter.
    const states = [
      [
        [0, 0],
        [1, 0],
        [2, 0],
      ],
      [
        [10, 1],
        [11, 1],
      ],
    ];
    const actions = [[[0.5], [0.6]], [[-1]]];
    expect(transitionsFromEpisodes({ states, actions })).toEqual({
      states: [
        [0, 0],
        [1, 0],
        [10, 1],
      ],
      actions: [[0.5], [0.6], [-1]],
      nextStates: [
        [1, 0],
        [2, 0],
        [11, 1],
      ],
    });
  });

  it("feeds fitDynamics' data format, and rejects episodes whose lengths do not match, naming them", () => {
    const rows = transitionsFromEpisodes({ states: [[[0], [1], [3]]], actions: [[[1], [2]]] });
    expect(rows.states.length).toBe(rows.actions.length);
    expect(rows.nextStates.map(([x], i) => x - rows.states[i][0])).toEqual([1, 2]);
    expect(() => transitionsFromEpisodes({ states: [[[0], [1]]], actions: [] })).toThrow(
      /transitionsFromEpisodes: episodes.states and episodes.actions must hold the same number of episodes, got 1 and 0/,
    );
    expect(() => transitionsFromEpisodes({ states: [[[0], [1]]], actions: [[[1], [2]]] })).toThrow(
      /episode 0 must have one more state than actions/,
    );
    expect(() => transitionsFromEpisodes({} as never)).toThrow(/transitionsFromEpisodes: episodes must hold states/);
  });
});
