import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { meanCI, overlaps } from "../../src/analysis/stats";
import {
  PointMass,
  POINT_MASS_STATE,
  pointMassGapOutOfReach,
  pointMassOutcome,
  pointMassTask,
  pointMassFeedbackPolicy,
  pointMassMiddleThenGapPolicy,
  pointMassReward,
  type PointMassOptions,
  type PointMassTask,
} from "../../src/envs/pointMass";

const O = pointMassTask().options;

/** Plain scalar reference of one step and its reward, written from the module's description. */
function referenceStep(s: number[], a: number, noise: number, coin: number | null, o: PointMassOptions) {
  const [x, y, gap, crashed] = s;
  const move = Math.max(-o.maxSpeed, Math.min(o.maxSpeed, a));
  if (crashed === 1) return { next: s.slice(), reward: 0 };
  const x2 = x + 1;
  const y2 = y + move + o.noiseStd * noise;
  let gap2 = gap;
  if (gap === 0 && x2 >= o.stepsToWall - o.revealSteps && coin !== null) gap2 = coin < o.p ? 1 : -1;
  const open =
    Math.abs(y2) >= o.wallHalfLength ||
    (gap2 === 1 && Math.abs(y2 - o.gapCenter) <= o.gapHalfWidth) ||
    (gap2 === -1 && Math.abs(y2 + o.gapCenter) <= o.gapHalfWidth);
  const crossing = x < o.stepsToWall && x2 >= o.stepsToWall;
  const cost = o.actionCost * move * move;
  if (crossing && !open) return { next: [o.stepsToWall, y2, gap2, 1], reward: o.penalty - cost };
  return { next: [x2, y2, gap2, 0], reward: (crossing ? o.reward : 0) - cost };
}

/** Rows covering every case: early, entering the reveal, revealed, crossing in and out of gaps, crashed. */
function caseRows(rng: Rng, n: number): { states: number[][]; actions: number[]; noise: number[]; coins: number[] } {
  const states: number[][] = [];
  for (let i = 0; i < n; i++) {
    const x = rng.int(O.stepsToWall + 2);
    const gap = x >= O.stepsToWall - O.revealSteps ? [0, 1, -1][rng.int(3)] : 0;
    const crashed = x === O.stepsToWall && rng.bernoulli(0.3) ? 1 : 0;
    states.push([x, rng.uniform() * 10 - 5, gap, crashed]);
  }
  return {
    states,
    actions: Array.from(rng.uniformArray(n, -1, 1)),
    noise: Array.from(rng.normalArray(n, 0, 3)),
    coins: Array.from(rng.uniformArray(n)),
  };
}

/** Plain rollout loop: returns per episode, and the states visited. */
function run(task: PointMassTask, act: (s: tf.Tensor2D, t: number) => tf.Tensor2D, episodes: number, rng: Rng) {
  const returns = new Float64Array(episodes);
  const visited: Float32Array[] = [];
  let s = task.initialStates(episodes);
  for (let t = 0; t < task.steps; t++) {
    visited.push(s.dataSync() as Float32Array);
    const a = act(s, t);
    const s2 = task.dynamics.step(s, a, rng);
    const r = task.reward(s, a, s2);
    r.dataSync().forEach((v, i) => (returns[i] += v));
    tf.dispose([s, a, r]);
    s = s2;
  }
  visited.push(s.dataSync() as Float32Array);
  s.dispose();
  return { returns, visited };
}

