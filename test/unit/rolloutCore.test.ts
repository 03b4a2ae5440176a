import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { rollout, type Transition } from "../../src/rollout";
import type { Dynamics, RewardFn } from "../../src/envs/types";

// x' = 0.9 x + a + 0.1 w (w ~ N(0, 1) from the rng), r = −x'² − a².
const dynamics: Dynamics = {
  stateSize: 1,
  actionSize: 1,
  members: 1,
  step: (s, a, rng) =>
    tf.tidy(() => {
      const mean = s.mul(0.9).add(a) as tf.Tensor2D;
      return rng ? (mean.add(rng.normalTensor(s.shape, 0, 0.1)) as tf.Tensor2D) : mean;
    }),
};
const reward: RewardFn = (_, a, next) =>
  tf.tidy(() => next.square().add(a.square()).neg().reshape([-1]) as tf.Tensor1D);
const policy = (s: tf.Tensor2D) => tf.tidy(() => s.mul(-0.5) as tf.Tensor2D);

/** The same rollout as plain numbers, drawing the noise in the same order (one normal per row per step). */
function plainLoop(x0: number[], steps: number, seed: number | undefined) {
  const rng = seed === undefined ? undefined : new Rng(seed);
  let x = x0.slice();
  const rewards: number[][] = [];
  for (let t = 0; t < steps; t++) {
    const a = x.map((v) => Math.fround(-0.5 * v));
    const noise = rng ? Array.from(rng.normalArray(x.length, 0, 0.1)) : x.map(() => 0);
    x = x.map((v, i) => 0.9 * v + a[i] + noise[i]);
    rewards.push(x.map((v, i) => -(v * v) - a[i] * a[i]));
  }
  return { x, rewards };
}

describe("rollout", () => {
  it("steps the actor through the dynamics as a plain loop does, with and without noise", () => {
    for (const seed of [undefined, 4]) {
      const starts = tf.tensor2d([[1], [-2], [0.5]]);
      const seen: { t: number; rewards: number[] }[] = [];
      const last = rollout(
        { dynamics, reward },
        policy,
        starts,
        seed === undefined ? undefined : new Rng(seed),
        { steps: 6 },
        ({ t, rewards }) => seen.push({ t, rewards: Array.from(rewards!.dataSync()) }),
      );
      const want = plainLoop([1, -2, 0.5], 6, seed);
      expect(seen.map((s) => s.t)).toEqual([0, 1, 2, 3, 4, 5]);
      seen.forEach((s, t) => s.rewards.forEach((r, i) => expect(r).toBeCloseTo(want.rewards[t][i], 4)));
      Array.from(last.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want.x[i], 5));
      tf.dispose([starts, last]);
    }
  });

  it("streams without leaking, and on the tape lets autodiff through every step", () => {
    const starts = tf.ones([4, 1]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const last = rollout({ dynamics, reward }, policy, starts, new Rng(1), { steps: 20 }, () => undefined);
    last.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // d x_T / d x_0 = (0.9 − 0.5)^T for the mean dynamics under a = −0.5 x.
    const grad = tf.grad((x0: tf.Tensor) =>
      rollout({ dynamics }, policy, x0 as tf.Tensor2D, undefined, { steps: 5, tape: true }).sum(),
    )(starts);
    Array.from(grad.dataSync()).forEach((g) => expect(g).toBeCloseTo(0.4 ** 5, 6));
    tf.dispose([starts, grad]);
  });

  it("names the caller and the argument when an actor, the dynamics or the reward has the wrong shape", () => {
    const starts = tf.ones([2, 1]) as tf.Tensor2D;
    const wide = (s: tf.Tensor2D) => tf.concat([s, s], 1) as tf.Tensor2D;
    expect(() => rollout({ dynamics }, wide, starts, undefined, { steps: 2, where: "caller" })).toThrow(
      /caller: action must have shape \[2, 1\]/,
    );
    const badReward: RewardFn = (s) => s as unknown as tf.Tensor1D;
    expect(() => rollout({ dynamics, reward: badReward }, policy, starts, undefined, { steps: 1 })).toThrow(
      /rollout: reward output must have shape \[2\]/,
    );
    expect(() => rollout({ dynamics }, policy, tf.ones([2, 3]) as tf.Tensor2D, undefined, { steps: 1 })).toThrow(
      /rollout: starts must have shape \[\*, 1\]/,
    );
    expect(() => rollout({ dynamics }, policy, starts, undefined, { steps: -1 })).toThrow(
      /rollout: steps must be a non-negative integer/,
    );
    const zero = rollout({ dynamics }, policy, starts, undefined, { steps: 0 });
    expect(zero).toBe(starts);
    const visited: Transition[] = [];
    rollout({ dynamics }, policy, starts, undefined, { steps: 0 }, (tr) => visited.push(tr));
    expect(visited).toEqual([]);
    starts.dispose();
  });
});
