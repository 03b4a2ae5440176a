import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { randomMatrix } from "./helpers";
import type { Dynamics, Policy } from "../../src/envs/types";
import { Pendulum } from "../../src/envs/pendulum";
import {
  closedLoopJacobians,
  jacobianProductSpectrum,
  policyTrajectory,
  stepJacobians,
} from "../../src/analysis/jacobians";

/** s' = A s + B a, batched as S' = S Aᵀ + U Bᵀ. */
function linearDynamics(A: number[][], B: number[][], members = 1): Dynamics {
  return {
    stateSize: A.length,
    actionSize: B[0].length,
    members,
    step: (s, a) =>
      tf.tidy(() => tf.add(tf.matMul(s, tf.tensor2d(A), false, true), tf.matMul(a, tf.tensor2d(B), false, true))),
  };
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((acc, x, k) => acc + x * b[k][j], 0)));
}

/** Closed-form top singular value of a 2×2 matrix. */
function sigmaMax2(m: number[][]): number {
  const fro2 = m.flat().reduce((a, x) => a + x * x, 0);
  const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
  return Math.sqrt((fro2 + Math.sqrt(Math.max(0, fro2 * fro2 - 4 * det * det))) / 2);
}

const repeat = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x);

describe("stepJacobians", () => {
  it("returns A and B for a linear system s' = A s + B a, at every step", () => {
    const rng = new Rng(1);
    const [A, B] = [randomMatrix(rng, 3, 3), randomMatrix(rng, 3, 2)];
    const states = rng.normalTensor([5, 3]) as tf.Tensor2D;
    const actions = rng.normalTensor([5, 2]) as tf.Tensor2D;
    const { stateJacobians, actionJacobians } = stepJacobians(linearDynamics(A, B), states, actions);
    expect(stateJacobians).toHaveLength(5);
    for (let t = 0; t < 5; t++) {
      A.forEach((row, i) => row.forEach((v, j) => expect(stateJacobians[t][i][j]).toBeCloseTo(v, 5)));
      B.forEach((row, i) => row.forEach((v, j) => expect(actionJacobians[t][i][j]).toBeCloseTo(v, 5)));
    }
    tf.dispose([states, actions]);
  });

  it("leaks no tensors", () => {
    const dynamics = linearDynamics(
      [
        [1, 2],
        [3, 4],
      ],
      [[1], [0]],
    );
    const s = tf.ones([4, 2]) as tf.Tensor2D;
    const a = tf.ones([4, 1]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) stepJacobians(dynamics, s, a);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, a]);
  });

  it("rejects ensembles and wrong shapes by name", () => {
    const s = tf.ones([4, 2]) as tf.Tensor2D;
    const a = tf.ones([4, 1]) as tf.Tensor2D;
    const a3 = tf.ones([3, 1]) as tf.Tensor2D;
    const identity = [
      [1, 0],
      [0, 1],
    ];
    expect(() => stepJacobians(linearDynamics(identity, [[1], [0]], 2), s, a)).toThrow(
      /stepJacobians: dynamics must have members = 1/,
    );
    expect(() => stepJacobians(linearDynamics([[1]], [[1]]), s, a)).toThrow(
      /stepJacobians: states must have shape \[\*, 1\]/,
    );
    expect(() => stepJacobians(linearDynamics(identity, [[1], [0]]), s, a3)).toThrow(
      /stepJacobians: actions must have shape \[4, 1\]/,
    );
    tf.dispose([s, a, a3]);
  });
});