describe("point mass step and reward", () => {
  const dynamics = new PointMass();
  const reward = pointMassReward();

  it("agrees with a plain scalar reference, batched and row by row", () => {
    const { states, actions, noise, coins } = caseRows(new Rng(2), 300);
    const S = tf.tensor2d(states);
    const A = tf.tensor2d(actions, [300, 1]);
    const next = dynamics.stepWith(S, A, tf.tensor2d(noise, [300, 1]), tf.tensor2d(coins, [300, 1]));
    const r = reward(S, A, next).dataSync();
    const nextRows = next.arraySync();
    states.forEach((s, i) => {
      const want = referenceStep(s, actions[i], noise[i], coins[i], O);
      want.next.forEach((v, k) => expect(nextRows[i][k]).toBeCloseTo(v, 5));
      expect(r[i]).toBeCloseTo(want.reward, 4);
      if (i % 10 === 0) {
        const one = dynamics.stepWith(
          S.slice([i, 0], [1, 4]),
          A.slice([i, 0], [1, 1]),
          tf.tensor2d([[noise[i]]]),
          tf.tensor2d([[coins[i]]]),
        );
        expect(Array.from(one.dataSync())).toEqual(nextRows[i]);
      }
    });
  });

  it("steps the mean without an rng: no noise, no reveal, and an unknown gap counts as closed", () => {
    const S = tf.tensor2d([
      [6, 0.3, 0, 0],
      [9, 1.2, 0, 0],
      [9, 1.2, 1, 0],
    ]);
    const A = tf.tensor2d([[0.2], [0], [0]]);
    const next = dynamics.step(S, A).arraySync();
    expect(next[0][0]).toBe(7);
    expect(next[0][1]).toBeCloseTo(0.5, 6);
    expect(next[0][2]).toBe(0);
    expect(next[1]).toEqual([10, expect.closeTo(1.2, 6), 0, 1]);
    expect(next[2]).toEqual([11 - 1, expect.closeTo(1.2, 6), 1, 0]);
  });

  it("decides the wall on hand-built cases", () => {
    const zero = tf.zeros([5, 1]) as tf.Tensor2D;
    const S = tf.tensor2d([
      [9, 1.2, 1, 0], // in the open upper gap: pass
      [9, 1.2, -1, 0], // in the closed upper gap: crash
      [9, 4.2, -1, 0], // past the wall's end: pass
      [9, 0, 1, 0], // between the gaps: crash
      [10, 0.3, 1, 1], // crashed earlier: stays, earns nothing
    ]);
    const A = tf.tensor2d([[0], [0], [0], [0], [3]]);
    const next = dynamics.stepWith(S, A, zero, null);
    expect(next.arraySync().map((row) => row[POINT_MASS_STATE.crashed])).toEqual([0, 1, 0, 1, 1]);
    expect(next.arraySync()[4]).toEqual([10, expect.closeTo(0.3, 6), 1, 1]);
    expect(Array.from(reward(S, A, next).dataSync())).toEqual([10, -20, 10, -20, 0]);
    // A big action is clipped to maxSpeed, and costs actionCost·maxSpeed².
    const S1 = tf.tensor2d([[0, 0, 0, 0]]);
    const A1 = tf.tensor2d([[3]]);
    const n1 = dynamics.step(S1, A1);
    expect(n1.dataSync()[1]).toBeCloseTo(O.maxSpeed, 6);
    expect(reward(S1, A1, n1).dataSync()[0]).toBeCloseTo(-O.actionCost * O.maxSpeed ** 2, 6);
  });

  it("reveals the gap only on reaching the reveal line, as the coin says", () => {
    const { visited } = run(pointMassTask(), pointMassMiddleThenGapPolicy(), 50, new Rng(8));
    let upper = 0;
    visited.forEach((frame) => {
      for (let b = 0; b < 50; b++) {
        const x = frame[b * 4];
        const gap = frame[b * 4 + 2];
        if (x < O.stepsToWall - O.revealSteps) expect(gap).toBe(0);
        else expect(Math.abs(gap)).toBe(1);
        if (x === O.stepsToWall && gap === 1) upper++;
      }
    });
    expect(upper).toBeGreaterThan(10); // both outcomes occur
    expect(upper).toBeLessThan(40);
  });

  it("can reach either gap from the middle at the reveal, but not the far gap from the other one", () => {
    const task = pointMassTask();
    const atReveal = O.stepsToWall - O.revealSteps;
    // Noise-free: from the middle, turning to the lower gap passes; from the upper gap, it crashes.
    let s = tf.tensor2d([
      [atReveal, 0, -1, 0],
      [atReveal, O.gapCenter, -1, 0],
    ]);
    for (let t = 0; t < O.revealSteps; t++) {
      const s2 = task.dynamics.step(s, tf.tensor2d([[-O.maxSpeed], [-O.maxSpeed]]));
      s.dispose();
      s = s2;
    }
    expect(s.arraySync().map((row) => row[POINT_MASS_STATE.crashed])).toEqual([0, 1]);
  });

  it("is differentiable in the action and leaks no tensors", () => {
    const S = tf.tensor2d([
      [2, 0.1, 0, 0],
      [3, -0.4, 0, 0],
    ]);
    const rng = new Rng(3);
    const dy = tf.grad((a: tf.Tensor) =>
      dynamics
        .step(S, a as tf.Tensor2D)
        .slice([0, 1], [2, 1])
        .sum(),
    )(tf.tensor2d([[0.1], [-0.2]]));
    expect(Array.from(dy.dataSync())).toEqual([1, 1]);
    const A = tf.zeros([2, 1]) as tf.Tensor2D;
    const policy = pointMassMiddleThenGapPolicy();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const next = dynamics.step(S, A, rng);
      tf.dispose([next, reward(S, A, next), policy(S), dynamics.step(S, A)]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects bad shapes, options and policy parameters, naming them", () => {
    const S = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => dynamics.step(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 1]) as tf.Tensor2D)).toThrow(
      /PointMass.step: states must have shape \[\*, 4\]/,
    );
    expect(() => dynamics.step(S, tf.zeros([3, 1]) as tf.Tensor2D)).toThrow(
      /PointMass.step: actions must have shape \[2, 1\]/,
    );
    expect(() => reward(S, tf.zeros([2, 1]) as tf.Tensor2D, tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(
      /pointMassReward: nextStates/,
    );
    expect(() => pointMassTask({ revealSteps: 10 })).toThrow(/option revealSteps must be < stepsToWall/);
    expect(() => pointMassTask({ gapHalfWidth: 2 })).toThrow(/option gapHalfWidth must be < gapCenter/);
    expect(() => pointMassFeedbackPolicy([0, 1])).toThrow(/pointMassFeedbackPolicy: theta must be 3 finite numbers/);
    S.dispose();
  });
});

