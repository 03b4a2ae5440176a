import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { randomMatrix, randomSpd } from "./helpers";
import { add, identity, matmul, maxAbs, quadForm, solve, sub, transpose, type Matrix } from "../../src/linalg";
import {
  LQProblem,
  LQSystem,
  dareGain,
  lqCost,
  lqRollout,
  riccatiGains,
  scalarPolicyCost,
} from "../../src/control/lqr";
import {
  shootingConditionNumber,
  shootingGradientDescent,
  shootingHessian,
  shootingOptimalActions,
} from "../../src/control/shootingHessian";

function randomProblem(rng: Rng): LQProblem {
  const S = 2 + rng.int(2);
  const U = 1 + rng.int(2);
  return {
    A: randomMatrix(rng, S, S, 0.7),
    B: randomMatrix(rng, S, U),
    Q: randomSpd(rng, S),
    R: randomSpd(rng, U),
    Qf: randomSpd(rng, S),
    horizon: 1 + rng.int(10),
  };
}

const relErr = (x: number, y: number) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-300);
const scalar = (a: number, b: number, q: number, r: number, horizon: number): LQProblem => ({
  A: [[a]],
  B: [[b]],
  Q: [[q]],
  R: [[r]],
  horizon,
});

describe("finite-horizon Riccati recursion", () => {
  it("matches the brute-force quadratic solve on random problems (actions and cost, 1e-8 relative)", () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 30; trial++) {
      const problem = randomProblem(rng);
      const x0 = Array.from({ length: problem.A.length }, () => rng.normal());
      const { gains, costToGo } = riccatiGains(problem);
      const riccati = lqRollout(problem, x0, gains);
      const direct = shootingOptimalActions(problem, x0);
      const scaleU = Math.max(maxAbs(direct), 1e-12);
      expect(maxAbs(sub(riccati.actions, direct)) / scaleU).toBeLessThan(1e-8);
      const directCost = lqCost(problem, x0, direct);
      expect(relErr(quadForm(costToGo[0], x0), directCost)).toBeLessThan(1e-8);
      expect(relErr(riccati.cost, directCost)).toBeLessThan(1e-8);
    }
  });

  it("the Riccati actions are a minimum: random perturbations never lower the cost", () => {
    const rng = new Rng(12);
    const problem = randomProblem(rng);
    const x0 = Array.from({ length: problem.A.length }, () => rng.normal());
    const best = lqRollout(problem, x0, riccatiGains(problem).gains);
    for (let k = 0; k < 20; k++) {
      const moved = best.actions.map((row) => row.map((u) => u + 1e-3 * rng.normal()));
      expect(lqCost(problem, x0, moved)).toBeGreaterThan(best.cost);
    }
  });
});

