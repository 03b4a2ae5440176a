import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import type { Dynamics, RewardFn } from "../../src/envs/types";
import { openLoopObjective, openLoopReturns, policyObjective, policyReturns } from "../../src/control/rollout";
import { rollout } from "../../src/rollout";
import { gradientCheck } from "../../src/analysis/gradientCheck";

/** s' = A s + B a on row-vector batches; A (S×S), B (S×A) as nested arrays. */
function linear(A: number[][], B: number[][], members = 1): Dynamics {
  const At = tf.keep(tf.tensor2d(A).transpose());
  const Bt = tf.keep(tf.tensor2d(B).transpose());
  return {
    stateSize: A.length,
    actionSize: B[0].length,
    members,
    step: (s, a) => tf.tidy(() => s.matMul(At).add(a.matMul(Bt)) as tf.Tensor2D),
  };
}

/** r = −(q·‖s‖² + r·‖a‖²), on the state the step starts from. */
function quadratic(q: number, r: number): RewardFn {
  return (s, a) => tf.tidy(() => s.square().sum(1).mul(q).add(a.square().sum(1).mul(r)).neg() as tf.Tensor1D);
}

/** Plain-number simulation of a linear system under an open-loop plan: the independent answer. */
function simulate(
  A: number[][],
  B: number[][],
  s0: number[],
  plan: number[][],
  q: number,
  r: number,
  discount = 1,
): number {
  let s = [...s0];
  let total = 0;
  plan.forEach((a, t) => {
    const cost = q * s.reduce((x, v) => x + v * v, 0) + r * a.reduce((x, v) => x + v * v, 0);
    total -= discount ** t * cost;
    s = A.map((row, i) => row.reduce((x, Aij, j) => x + Aij * s[j], 0) + B[i].reduce((x, Bij, j) => x + Bij * a[j], 0));
  });
  return total;
}

const A2 = [
  [1.1, 0.2],
  [0, 0.9],
];
const B2 = [[0.5], [1]];

