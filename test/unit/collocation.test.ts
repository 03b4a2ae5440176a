import { describe, it, expect } from "vitest";
import {
  collocationConditionNumber,
  collocationKkt,
  collocationOptimum,
  policyCollocationJacobian,
} from "../../src/control/collocation";
import { lqRollout, riccatiGains, type LQProblem } from "../../src/control/lqr";
import { shootingConditionNumber } from "../../src/control/shootingHessian";
import { spectralRadius } from "../../src/linalg";

const lq = (lambda: number, horizon: number): LQProblem => ({
  A: [[lambda]],
  B: [[1]],
  Q: [[1]],
  R: [[0.1]],
  Qf: [[1]],
  horizon,
});

describe("collocation", () => {
  it("finds the Riccati optimum (states and actions) of a 2-state problem by one KKT solve", () => {
    const problem: LQProblem = {
      A: [
        [1.1, 0.2],
        [0, 0.9],
      ],
      B: [[0], [1]],
      Q: [
        [1, 0],
        [0, 0.5],
      ],
      R: [[0.3]],
      Qf: [
        [2, 0],
        [0, 1],
      ],
      horizon: 12,
    };
    const x0 = [1, -0.5];
    const exact = lqRollout(problem, x0, riccatiGains(problem).gains);
    const found = collocationOptimum(problem, x0);
    found.actions.forEach((u, t) => expect(u[0]).toBeCloseTo(exact.actions[t][0], 9));
    found.states.forEach((x, t) => x.forEach((v, i) => expect(v).toBeCloseTo(exact.states[t + 1][i], 9)));
  });

  it("keeps the KKT matrix well conditioned where shooting's Hessian is not", () => {
    const kkt = collocationKkt(lq(1.2, 5));
    expect(kkt.length).toBe(15);
    kkt.forEach((row, i) => row.forEach((v, j) => expect(v).toBe(kkt[j][i])));
    const [k30, k60] = [collocationConditionNumber(lq(1.2, 30)), collocationConditionNumber(lq(1.2, 60))];
    // Shooting's grows by λ² = 1.44 per step; collocation's barely moves from T = 30 to 60.
    expect(shootingConditionNumber(lq(1.2, 60)) / shootingConditionNumber(lq(1.2, 30))).toBeGreaterThan(1.44 ** 30 / 2);
    expect(k60 / k30).toBeLessThan(1.1);
    expect(k60).toBeLessThan(1e3);
  });

  it("with a shared gain, the constraint Jacobian grows like the closed loop (A − BK)^T", () => {
    const x0 = [1];
    const cond = (k: number, T: number) => policyCollocationJacobian(lq(1.2, T), [[k]], x0).conditionNumber;
    // Open loop (K = 0): the K column holds 1.2^{t−1}, so the condition number grows ~1.2 per step.
    expect(cond(0, 40) / cond(0, 30)).toBeGreaterThan(1.2 ** 10 / 1.5);
    // A stabilising gain (|1.2 − 0.9| < 1): bounded.
    expect(spectralRadius([[1.2 - 0.9]])).toBeLessThan(1);
    expect(cond(0.9, 40) / cond(0.9, 30)).toBeLessThan(1.01);
    const { jacobian } = policyCollocationJacobian(lq(1.2, 3), [[0.5]], x0);
    // Rows c_t = x_t − 0.7 x_{t−1} + 1·K·x_{t−1}: K column = (1, 0.7, 0.49)
    expect(jacobian).toEqual([
      [1, 0, 0, 1],
      [-0.7, 1, 0, 0.7],
      [0, -0.7, 1, expect.closeTo(0.49, 12)],
    ]);
  });

  it("names the bad argument", () => {
    expect(() => collocationOptimum(lq(1.2, 5), [1, 2])).toThrow(/collocationOptimum: x0/);
    expect(() => policyCollocationJacobian(lq(1.2, 5), [[1, 2]], [1])).toThrow(/policyCollocationJacobian: gain/);
    expect(() => collocationKkt({ ...lq(1.2, 5), horizon: 0 })).toThrow(/collocationKkt: problem.horizon/);
  });
});
