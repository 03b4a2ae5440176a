import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { meanCI } from "../../src/analysis/stats";
import {
  linearGaussianTask,
  linearGaussianPlanCost,
  linearGaussianFeedbackCost,
  linearGaussianOpenLoopCost,
} from "../../src/envs/linearGaussian";
import type { Policy } from "../../src/envs/types";
import { executePlan, runPolicy } from "../../src/planning/execute";
import { mpc, type MpcProgress } from "../../src/planning/mpc";
import { openLoopPlan } from "../../src/planning/openLoopPlan";
import { sequenceReturns } from "../../src/planning/returns";
import { Rng } from "../../src/random";
import { leakedTensors } from "./helpers";
import { quadraticReward, scalarTask, toyEnsemble } from "./planning-toys";
import { pointMassTask } from "../../src/envs/pointMass";

// x' = x + a, r = −x'², |a| ≤ 1. From x_0 = 2.5 the best 4-step plan is (−1, −1, −0.5, 0),
// return −(1.5² + 0.5²) = −2.5; from x_0 = −0.3 it is (0.3, 0, 0, 0), return 0.
const task = scalarTask(0);
const fast = { horizon: 4, samples: 300, elites: 30, iterations: 8 };
const zeroPolicy: Policy = (s) => tf.zerosLike(s);

describe("openLoopPlan", () => {
  it("finds the closed-form optimal plans for several start states at once", () => {
    const starts = tf.tensor2d([[2.5], [-0.3]]);
    const plans = openLoopPlan(task, starts, new Rng(1), fast);
    starts.dispose();
    const best = [
      [-1, -1, -0.5, 0],
      [0.3, 0, 0, 0],
    ];
    best.forEach((plan, p) => plan.forEach((a, t) => expect(Math.abs(plans.actions[p][t][0] - a)).toBeLessThan(0.05)));
    expect(plans.predictedReturns[0]).toBeCloseTo(-2.5, 2);
    expect(plans.predictedReturns[1]).toBeCloseTo(0, 2);
  });

  for (const method of ["cem", "randomShooting"] as const) {
    it(`(${method}) predicts each plan's return as the model scores it`, () => {
      const model = { dynamics: toyEnsemble(3), reward: quadraticReward().reward, bounds: { low: [-1], high: [1] } };
      const starts = [
        [1, 0],
        [0, -1],
      ];
      const startStates = tf.tensor2d(starts);
      const plans = openLoopPlan(model, startStates, new Rng(2), { ...fast, method });
      startStates.dispose();
      starts.forEach((s, p) => {
        const r = tf.tidy(() => sequenceReturns(model, tf.tensor3d([plans.actions[p]]), tf.tensor1d(s)).arraySync()[0]);
        expect(plans.predictedReturns[p]).toBeCloseTo(r, 4);
      });
    });
  }

  it("gives the same plan for the same seed and a different one for another seed", () => {
    const plan = (seed: number) =>
      tf.tidy(() => openLoopPlan(task, tf.tensor2d([[1]]), new Rng(seed), { ...fast, iterations: 2 }).actions);
    expect(plan(3)).toEqual(plan(3));
    expect(plan(3)).not.toEqual(plan(4));
  });

  it("rejects impossible settings, naming the option", () => {
    const starts = tf.tensor2d([[0]]);
    const rng = new Rng(5);
    expect(() => openLoopPlan(task, starts, rng, { horizon: 0 })).toThrow(
      /openLoopPlan: option horizon must be a positive integer/,
    );
    expect(() => openLoopPlan(task, starts, rng, { samples: 4, elites: 5 })).toThrow(
      /openLoopPlan: option elites \(5\) must be <= samples \(4\)/,
    );
    expect(() => openLoopPlan(task, starts, rng, { method: "gradient" as never })).toThrow(
      /openLoopPlan: option method/,
    );
    expect(() => openLoopPlan(task, starts, rng, { particles: 1.5 })).toThrow(/openLoopPlan: option particles/);
    expect(() => openLoopPlan(task, starts, rng, { horizn: 3 } as never)).toThrow(
      /openLoopPlan: unknown option "horizn"/,
    );
    const wide = { ...task, bounds: { low: [-1, -1], high: [1, 1] } };
    expect(() => openLoopPlan(wide, starts, rng)).toThrow(
      /openLoopPlan: bounds.low must have one entry per action dimension \(1\), got 2/,
    );
    expect(() => openLoopPlan(task, tf.zeros([2, 3]) as tf.Tensor2D, rng)).toThrow(
      /openLoopPlan: starts must have shape \[\*, 1\]/,
    );
    starts.dispose();
  });
});