describe("infinite-horizon gain (DARE)", () => {
  it("satisfies P = Q + KᵀRK + (A−BK)ᵀP(A−BK), K = (R+BᵀPB)⁻¹BᵀPA, and stabilises", () => {
    const rng = new Rng(13);
    for (let trial = 0; trial < 10; trial++) {
      const { A, B, Q, R } = randomProblem(rng);
      const { K, P, spectralRadius: rho } = dareGain({ A, B, Q, R });
      const closed = sub(A, matmul(B, K));
      const rhs = add(add(Q, matmul(matmul(transpose(K), R), K)), matmul(matmul(transpose(closed), P), closed));
      expect(maxAbs(sub(rhs, P)) / maxAbs(P)).toBeLessThan(1e-9);
      const btp = matmul(transpose(B), P);
      expect(maxAbs(sub(solve(add(R, matmul(btp, B)), matmul(btp, A)), K)) / maxAbs(K)).toBeLessThan(1e-9);
      expect(rho).toBeLessThan(1);
      // stability seen independently: the closed loop's powers die out
      let power = closed;
      for (let k = 0; k < 10; k++) power = matmul(power, power); // (A−BK)^1024
      expect(maxAbs(power)).toBeLessThan(1e-6);
    }
  });

  it("matches the scalar closed form p = [−β + sqrt(β² + 4b²qr)]/(2b²), β = r − qb² − a²r", () => {
    for (const [a, b, q, r] of [
      [1.2, 0.5, 1, 0.3],
      [0.5, 1, 2, 1],
      [-2, 1, 1, 1],
    ]) {
      const beta = r - q * b * b - a * a * r;
      const p = (-beta + Math.sqrt(beta * beta + 4 * b * b * q * r)) / (2 * b * b);
      const sol = dareGain(scalar(a, b, q, r, 1));
      expect(relErr(sol.P[0][0], p)).toBeLessThan(1e-10);
      expect(relErr(sol.K[0][0], (a * b * p) / (r + b * b * p))).toBeLessThan(1e-10);
    }
  });

  it("finite-horizon K_0 converges to the DARE gain as T grows", () => {
    const rng = new Rng(14);
    const { A, B, Q, R } = randomProblem(rng);
    const K = dareGain({ A, B, Q, R }).K;
    const errors = [2, 5, 10, 20, 200].map((horizon) => maxAbs(sub(riccatiGains({ A, B, Q, R, horizon }).gains[0], K)));
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThanOrEqual(errors[i - 1]);
    expect(errors[errors.length - 1]).toBeLessThan(1e-9);
  });

  // p solves b²p² + βp − qr = 0 with β = r − qb² − a²r; K = abp / (r + b²p).
  const scalarDare = (a: number, b: number, q: number, r: number) => {
    const beta = r - q * b * b - a * a * r;
    const p = (-beta + Math.sqrt(beta * beta + 4 * b * b * q * r)) / (2 * b * b);
    return { p, k: (a * b * p) / (r + b * b * p) };
  };
  const scales = [1e-12, 1e-6, 1, 1e6];

  it("gives the same K when Q and R are scaled together, and P scaled by the same factor (scalar, with closed form)", () => {
    // stable, unstable, and slow closed loops: a = 1 with q ≪ r leaves ρ(a − bK) = about 1 − 1e-3
    const cases = [
      [1.2, 1, 1, 1],
      [0.5, 1, 2, 1],
      [-2, 1, 1, 1],
      [1, 1, 1e-6, 1],
      [0.999, 1, 1e-6, 1],
    ];
    for (const [a, b, q, r] of cases) {
      const exact = scalarDare(a, b, q, r);
      for (const c of scales) {
        const sol = dareGain(scalar(a, b, c * q, c * r, 1));
        expect(relErr(sol.K[0][0], exact.k), `a=${a} q=${q} r=${r} scale ${c}`).toBeLessThan(1e-9);
        expect(relErr(sol.P[0][0], c * exact.p), `a=${a} q=${q} r=${r} scale ${c}`).toBeLessThan(1e-9);
        expect(sol.residual).toBeLessThan(1e-12);
      }
    }
    // the case: Q = R = 1e-12 used to stop after one step at K = 0.7588 instead of 0.7935
    expect(dareGain(scalar(1.2, 1, 1e-12, 1e-12, 1)).K[0][0]).toBeCloseTo(0.7935, 4);
  });

  it("gives the same K when Q and R are scaled together (matrix: two scalar systems, rotated, against the closed form)", () => {
    const blocks = [
      [
        [1.2, 1, 1, 1],
        [0.5, 1, 2, 1],
      ],
      [
        [1, 1, 1e-6, 1],
        [-2, 1, 1, 1],
      ],
    ];
    const angle = 0.7;
    const U = [
      [Math.cos(angle), -Math.sin(angle)],
      [Math.sin(angle), Math.cos(angle)],
    ]; // orthogonal
    const rotate = (M: Matrix) => matmul(matmul(U, M), transpose(U));
    for (const [[a1, b1, q1, r1], [a2, b2, q2, r2]] of blocks) {
      const e1 = scalarDare(a1, b1, q1 / r1, 1); // one R for both inputs: put r into q (K depends on q/r only)
      const e2 = scalarDare(a2, b2, q2 / r2, 1);
      const diag = (x: number, y: number) => [
        [x, 0],
        [0, y],
      ];
      const Kexact = matmul(diag(e1.k, e2.k), transpose(U));
      const Pexact = rotate(diag(e1.p, e2.p));
      for (const c of scales) {
        const system = {
          A: rotate(diag(a1, a2)),
          B: matmul(U, diag(b1, b2)),
          Q: rotate(diag((c * q1) / r1, (c * q2) / r2)),
          R: diag(c, c),
        };
        const sol = dareGain(system);
        expect(maxAbs(sub(sol.K, Kexact)) / maxAbs(Kexact), `scale ${c}`).toBeLessThan(1e-8);
        expect(
          maxAbs(
            sub(
              sol.P,
              Pexact.map((row) => row.map((v) => c * v)),
            ),
          ) /
            (c * maxAbs(Pexact)),
          `scale ${c}`,
        ).toBeLessThan(1e-8);
        expect(sol.residual).toBeLessThan(1e-12);
      }
    }
  });

  it("throws a clear error when no stabilising solution exists", () => {
    // mode 1 (eigenvalue 2) cannot be reached by B: penalised, its cost-to-go blows up
    const unreachable: LQSystem = {
      A: [
        [2, 0],
        [0, 0.5],
      ],
      B: [[0], [1]],
      Q: identity(2),
      R: [[1]],
    };
    expect(() => dareGain(unreachable)).toThrow(/dareGain: no stabilising solution/);
    // not penalised either: the iteration converges to K = 0 and the closed loop stays unstable
    expect(() =>
      dareGain({
        ...unreachable,
        Q: [
          [0, 0],
          [0, 1],
        ],
      }),
    ).toThrow(/spectral radius 2/);
    // an iteration cap too small to converge is reported, not silently accepted
    expect(() => dareGain(scalar(1, 1, 1, 1, 1), { maxIterations: 3 })).toThrow(/did not converge in 3 steps/);
  });
});