describe("jacobianProductSpectrum", () => {
  it("gives max|d_i|^t and growth log max|d_i| for diagonal systems, without overflow", () => {
    for (const d of [
      [0.9, -1.1, 0.5],
      [0.5, -0.8, 0.3],
      [3, 1],
    ]) {
      const T = 1000;
      const J = d.map((x, i) => d.map((_, j) => (i === j ? x : 0)));
      const { sigmaMax, logSigmaMax, growthRate } = jacobianProductSpectrum(repeat(J, T));
      const top = Math.max(...d.map(Math.abs));
      logSigmaMax.forEach((v, i) => expect(v).toBeCloseTo((i + 1) * Math.log(top), 8));
      [1, 10, 50].forEach((t) => expect(sigmaMax[t - 1] / top ** t).toBeCloseTo(1, 10));
      expect(growthRate).toBeCloseTo(Math.log(top), 10);
    }
  });

  it("gives max|d_i|^t for a non-diagonal symmetric system U diag(d) Uᵀ", () => {
    const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
    const [c2, s2] = [Math.cos(-1.3), Math.sin(-1.3)];
    const U = matmul(
      [
        [c, -s, 0],
        [s, c, 0],
        [0, 0, 1],
      ],
      [
        [1, 0, 0],
        [0, c2, -s2],
        [0, s2, c2],
      ],
    );
    const D = [
      [0.6, 0, 0],
      [0, -1.05, 0],
      [0, 0, 0.2],
    ];
    const J = matmul(
      matmul(U, D),
      U[0].map((_, j) => U.map((row) => row[j])),
    );
    const { logSigmaMax, growthRate } = jacobianProductSpectrum(repeat(J, 60));
    logSigmaMax.forEach((v, i) => expect(v).toBeCloseTo((i + 1) * Math.log(1.05), 8));
    expect(growthRate).toBeCloseTo(Math.log(1.05), 8);
  });

  it("matches the closed form for a shear, whose product grows only linearly", () => {
    const b = 0.3;
    const { sigmaMax, growthRate } = jacobianProductSpectrum(
      repeat(
        [
          [1, b],
          [0, 1],
        ],
        200,
      ),
    );
    sigmaMax.forEach((v, i) => {
      const tb = (i + 1) * b;
      expect(v).toBeCloseTo((tb + Math.sqrt(tb * tb + 4)) / 2, 8);
    });
    expect(growthRate).toBeGreaterThan(0);
    expect(growthRate).toBeLessThan(0.05);
  });

  it("reports −Infinity once the product is exactly zero", () => {
    const { logSigmaMax, sigmaMax, growthRate } = jacobianProductSpectrum([
      [
        [2, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 1],
      ],
      [
        [1, 0],
        [0, 1],
      ],
    ]);
    expect(logSigmaMax[0]).toBeCloseTo(Math.log(2), 12);
    expect(logSigmaMax.slice(1)).toEqual([-Infinity, -Infinity]);
    expect(sigmaMax.slice(1)).toEqual([0, 0]);
    expect(growthRate).toBe(-Infinity);
  });

  it("rejects too few, non-square or non-finite matrices", () => {
    expect(() => jacobianProductSpectrum([[[1]]])).toThrow(/jacobianProductSpectrum: jacobians must hold at least 2/);
    expect(() =>
      jacobianProductSpectrum([
        [
          [1, 0],
          [0, 1],
        ],
        [[1, 0]],
      ]),
    ).toThrow(/jacobians\[1\] must be a finite 2×2 matrix/);
    expect(() => jacobianProductSpectrum([[[1]], [[NaN]]])).toThrow(/jacobians\[1\]/);
  });
});

describe("Jacobian products of the pendulum", () => {
  const zeroPolicy: Policy = (s) => tf.zeros([s.shape[0], 1]);

  it("explodes at the upright with σ_max of the linearisation's powers", () => {
    const pendulum = new Pendulum();
    const start = tf.tensor2d([[1, 0, 0]]);
    const T = 100;
    const traj = policyTrajectory(pendulum, zeroPolicy, start, undefined, { steps: T });
    const { stateJacobians } = stepJacobians(pendulum, traj.states, traj.actions);
    const spectrum = jacobianProductSpectrum(stateJacobians);
    // In (θ, θ̇) the linearisation is M = [[1 + k dt², dt], [k dt, 1]]; σ_max(∏) = σ_max(M^t).
    const { dt } = pendulum.options;
    const k = 15;
    const M = [
      [1 + k * dt * dt, dt],
      [k * dt, 1],
    ];
    let power = M;
    spectrum.sigmaMax.forEach((v) => {
      expect(v / sigmaMax2(power)).toBeCloseTo(1, 4);
      power = matmul(M, power);
    });
    const trace = 2 + k * dt * dt; // det M = 1
    const lambda = (trace + Math.sqrt(trace * trace - 4)) / 2;
    expect(spectrum.growthRate).toBeCloseTo(Math.log(lambda), 2);
    tf.dispose([start, traj.states, traj.actions, traj.nextStates]);
  });

  it("vanishes at the bottom of a damped pendulum at the rate ½·log(1 − b·dt)", () => {
    const damping = 2;
    const pendulum = new Pendulum({ damping });
    const start = tf.tensor2d([[-1, 0, 0]]);
    const traj = policyTrajectory(pendulum, zeroPolicy, start, undefined, { steps: 200 });
    const { growthRate } = jacobianProductSpectrum(stepJacobians(pendulum, traj.states, traj.actions).stateJacobians);
    // |λ|² = det of the linearisation = 1 − b·dt (a complex pair spiralling in).
    const want = 0.5 * Math.log(1 - damping * pendulum.options.dt);
    expect(Math.abs(growthRate - want)).toBeLessThan(0.002);
    tf.dispose([start, traj.states, traj.actions, traj.nextStates]);
  });
});