describe("the lesson: a closed-loop policy beats every open-loop plan", () => {
  it("separates the hand-written policy from the best of a fine sweep of open-loop plans (95% intervals)", () => {
    const task = pointMassTask();
    const episodes = 300;
    const closed = meanCI(run(task, pointMassMiddleThenGapPolicy(), episodes, new Rng(1)).returns);

    // Two families of plans: a constant lateral speed u all the way (straight to the upper or
    // lower gap, or round the wall's end), and "hold the middle, then move at u after the reveal".
    const H = task.steps;
    const speeds = Array.from({ length: 41 }, (_, i) => -0.5 + i * 0.025);
    const plans = [
      ...speeds.map((u) => new Array<number>(H).fill(u)),
      ...speeds.map((u) => Array.from({ length: H }, (_, t) => (t >= H - O.revealSteps ? u : 0))),
    ];
    const rows = tf.tensor2d(plans.flatMap((p) => new Array(episodes).fill(p)) as number[][]); // (plans·episodes, H)
    const { returns } = run(task, (_, t) => rows.slice([0, t], [rows.shape[0], 1]), rows.shape[0], new Rng(2));
    rows.dispose();
    const perPlan = plans.map((_, k) => meanCI(returns.subarray(k * episodes, (k + 1) * episodes)));
    const best = perPlan.reduce((a, b) => (b.mean > a.mean ? b : a));

    // The sweep contains what it should: round the end is the best plan, a gap is a coin flip.
    const k = perPlan.indexOf(best);
    expect(k).toBeLessThan(speeds.length); // a constant-speed plan …
    expect(Math.abs(speeds[k]) * H).toBeGreaterThanOrEqual(O.wallHalfLength); // … that goes round the end
    const toUpperGap = perPlan[speeds.findIndex((u) => Math.abs(u - 0.125) < 1e-9)];
    expect(toUpperGap.mean).toBeLessThan(O.p * O.reward + (1 - O.p) * O.penalty + 2); // ≈ −5
    expect(closed.mean).toBeGreaterThan(best.mean);
    expect(overlaps(closed, best)).toBe(false);
  });
});

describe("named outcomes", () => {
  // rows [x, y, gap, crashed]; 11 rows, the reveal at x = 7 (index 7), reach 3 · 0.5 = 1.5
  const episode = (yAtReveal: number, gap: number, yEnd: number, crashed: number) =>
    Array.from({ length: 11 }, (_, t) => [
      t,
      t === 7 ? yAtReveal : t === 10 ? yEnd : 0,
      t >= 7 ? gap : 0,
      t === 10 ? crashed : 0,
    ]);

  it("names how an episode ended", () => {
    expect(pointMassOutcome(episode(0, 1, 1.2, 1))).toBe("hit the wall");
    expect(pointMassOutcome(episode(0, 1, 1.2, 0))).toBe("through a gap");
    expect(pointMassOutcome(episode(0, 1, 4.1, 0))).toBe("round the end");
    expect(() => pointMassOutcome([[0, 0, 0]])).toThrow(/pointMassOutcome: states must be rows/);
  });

  it("says when the open gap was out of reach at the reveal (near edge farther than 1.5)", () => {
    expect(pointMassGapOutOfReach(episode(0, 1, 0, 0))).toBe(false); // near edge 0.8 away
    expect(pointMassGapOutOfReach(episode(-1.2, 1, 0, 0))).toBe(true); // near edge 2.0 away
    expect(pointMassGapOutOfReach(episode(-0.65, 1, 0, 0))).toBe(false); // 1.2 + 0.65 − 0.4 = 1.45 ≤ 1.5
    expect(pointMassGapOutOfReach(episode(-0.75, 1, 0, 0))).toBe(true); // 1.55 > 1.5
  });
});