describe("shooting Hessian", () => {
  // A = B = Q = Q_f = 1, R = r: x_t = x_0 + Σ_{s<t} u_s, so H = L, the lower-triangular matrix of
  // ones, and the Hessian is 2(LᵀL + rI) with (LᵀL)_ij = T − max(i, j) (0-based).
  // L⁻¹ = D is bidiagonal (1 on the diagonal, −1 below), so (LᵀL)⁻¹ = DDᵀ: tridiagonal with
  // −1 off the diagonal and diagonal (1, 2, …, 2). Its eigenvectors are v_j = cos((j − ½)θ),
  // j = 1..T: the interior rows give μ = 2 − 2cos θ, row 1 holds because v_0 = v_1, and row T
  // needs v_{T+1} = 0, i.e. θ_k = (2k − 1)π/(2T + 1). So μ_k = 4 sin²(θ_k/2), the eigenvalues of
  // LᵀL are 1/μ_k, and κ = (1/μ_1 + r)/(1/μ_T + r); for r = 0, κ = sin²(θ_T/2)/sin²(θ_1/2).
  const mu = (k: number, T: number) => 4 * Math.sin(((2 * k - 1) * Math.PI) / (2 * (2 * T + 1))) ** 2;

  it("of the integrator equals 2(LᵀL + rI) entrywise", () => {
    const T = 7;
    const r = 0.3;
    const hess = shootingHessian(scalar(1, 1, 1, r, T));
    hess.forEach((row, i) =>
      row.forEach((h, j) => expect(h).toBeCloseTo(2 * (T - Math.max(i, j) + (i === j ? r : 0)), 12)),
    );
  });

  it("has the closed-form condition number of the integrator, for r = 0 and r > 0", () => {
    for (const T of [1, 2, 3, 5, 10, 20, 40]) {
      for (const r of [0, 0.5]) {
        const expected = (1 / mu(1, T) + r) / (1 / mu(T, T) + r);
        expect(relErr(shootingConditionNumber(scalar(1, 1, 1, r, T)), expected)).toBeLessThan(1e-9);
      }
    }
  });

  it("stays below ((1+a)/(1−a))² for stable a and grows by a² per step for unstable a", () => {
    // stable: ‖H‖ ≤ Σ a^k < 1/(1−a) and H⁻¹ is bidiagonal (1, −a), so ‖H⁻¹‖ ≤ 1 + a
    for (const T of [5, 20, 60]) expect(shootingConditionNumber(scalar(0.5, 1, 1, 0, T))).toBeLessThan(9);
    const a = 1.3;
    const ratio = shootingConditionNumber(scalar(a, 1, 1, 0, 26)) / shootingConditionNumber(scalar(a, 1, 1, 0, 25));
    expect(Math.abs(ratio / (a * a) - 1)).toBeLessThan(1e-3);
  });
});