describe("policyObjective", () => {
  it("equals the closed form −(q + r k²)·mean(x0²)·Σ_t γ^t (a − b k)^{2t} for u = −k x", () => {
    // x_t = (a − bk)^t x0 and u_t = −k x_t, so the step-t reward is −(q + r k²)(a − bk)^{2t} x0².
    const [a, b, q, r, H] = [1.1, 0.5, 1, 0.3, 10];
    const dynamics = linear([[a]], [[b]]);
    const x0 = [1, -2, 0.5];
    const meanSq = x0.reduce((s, v) => s + v * v, 0) / x0.length;
    for (const k of [0.5, 1, 3]) {
      for (const discount of [1, 0.9]) {
        let series = 0;
        for (let t = 0; t < H; t++) series += discount ** t * (a - b * k) ** (2 * t);
        const expected = -(q + r * k * k) * meanSq * series;
        const starts = tf.tensor2d(x0, [3, 1]);
        const J = policyObjective({ dynamics, reward: quadratic(q, r) }, (s) => s.mul(-k), starts, undefined, {
          horizon: H,
          discount,
        });
        expect(J.shape).toEqual([]);
        expect(J.dataSync()[0]).toBeCloseTo(expected, 3);
        tf.dispose([starts, J]);
      }
    }
  });

  it("batched returns equal a per-start loop, for a nonlinear policy", () => {
    const dynamics = linear(A2, B2);
    const policy = (s: tf.Tensor2D) =>
      tf.tidy(
        () =>
          s
            .matMul(tf.tensor2d([[-0.7], [0.4]]))
            .tanh()
            .mul(2) as tf.Tensor2D,
      );
    const starts = new Rng(1).normalTensor([5, 2]) as tf.Tensor2D;
    const batched = policyReturns({ dynamics, reward: quadratic(1, 0.1) }, policy, starts, undefined, {
      horizon: 12,
    }).arraySync();
    tf.unstack(starts).forEach((row, i) => {
      const single = policyReturns({ dynamics, reward: quadratic(1, 0.1) }, policy, row.reshape([1, 2]), undefined, {
        horizon: 12,
      });
      expect(batched[i]).toBeCloseTo(single.dataSync()[0], 4);
      tf.dispose([row, single]);
    });
    starts.dispose();
  });

  it("scores all H steps with one reward call on the H·B stacked transitions, equal to a per-step loop", () => {
    const dynamics = linear(A2, B2);
    const policy = (s: tf.Tensor2D) => tf.tidy(() => s.matMul(tf.tensor2d([[-0.7], [0.4]])).tanh() as tf.Tensor2D);
    const perStep = quadratic(1, 0.1);
    const calls: number[] = [];
    const reward: RewardFn = (s, a, next) => (calls.push(s.shape[0]), perStep(s, a, next));
    const starts = new Rng(3).normalTensor([5, 2]) as tf.Tensor2D;
    const [H, discount] = [7, 0.9];
    const batched = policyReturns({ dynamics, reward }, policy, starts, undefined, { horizon: H, discount });
    expect(calls).toEqual([H * 5]);
    // The independent answer: the rollout core's per-step rewards, discounted and summed in order.
    const terms: tf.Tensor1D[] = [];
    const last = rollout({ dynamics, reward: perStep }, policy, starts, undefined, { steps: H }, ({ t, rewards }) =>
      terms.push(tf.keep(rewards!.mul(discount ** t))),
    );
    const looped = tf.addN(terms);
    expect(Array.from(batched.dataSync())).toEqual(Array.from(looped.dataSync()));
    tf.dispose([batched, looped, last, starts, ...terms]);
  });

  it("autodiff through the unroll matches central finite differences (linear policy, 2-D system)", () => {
    const dynamics = linear(A2, B2);
    const starts = new Rng(2).normalTensor([4, 2]) as tf.Tensor2D;
    const J = (K: tf.Tensor) =>
      policyObjective(
        { dynamics, reward: quadratic(1, 0.1) },
        (s) => s.matMul(K.reshape([2, 1])).neg() as tf.Tensor2D,
        starts,
        undefined,
        { horizon: 15 },
      );
    const K0 = tf.tensor1d([0.8, 0.5]);
    const result = gradientCheck(J, K0);
    // Float32 central differences with h = 5e-3 agree to ~1e-3 here; 1e-2 leaves margin.
    expect(result.maxRelativeError).toBeLessThan(1e-2);
    expect(Math.abs(result.entries[0].analytic)).toBeGreaterThan(result.noiseFloor * 100);
    tf.dispose([starts, K0]);
  });

  it("passes the rng to stochastic dynamics: same seed, same objective; different seed, different", () => {
    const base = linear([[1]], [[1]]);
    const noisy: Dynamics = {
      ...base,
      step: (s, a, rng) => tf.tidy(() => base.step(s, a).add(rng ? rng.normalTensor(s.shape) : 0) as tf.Tensor2D),
    };
    const starts = tf.ones([3, 1]) as tf.Tensor2D;
    const value = (seed: number) => {
      const J = policyObjective(
        { dynamics: noisy, reward: quadratic(1, 0) },
        (s) => s.mul(-0.5),
        starts,
        new Rng(seed),
        { horizon: 5 },
      );
      const v = J.dataSync()[0];
      J.dispose();
      return v;
    };
    expect(value(3)).toBe(value(3));
    expect(value(3)).not.toBe(value(4));
    starts.dispose();
  });

  it("rejects bad arguments, naming them", () => {
    const dynamics = linear(A2, B2);
    const starts = tf.zeros([4, 2]) as tf.Tensor2D;
    const policy = (s: tf.Tensor2D) => s.slice([0, 0], [-1, 1]) as tf.Tensor2D;
    const reward = quadratic(1, 1);
    expect(() => policyObjective({ dynamics, reward }, policy, starts, undefined, { horizon: 0 })).toThrow(
      /policyReturns: option horizon must be a positive integer/,
    );
    expect(() =>
      policyObjective({ dynamics, reward }, policy, tf.zeros([4, 3]) as tf.Tensor2D, undefined, { horizon: 3 }),
    ).toThrow(/startStates must have shape \[\*, 2\]/);
    expect(() =>
      policyObjective({ dynamics, reward }, policy, starts, undefined, { horizon: 3, discount: 1.5 }),
    ).toThrow(/option discount/);
    expect(() => policyObjective({ dynamics, reward }, (s) => s, starts, undefined, { horizon: 3 })).toThrow(
      /action must have shape \[4, 1\]/,
    );
    expect(() =>
      policyObjective(
        { dynamics, reward: (s) => s.sum(1, true) as unknown as tf.Tensor1D },
        policy,
        starts,
        undefined,
        { horizon: 3 },
      ),
    ).toThrow(/reward output/);
    expect(() =>
      policyObjective({ dynamics: linear(A2, B2, 3), reward }, policy, starts, undefined, { horizon: 3 }),
    ).toThrow(/multiple of dynamics.members = 3/);
    starts.dispose();
  });

  it("leaves no tensors behind over repeated calls", () => {
    const dynamics = linear(A2, B2);
    const starts = tf.ones([8, 2]) as tf.Tensor2D;
    const K = tf.tensor2d([[0.5], [0.1]]);
    const before = tf.memory().numTensors;
    const J = (k: tf.Tensor) =>
      policyObjective(
        { dynamics, reward: quadratic(1, 1) },
        (s) => s.matMul(k as tf.Tensor2D).neg() as tf.Tensor2D,
        starts,
        undefined,
        { horizon: 10 },
      );
    for (let i = 0; i < 5; i++) {
      const { value, grad } = tf.valueAndGrad(J)(K);
      tf.dispose([value, grad]);
      J(K).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([starts, K]);
  });
});

describe("openLoopObjective", () => {
  const [q, r] = [1, 0.2];
  const reward = quadratic(q, r);

  it("equals a plain simulation, with every broadcast of starts and plans", () => {
    const dynamics = linear(A2, B2);
    const rng = new Rng(5);
    const [B, H] = [3, 7];
    const starts = Array.from({ length: B }, () => Array.from(rng.normalArray(2)));
    const plans = Array.from({ length: B }, () => Array.from({ length: H }, () => [rng.normal()]));
    const expect1 = (got: tf.Tensor1D, want: number[]) => {
      const values = got.arraySync();
      expect(values.length).toBe(want.length);
      want.forEach((w, i) => expect(values[i]).toBeCloseTo(w, 3));
      got.dispose();
    };
    const sim = (i: number, j: number) => simulate(A2, B2, starts[i], plans[j], q, r);
    const tS = tf.tensor2d(starts);
    const tP = tf.tensor3d(plans);
    const s0 = tf.tensor1d(starts[0]);
    const p0 = tf.tensor2d(plans[0]);
    expect1(openLoopReturns({ dynamics, reward }, p0, s0), [sim(0, 0)]);
    expect1(
      openLoopReturns({ dynamics, reward }, tP, tS),
      [0, 1, 2].map((i) => sim(i, i)),
    );
    expect1(
      openLoopReturns({ dynamics, reward }, p0, tS),
      [0, 1, 2].map((i) => sim(i, 0)),
    );
    expect1(
      openLoopReturns({ dynamics, reward }, tP, s0),
      [0, 1, 2].map((j) => sim(0, j)),
    );
    const J = openLoopObjective({ dynamics, reward }, tP, tS, undefined, { discount: 0.8 });
    const want = [0, 1, 2].map((i) => simulate(A2, B2, starts[i], plans[i], q, r, 0.8)).reduce((a, b) => a + b) / 3;
    expect(J.dataSync()[0]).toBeCloseTo(want, 3);
    tf.dispose([tS, tP, s0, p0, J]);
  });

  it("∂J/∂u_j by autodiff equals the closed form and central differences (unstable scalar system)", () => {
    // x_{t+1} = a x_t + b u_t, J = −Σ_{t<H} (q x_t² + r u_t²):
    // ∂J/∂u_j = −2 r u_j − Σ_{t=j+1}^{H−1} 2 q x_t · b a^{t−1−j}.
    const [a, b, H, x0] = [1.3, 0.5, 12, 0.7];
    const dynamics = linear([[a]], [[b]]);
    const u = Array.from(new Rng(6).normalArray(H, 0, 0.3));
    const xs = [x0];
    for (let t = 0; t < H; t++) xs.push(a * xs[t] + b * u[t]);
    const closed = u.map((uj, j) => {
      let g = -2 * r * uj;
      for (let t = j + 1; t < H; t++) g -= 2 * q * xs[t] * b * a ** (t - 1 - j);
      return g;
    });
    const s0 = tf.tensor1d([x0]);
    const plan = tf.tensor2d(u, [H, 1]);
    const J = (p: tf.Tensor) => openLoopObjective({ dynamics, reward }, p as tf.Tensor2D, s0);
    const grad = tf.grad(J)(plan);
    const autodiff = grad.dataSync();
    closed.forEach((g, j) => expect(Math.abs(autodiff[j] - g)).toBeLessThan(1e-4 * Math.max(1, Math.abs(g))));
    // Early actions dominate on an unstable system: |∂J/∂u_0| > |∂J/∂u_{H/2}| > |∂J/∂u_{H−1}|.
    expect(Math.abs(autodiff[0])).toBeGreaterThan(Math.abs(autodiff[H / 2]));
    // Central differences in float32 can only check entries well above their rounding noise (on
    // native TensorFlow the last action's small gradient is not).
    const check = gradientCheck(J, plan);
    const checkable = check.entries.filter((e) => Math.abs(e.analytic) > 100 * check.noiseFloor);
    expect(checkable.length).toBeGreaterThanOrEqual(H / 2);
    checkable.forEach((e) => expect(e.relativeError).toBeLessThan(1e-2));
    tf.dispose([s0, plan, grad]);
  });

  it("rejects mismatched batches and bad shapes, naming the argument", () => {
    const dynamics = linear(A2, B2);
    const s = tf.zeros([3, 2]) as tf.Tensor2D;
    expect(() => openLoopReturns({ dynamics, reward }, tf.zeros([2, 4, 1]) as tf.Tensor3D, s)).toThrow(
      /openLoopReturns: startStates has 3 rows and actions 2 sequences/,
    );
    expect(() => openLoopReturns({ dynamics, reward }, tf.zeros([4, 2]) as tf.Tensor2D, s)).toThrow(
      /actions must have shape \[\*, 1\]/,
    );
    expect(() =>
      openLoopReturns({ dynamics, reward }, tf.zeros([4, 1]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D),
    ).toThrow(/startStates must have shape \[2\]/);
    expect(() => openLoopReturns({ dynamics, reward }, tf.zeros([0, 1]) as tf.Tensor2D, s)).toThrow(
      /openLoopReturns: actions must hold at least one step/,
    );
    s.dispose();
  });
});