describe("policyTrajectory", () => {
  const policy: Policy = (s) => tf.matMul(s, tf.tensor2d([[0.5], [-1.0], [-0.3]]));

  it("equals a plain loop of policy and noisy step, with nextStates shifted by one", () => {
    const pendulum = new Pendulum({ noiseStd: 0.2 });
    const start = tf.tensor2d([Pendulum.stateOf(2.5, 0.3)]);
    const traj = policyTrajectory(pendulum, policy, start, new Rng(4), { steps: 30 });
    expect(traj.states.shape).toEqual([30, 3]);
    expect(traj.actions.shape).toEqual([30, 1]);
    const rng = new Rng(4);
    let s = start.arraySync();
    const [states, actions, nexts] = [traj.states.arraySync(), traj.actions.arraySync(), traj.nextStates.arraySync()];
    for (let t = 0; t < 30; t++) {
      const a = [[s[0][0] * 0.5 - s[0][1] - 0.3 * s[0][2]]];
      const st = tf.tensor2d(s);
      const at = tf.tensor2d(a);
      const next = pendulum.step(st, at, rng);
      states[t].forEach((v, j) => expect(v).toBeCloseTo(s[0][j], 5));
      expect(actions[t][0]).toBeCloseTo(a[0][0], 5);
      s = next.arraySync();
      nexts[t].forEach((v, j) => expect(v).toBeCloseTo(s[0][j], 5));
      tf.dispose([st, at, next]);
    }
    tf.dispose([start, traj.states, traj.actions, traj.nextStates]);
  });

  it("leaks no tensors beyond the returned trajectory and checks its arguments", () => {
    const pendulum = new Pendulum();
    const start = tf.tensor2d([[1, 0, 0]]);
    const before = tf.memory().numTensors;
    const traj = policyTrajectory(pendulum, policy, start, undefined, { steps: 5 });
    tf.dispose([traj.states, traj.actions, traj.nextStates]);
    expect(tf.memory().numTensors).toBe(before);
    const two = tf.tensor2d([
      [1, 0, 0],
      [1, 0, 0],
    ]);
    expect(() => policyTrajectory(pendulum, policy, two, undefined)).toThrow(
      /policyTrajectory: start must have shape \[1, 3\]/,
    );
    expect(() => policyTrajectory(pendulum, policy, start, undefined, { steps: 0 })).toThrow(
      /policyTrajectory: option steps/,
    );
    tf.dispose([start, two]);
  });
});

describe("closedLoopJacobians", () => {
  it("is A − BK for linear dynamics under u = −Kx, at every step", () => {
    const rng = new Rng(31);
    const A = randomMatrix(rng, 3, 3);
    const B = randomMatrix(rng, 3, 2);
    const K = randomMatrix(rng, 2, 3);
    const policy: Policy = (s) => tf.tidy(() => tf.neg(tf.matMul(s, tf.tensor2d(K), false, true)) as tf.Tensor2D);
    const states = tf.tensor2d(randomMatrix(rng, 4, 3));
    const jacobians = closedLoopJacobians(linearDynamics(A, B), policy, states);
    const BK = matmul(B, K);
    const expected = A.map((row, i) => row.map((a, j) => a - BK[i][j]));
    expect(jacobians).toHaveLength(4);
    for (const J of jacobians) J.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 4)));
    states.dispose();
  });

  it("matches central finite differences of s ↦ f(s, π(s)) on the pendulum with a nonlinear policy", () => {
    const pendulum = new Pendulum();
    const policy: Policy = (s) =>
      tf.tidy(() => tf.mul(tf.tanh(tf.matMul(s, tf.tensor2d([[0.5], [-1.5], [0.3]]))), 2) as tf.Tensor2D);
    const s0 = [Math.cos(0.3), Math.sin(0.3), 0.2];
    const states = tf.tensor2d([s0]);
    const [J] = closedLoopJacobians(pendulum, policy, states);
    const next = (s: number[]) =>
      tf.tidy(() => {
        const x = tf.tensor2d([s]);
        return Array.from(pendulum.step(x, policy(x)).dataSync());
      });
    const h = 1e-2; // float32: a large step keeps rounding below the tolerance
    for (let j = 0; j < 3; j++) {
      const up = next(s0.map((v, k) => (k === j ? v + h : v)));
      const down = next(s0.map((v, k) => (k === j ? v - h : v)));
      for (let i = 0; i < 3; i++) expect(J[i][j]).toBeCloseTo((up[i] - down[i]) / (2 * h), 2);
    }
    states.dispose();
  });

  it("differs from the passive ∂f/∂s by ∂f/∂a·∂π/∂s, and leaks no tensors", () => {
    const rng = new Rng(32);
    const A = randomMatrix(rng, 2, 2);
    const B = randomMatrix(rng, 2, 1);
    const policy: Policy = (s) => tf.tidy(() => tf.matMul(s, tf.tensor2d([[1], [2]])) as tf.Tensor2D);
    const states = tf.tensor2d(randomMatrix(rng, 3, 2));
    const before = tf.memory().numTensors;
    const closed = closedLoopJacobians(linearDynamics(A, B), policy, states);
    expect(tf.memory().numTensors).toBe(before);
    closed[0].forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(A[i][j] + B[i][0] * [1, 2][j], 4)));
    states.dispose();
  });
});