describe("gradient descent on the action sequence", () => {
  it("takes steps along the exact gradient (checked by central differences of the simulated cost)", () => {
    const rng = new Rng(15);
    const problem = { ...randomProblem(rng), horizon: 4 };
    const x0 = Array.from({ length: problem.A.length }, () => rng.normal());
    const U = problem.B[0].length;
    const u0 = randomMatrix(rng, 4, U);
    const { actions, stepSize } = shootingGradientDescent(problem, x0, { iterations: 1, initialActions: u0 });
    const h = 1e-5;
    u0.forEach((row, t) =>
      row.forEach((_, j) => {
        const bump = (d: number) =>
          lqCost(
            problem,
            x0,
            u0.map((r, s) => r.map((v, i) => (s === t && i === j ? v + d : v))),
          );
        const fd = (bump(h) - bump(-h)) / (2 * h);
        const grad = (u0[t][j] - actions[t][j]) / stepSize;
        expect(Math.abs(grad - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
      }),
    );
  });

  it("contracts the gap to the optimum by at least (1 − 1/κ)² per step, and slows as T grows", () => {
    const gaps = (T: number, iterations: number) => {
      const problem = scalar(1.2, 1, 1, 0.1, T);
      const best = lqRollout(problem, [1], riccatiGains(problem).gains).cost;
      const { costs } = shootingGradientDescent(problem, [1], { iterations });
      const rate = (1 - 1 / shootingConditionNumber(problem)) ** 2;
      costs.forEach((c, k) => expect(c - best).toBeLessThanOrEqual((costs[0] - best) * rate ** k * (1 + 1e-9) + 1e-12));
      return costs.map((c) => (c - best) / best);
    };
    // The stiff directions are gone within a few steps; what is left decays at the slow rate,
    // so compare how much of the remaining gap steps 100..300 remove.
    const slowdown = [3, 10, 30].map((T) => {
      const g = gaps(T, 300);
      return { final: g[300], kept: g[300] / g[100] };
    });
    expect(slowdown[0].final).toBeLessThan(1e-12); // short horizon: reaches the Riccati cost
    expect(slowdown[1].kept).toBeGreaterThan(slowdown[0].kept);
    expect(slowdown[2].kept).toBeGreaterThan(slowdown[1].kept);
    expect(slowdown[2].kept).toBeGreaterThan(0.9); // T = 30: barely moving
  });

  it("reports progress as plain data", () => {
    const seen: number[] = [];
    const { costs } = shootingGradientDescent(scalar(1, 1, 1, 1, 3), [1], {
      iterations: 4,
      onProgress: (p) => seen.push(p.cost),
    });
    expect(seen).toEqual(costs.slice(1));
  });
});

describe("stationary policy cost J(k) on a scalar system", () => {
  const base = { a: 1.5, b: 0.5, q: 1, r: 0.2, qf: 0.7, x0: -1.3 };
  const simulate = (k: number, horizon: number) => {
    let x = base.x0;
    let cost = 0;
    for (let t = 0; t < horizon; t++) {
      const u = -k * x;
      cost += base.q * x * x + base.r * u * u;
      x = base.a * x + base.b * u;
    }
    return cost + base.qf * x * x;
  };

  it("equals a direct simulation loop, including |a − bk| = 1 exactly and the matrix rollout", () => {
    for (const horizon of [1, 5, 20, 50]) {
      for (const k of [-2, 0, 1, 2.2, 3, 5, 6.5]) {
        const J = scalarPolicyCost({ ...base, horizon }, k);
        expect(relErr(J, simulate(k, horizon))).toBeLessThan(1e-12);
        const problem = { A: [[base.a]], B: [[base.b]], Q: [[base.q]], R: [[base.r]], Qf: [[base.qf]], horizon };
        const rollout = lqRollout(problem, [base.x0], new Array(horizon).fill([[k]]));
        expect(relErr(J, rollout.cost)).toBeLessThan(1e-12);
      }
    }
  });

  it("is a polynomial of degree 2T: its (2T)-th difference is (2T)!·h^{2T}·x0²(r b^{2T−2} + qf b^{2T}), the next is 0", () => {
    const horizon = 3;
    const h = 0.5;
    const J = (k: number) => scalarPolicyCost({ ...base, horizon }, k);
    const diff = (n: number) => {
      let s = 0;
      let binom = 1;
      for (let i = 0; i <= n; i++) {
        s += (n - i) % 2 === 0 ? binom * J(1 + i * h) : -binom * J(1 + i * h);
        binom = (binom * (n - i)) / (i + 1);
      }
      return s;
    };
    const lead = base.x0 ** 2 * (base.r * base.b ** 4 + base.qf * base.b ** 6);
    expect(relErr(diff(6), 720 * h ** 6 * lead)).toBeLessThan(1e-9);
    expect(Math.abs(diff(7))).toBeLessThan(1e-9 * Math.abs(diff(6)) * 100);
  });
});

describe("argument checks", () => {
  const good = () => scalar(1, 1, 1, 1, 3);

  it("errors name the function and the argument", () => {
    expect(() => riccatiGains({ ...good(), B: [[1], [1]] })).toThrow(
      /riccatiGains: problem.B must have shape \[1, \*\], got \[2, 1\]/,
    );
    expect(() => riccatiGains({ ...good(), Q: identity(2) })).toThrow(
      /riccatiGains: problem.Q must have shape \[1, 1\]/,
    );
    expect(() => riccatiGains({ ...good(), Qf: [[1, 0]] })).toThrow(/problem.Qf must have shape \[1, 1\]/);
    expect(() => riccatiGains({ ...good(), horizon: 0 })).toThrow(/problem.horizon must be a positive integer/);
    expect(() => riccatiGains({ ...good(), Q: [[-1]] })).toThrow(/problem.Q must be positive semi-definite/);
    expect(() =>
      dareGain({
        ...good(),
        A: identity(2),
        B: [[1], [0]],
        Q: identity(2),
        R: [
          [1, 2],
          [0, 1],
        ],
      }),
    ).toThrow(/dareGain: problem.R must have shape \[1, 1\]/);
    expect(() =>
      dareGain({
        ...good(),
        A: [
          [1, 2],
          [0, 1],
        ],
        B: [
          [1, 0],
          [0, 1],
        ],
        Q: [
          [1, 1],
          [0, 1],
        ],
        R: identity(2),
      }),
    ).toThrow(/problem.Q must be symmetric/);
    expect(() => dareGain(good(), { tolerence: 1 } as never)).toThrow(/dareGain: unknown option "tolerence"/);
    expect(() => lqRollout(good(), [1, 2], riccatiGains(good()).gains)).toThrow(
      /lqRollout: x0 must be a number\[\] of length 1/,
    );
    expect(() => lqRollout(good(), [1], [[[1]]])).toThrow(/lqRollout: gains must be an array of 3/);
    expect(() => lqRollout(good(), [1], [[[1]], [[1]], [[1, 2]]])).toThrow(
      /lqRollout: gains\[2\] must have shape \[1, 1\]/,
    );
    expect(() => lqCost(good(), [1], [[1], [2]])).toThrow(/lqCost: actions must have shape \[3, 1\]/);
    expect(() => shootingGradientDescent(good(), [1], { initialActions: [[1]] })).toThrow(
      /shootingGradientDescent: options.initialActions must have shape \[3, 1\]/,
    );
    expect(() => scalarPolicyCost({ a: 1, b: 1, q: 1, r: 1, x0: 1, horizon: 2 }, NaN)).toThrow(
      /scalarPolicyCost: k must be finite/,
    );
    expect(() => riccatiGains({ ...good(), R: [[0]], B: [[0]] })).toThrow(/riccatiGains: R \+ BᵀPB is singular/);
  });

  it("creates no tensors", () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      riccatiGains(good());
      shootingGradientDescent(good(), [1], { iterations: 2 });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