describe("mpc", () => {
  it("on a deterministic task reaches the optimal return, and records consistent trajectories", () => {
    for (const warmStart of [false, true]) {
      const starts = tf.tensor2d([[2.5], [-0.3]]);
      const out = mpc(task, task, starts, new Rng(6), { ...fast, steps: 4, warmStart });
      starts.dispose();
      expect(out.returns[0]).toBeGreaterThan(-2.5 - 0.02);
      expect(out.returns[1]).toBeGreaterThan(-0.02);
      out.states.forEach((xs, e) => {
        expect(xs).toHaveLength(5);
        out.actions[e].forEach(([a], t) => {
          expect(Math.abs(a)).toBeLessThanOrEqual(1);
          expect(xs[t + 1][0]).toBeCloseTo(xs[t][0] + a, 5);
          expect(out.rewards[e][t]).toBeCloseTo(-(xs[t + 1][0] ** 2), 5);
        });
      });
      expect(out.predictedReturns[0]).toHaveLength(4);
    }
  });

  it("on the linear-Gaussian system matches the feedback cost T·σ² (certainty equivalence), open loop does not", () => {
    const lg = linearGaussianTask({ sigma: 1, steps: 10 });
    const E = 200;
    const starts = lg.initialStates(E);
    const seed = 7;
    const runMpc = mpc(lg, lg, starts, new Rng(seed), {
      steps: 10,
      horizon: 3,
      samples: 100,
      elites: 10,
      iterations: 5,
    });
    const costs = runMpc.returns.map((r) => -r);
    const ci = meanCI(costs);
    expect(ci.low).toBeLessThanOrEqual(linearGaussianFeedbackCost({ steps: 10 }));
    expect(ci.high).toBeGreaterThanOrEqual(linearGaussianFeedbackCost({ steps: 10 }));
    // Same seed, so the feedback policy a = −x meets exactly the same noise: MPC matches it episode by episode.
    const feedback = runPolicy(lg, (s) => tf.neg(s), starts, new Rng(seed), { steps: 10 });
    const gap = costs.map((c, e) => c + feedback.returns[e]);
    expect(gap.reduce((a, b) => a + b, 0) / E).toBeLessThan(0.1);
    // The best open-loop plan from x_0 = 0 is a ≡ 0, and executing it costs σ²·T(T+1)/2 = 55.
    const plan = openLoopPlan(lg, tf.zeros([1, 1]) as tf.Tensor2D, new Rng(8), {
      horizon: 10,
      samples: 500,
      elites: 50,
      iterations: 12,
    });
    expect(linearGaussianPlanCost(plan.actions.flat(2), { steps: 10 })).toBeLessThan(55.5); // close to the best, a ≡ 0
    const planTensor = tf.tensor2d(plan.actions[0]);
    const open = meanCI(executePlan(lg, planTensor, starts, new Rng(seed)).returns.map((r) => -r));
    expect(open.low).toBeLessThanOrEqual(linearGaussianOpenLoopCost({ steps: 10 }));
    expect(open.high).toBeGreaterThanOrEqual(linearGaussianOpenLoopCost({ steps: 10 }));
    expect(open.low).toBeGreaterThan(ci.high);
    tf.dispose([starts, planTensor]);
  });

  it("plans on sampled futures when particles ≥ 1 (still certainty-equivalent for this quadratic cost)", () => {
    const lg = scalarTask(1, 5);
    const starts = tf.zeros([100, 1]) as tf.Tensor2D;
    const out = mpc(lg, lg, starts, new Rng(9), {
      steps: 10,
      horizon: 2,
      samples: 100,
      elites: 10,
      iterations: 4,
      particles: 8,
    });
    starts.dispose();
    const ci = meanCI(out.returns.map((r) => -r));
    expect(ci.low).toBeLessThanOrEqual(10);
    expect(ci.high).toBeGreaterThanOrEqual(10);
    // From x_0 = 0 the 2-step plan a ≡ 0 expects cost σ²·(1 + 2) = 3 under sampled futures (0 on the mean model).
    const firstPredicted = meanCI(out.predictedReturns.map((r) => r[0]));
    expect(Math.abs(firstPredicted.mean + 3)).toBeLessThan(Math.max(3 * firstPredicted.halfWidth, 0.2));
  });

  it("reports progress once per step", () => {
    const seen: MpcProgress[] = [];
    const starts = tf.tensor2d([[1], [2]]);
    const out = mpc(task, task, starts, new Rng(10), {
      ...fast,
      iterations: 2,
      steps: 3,
      onProgress: (p) => seen.push(p),
    });
    starts.dispose();
    expect(seen.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(seen[2].meanReturn).toBeCloseTo((out.returns[0] + out.returns[1]) / 2, 5);
    expect(seen[0].predictedReturn).toBeCloseTo((out.predictedReturns[0][0] + out.predictedReturns[1][0]) / 2, 5);
  });

  it("rejects bad settings and leaks no tensors", () => {
    const starts = tf.tensor2d([[1]]);
    const rng = new Rng(11);
    expect(() => mpc(task, task, starts, rng, { steps: 0 })).toThrow(/mpc: option steps/);
    expect(() => mpc(task, task, starts, rng, { warmStart: 1 as never })).toThrow(/mpc: option warmStart/);
    expect(() => mpc(task, task, starts, rng, { elites: 2000 })).toThrow(/mpc: option elites/);
    const ensemble = { dynamics: toyEnsemble(2), reward: quadraticReward().reward };
    const model2 = { ...ensemble, bounds: task.bounds };
    expect(() => mpc(model2, ensemble, tf.zeros([1, 2]) as tf.Tensor2D, rng, { steps: 1 })).toThrow(
      /mpc: the environment must be a single model/,
    );
    expect(() => mpc(model2, task, starts, rng)).toThrow(
      /mpc: model and environment must have the same state and action sizes/,
    );
    expect(
      leakedTensors(() => mpc(task, task, starts, rng, { ...fast, iterations: 2, steps: 2, warmStart: true })),
    ).toBe(0);
    expect(
      leakedTensors(() => mpc(task, task, starts, rng, { ...fast, method: "randomShooting", steps: 2, particles: 2 })),
    ).toBe(0);
    expect(leakedTensors(() => openLoopPlan(task, starts, rng, fast))).toBe(0);
    starts.dispose();
  });
});

describe("executePlan and runPolicy", () => {
  it("play per-episode plans exactly (checked by a loop)", () => {
    const starts = tf.tensor2d([[0], [1]]);
    const plans = [
      [[0.5], [-0.2], [0.1]],
      [[-1], [0], [0.3]],
    ];
    const planTensor = tf.tensor3d(plans);
    const out = executePlan(task, planTensor, starts, new Rng(12));
    [0, 1].forEach((e) => {
      let x = e;
      plans[e].forEach(([a], t) => {
        x += a;
        expect(out.states[e][t + 1][0]).toBeCloseTo(x, 5);
        expect(out.rewards[e][t]).toBeCloseTo(-x * x, 5);
      });
    });
    tf.dispose([starts, planTensor]);
  });

  it("share the environment's noise for equal seeds (common random numbers), so open and closed loop can be compared", () => {
    const noisy = scalarTask(0.7);
    const starts = tf.zeros([5, 1]) as tf.Tensor2D;
    const plan = tf.zeros([6, 1]) as tf.Tensor2D;
    const open = executePlan(noisy, plan, starts, new Rng(13)); // x_{t+1} = x_t + w_t
    const zero = runPolicy(noisy, zeroPolicy, starts, new Rng(13), { steps: 6 });
    expect(zero.states).toEqual(open.states);
    // With a = −x the state is reset each step, so x_{t+1} = w_t: the increments of the open-loop run.
    const fb = runPolicy(noisy, (s) => tf.neg(s), starts, new Rng(13), { steps: 6 });
    fb.states.forEach((xs, e) =>
      xs.slice(1).forEach(([x], t) => expect(x).toBeCloseTo(open.states[e][t + 1][0] - open.states[e][t][0], 5)),
    );
    tf.dispose([starts, plan]);
  });

  it("reject bad inputs and leak no tensors", () => {
    const starts = tf.zeros([2, 1]) as tf.Tensor2D;
    const rng = new Rng(14);
    expect(() => executePlan(task, tf.zeros([3, 3, 1]) as tf.Tensor3D, starts, rng)).toThrow(
      /executePlan: plan must have shape \[2, \*, 1\]/,
    );
    expect(() => runPolicy(task, zeroPolicy, starts, rng, { steps: -1 })).toThrow(/runPolicy: option steps/);
    expect(() => runPolicy(task, (s) => tf.concat([s, s], 1), starts, rng)).toThrow(
      /runPolicy: action must have shape \[2, 1\]/,
    );
    const plan = tf.zeros([4, 1]) as tf.Tensor2D;
    expect(leakedTensors(() => executePlan(task, plan, starts, rng))).toBe(0);
    expect(leakedTensors(() => runPolicy(task, (s) => tf.neg(s), starts, rng))).toBe(0);
    tf.dispose([starts, plan]);
  });
});

describe("openLoopPlan with common futures", () => {
  it("scores its plan on the futures it planned with: one seed drawn first, replayed for every batch", () => {
    const pm = pointMassTask();
    const start = tf.zeros([1, 4]) as tf.Tensor2D;
    const options = { horizon: pm.steps, samples: 32, elites: 4, iterations: 2, particles: 8, commonFutures: true };
    const plan = openLoopPlan(pm, start, new Rng(21), options);
    const seq = tf.tensor3d(plan.actions);
    const s0 = tf.zeros([4]) as tf.Tensor1D;
    const again = sequenceReturns(pm, seq, s0, new Rng(new Rng(21).int(2 ** 31)), {
      particles: 8,
      commonFutures: true,
    });
    expect(again.dataSync()[0]).toBeCloseTo(plan.predictedReturns[0], 4);
    tf.dispose([start, seq, s0, again]);
  });
});
