import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { meanCI } from "../../src/analysis/stats";
import {
  LinearGaussian,
  linearGaussianTask,
  linearGaussianFeedbackCost,
  linearGaussianFeedbackPolicy,
  linearGaussianLinearFeedbackCost,
  linearGaussianOpenLoopCost,
  linearGaussianPlanCost,
  linearGaussianReward,
  linearGaussianRunPlan,
  linearGaussianRunPolicy,
} from "../../src/envs/linearGaussian";

/** Plain per-episode loop: same noise order as the batched rollout (one normal per episode per step). */
function plainCosts(
  act: (x: number, t: number) => number,
  rng: Rng,
  episodes: number,
  horizon: number,
  sigma: number,
): number[] {
  const x = new Array<number>(episodes).fill(0);
  const cost = new Array<number>(episodes).fill(0);
  for (let t = 0; t < horizon; t++) {
    const w = rng.normalArray(episodes, 0, sigma);
    for (let b = 0; b < episodes; b++) {
      x[b] = x[b] + act(x[b], t) + w[b];
      cost[b] += x[b] * x[b];
    }
  }
  return cost;
}

describe("linear-Gaussian closed forms", () => {
  it("gives 55 for the best open-loop plan and 10 for feedback at T = 10, σ = 1", () => {
    expect(linearGaussianOpenLoopCost()).toBe(55);
    expect(linearGaussianFeedbackCost()).toBe(10);
    expect(linearGaussianOpenLoopCost({ sigma: 2, steps: 4 })).toBeCloseTo(4 * 10, 12);
    expect(linearGaussianFeedbackCost({ sigma: 2, steps: 4 })).toBeCloseTo(16, 12);
  });

  it("agrees between the general formulas and the special cases, and with hand sums", () => {
    for (const o of [{}, { sigma: 0.5, steps: 7 }]) {
      expect(linearGaussianLinearFeedbackCost(0, o)).toBeCloseTo(linearGaussianOpenLoopCost(o), 10);
      expect(linearGaussianLinearFeedbackCost(1, o)).toBeCloseTo(linearGaussianFeedbackCost(o), 10);
      const T = (o as { steps?: number }).steps ?? 10;
      expect(linearGaussianPlanCost(new Array(T).fill(0), o)).toBeCloseTo(linearGaussianOpenLoopCost(o), 10);
    }
    // T = 2, gain ½: Var x_1 = σ², Var x_2 = ¼σ² + σ², so the cost is 2.25σ².
    expect(linearGaussianLinearFeedbackCost(0.5, { steps: 2, sigma: 2 })).toBeCloseTo(2.25 * 4, 12);
    // Plan [1, 0, −1]: means 1, 1, 0 and variances 1, 2, 3.
    expect(linearGaussianPlanCost([1, 0, -1], { steps: 3 })).toBeCloseTo(2 + 6, 12);
  });

  it("rejects bad arguments, naming them", () => {
    expect(() => linearGaussianPlanCost([0, 0], {})).toThrow(
      /linearGaussianPlanCost: plan must have steps = 10 entries, got 2/,
    );
    expect(() => linearGaussianOpenLoopCost({ sigma: -1 })).toThrow(/linearGaussianOpenLoopCost: option sigma/);
    expect(() => linearGaussianLinearFeedbackCost(NaN)).toThrow(/gain must be finite/);
    expect(() => new LinearGaussian(-1)).toThrow(/LinearGaussian: sigma/);
  });
});

describe("linear-Gaussian dynamics, reward and task", () => {
  it("steps x + a without an rng, adds σ·(the rng's normals) with one, and passes gradients", () => {
    const f = new LinearGaussian(0.5);
    const x = tf.tensor2d([[1], [-2], [0.5]]);
    const a = tf.tensor2d([[0.5], [1], [-1]]);
    expect(Array.from(f.step(x, a).dataSync())).toEqual([1.5, -1, -0.5]);
    const w = new Rng(4).normalArray(3, 0, 0.5);
    const noisy = f.step(x, a, new Rng(4)).dataSync();
    [1.5, -1, -0.5].forEach((m, i) => expect(noisy[i]).toBeCloseTo(m + w[i], 6));
    const dA = tf
      .grad((u: tf.Tensor) =>
        f
          .step(x, u as tf.Tensor2D)
          .square()
          .sum(),
      )(a)
      .dataSync();
    [1.5, -1, -0.5].forEach((m, i) => expect(dA[i]).toBeCloseTo(2 * m, 6)); // d(x + a)²/da = 2(x + a)
    tf.dispose([x, a]);
  });

  it("rewards −x'² per row and builds a task starting at 0", () => {
    const s = tf.tensor2d([[1], [2]]);
    const a = tf.tensor2d([[0], [0]]);
    const s2 = tf.tensor2d([[3], [-0.5]]);
    expect(Array.from(linearGaussianReward(s, a, s2).dataSync())).toEqual([-9, -0.25]);
    const task = linearGaussianTask({ sigma: 0.3, steps: 4, actionLimit: 2 });
    expect(task.steps).toBe(4);
    expect(task.dynamics.sigma).toBeCloseTo(0.3, 12);
    expect(task.bounds).toEqual({ low: [-2], high: [2] });
    const x0 = task.initialStates(3);
    expect(x0.shape).toEqual([3, 1]);
    expect(Array.from(x0.dataSync())).toEqual([0, 0, 0]);
    tf.dispose([s, a, s2, x0]);
  });

  it("checks shapes, naming the function and argument", () => {
    const f = new LinearGaussian(1);
    const bad = tf.zeros([3, 2]) as tf.Tensor2D;
    const ok = tf.zeros([3, 1]) as tf.Tensor2D;
    expect(() => f.step(bad, ok)).toThrow(/LinearGaussian.step: states must have shape \[\*, 1\], got \[3, 2\]/);
    expect(() => f.step(ok, tf.zeros([2, 1]) as tf.Tensor2D)).toThrow(/actions must have shape \[3, 1\]/);
    expect(() => linearGaussianReward(ok, ok, bad)).toThrow(/linearGaussianReward: nextStates/);
    tf.dispose([bad, ok]);
  });

  it("leaks no tensors over repeated steps, rewards and simulations", () => {
    const f = new LinearGaussian(1);
    const x = tf.zeros([4, 1]) as tf.Tensor2D;
    const rng = new Rng(1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const next = f.step(x, x, rng);
      tf.dispose([next, linearGaussianReward(x, x, next)]);
      linearGaussianRunPolicy(linearGaussianFeedbackPolicy(), rng, { episodes: 8 });
      linearGaussianRunPlan(new Array(10).fill(0.1), rng, { episodes: 8 });
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe("linear-Gaussian simulation", () => {
  it("equals a plain per-episode loop drawing the same noise", () => {
    const o = { sigma: 0.7, steps: 6, episodes: 13 };
    const gain = 0.6;
    const plan = [0.3, -0.2, 0, 0.5, 1, -1];
    const batchedPolicy = linearGaussianRunPolicy(linearGaussianFeedbackPolicy(gain), new Rng(21), o);
    const plainPolicy = plainCosts((x) => -gain * x, new Rng(21), o.episodes, o.steps, o.sigma);
    const batchedPlan = linearGaussianRunPlan(plan, new Rng(22), o);
    const plainPlan = plainCosts((_, t) => plan[t], new Rng(22), o.episodes, o.steps, o.sigma);
    for (let b = 0; b < o.episodes; b++) {
      expect(batchedPolicy[b]).toBeCloseTo(plainPolicy[b], 4);
      expect(batchedPlan[b]).toBeCloseTo(plainPlan[b], 4);
    }
  });

  // Six intervals are checked, so use 99.9% rather than 95% to keep chance misses rare.
  it("matches every closed form within a 99.9% Monte Carlo interval", () => {
    const cases = [
      { o: {}, run: (r: Rng, o: object) => linearGaussianRunPlan(new Array(10).fill(0), r, o), exact: 55 },
      { o: {}, run: (r: Rng, o: object) => linearGaussianRunPolicy(linearGaussianFeedbackPolicy(), r, o), exact: 10 },
      {
        o: {},
        run: (r: Rng, o: object) => linearGaussianRunPolicy(linearGaussianFeedbackPolicy(0.5), r, o),
        exact: linearGaussianLinearFeedbackCost(0.5),
      },
      {
        o: { sigma: 2, steps: 5 },
        run: (r: Rng, o: object) => linearGaussianRunPlan([0, 0, 0, 0, 0], r, o),
        exact: 4 * 15,
      },
      {
        o: { sigma: 2, steps: 5 },
        run: (r: Rng, o: object) => linearGaussianRunPolicy(linearGaussianFeedbackPolicy(), r, o),
        exact: 20,
      },
      {
        o: { steps: 5 },
        run: (r: Rng, o: object) => linearGaussianRunPlan([0.4, 0.4, -0.2, 0, 1], r, o),
        exact: linearGaussianPlanCost([0.4, 0.4, -0.2, 0, 1], { steps: 5 }),
      },
    ];
    cases.forEach(({ o, run, exact }, i) => {
      const ci = meanCI(run(new Rng(50 + i), { ...o, episodes: 4000 }), { level: 0.999 });
      expect(ci.low).toBeLessThanOrEqual(exact);
      expect(ci.high).toBeGreaterThanOrEqual(exact);
    });
  });

  it("shows feedback beating the open-loop plan with non-overlapping 95% intervals", () => {
    const open = meanCI(linearGaussianRunPlan(new Array(10).fill(0), new Rng(5), { episodes: 500 }));
    const closed = meanCI(linearGaussianRunPolicy(linearGaussianFeedbackPolicy(), new Rng(5), { episodes: 500 }));
    expect(closed.high).toBeLessThan(open.low);
  });

  it("rejects a wrong plan length and a wrong policy output", () => {
    expect(() => linearGaussianRunPlan([0], new Rng(0))).toThrow(/linearGaussianRunPlan: plan must have steps = 10/);
    const wide = (s: tf.Tensor2D) => tf.concat([s, s], 1) as tf.Tensor2D;
    expect(() => linearGaussianRunPolicy(wide, new Rng(0), { episodes: 2 })).toThrow(
      /linearGaussianRunPolicy: action must have shape \[2, 1\]/,
    );
  });
});
