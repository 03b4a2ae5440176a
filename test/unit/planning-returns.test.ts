import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import type { Policy } from "../../src/envs/types";
import { closedLoopReturns, sequenceReturns, sequenceReturnsBatch, tileForMembers } from "../../src/planning/returns";
import { Rng } from "../../src/random";
import { leakedTensors } from "./helpers";
import { memberReturnJs, quadraticReward, scalarTask, sequenceReturnJs, toyEnsemble } from "./planning-toys";
import { pointMassTask } from "../../src/envs/pointMass";

const { reward, rewardJs } = quadraticReward();

/** N random sequences (N, H, 1) as nested arrays. */
function randomSequences(rng: Rng, N: number, H: number): number[][][] {
  return Array.from({ length: N }, () => Array.from({ length: H }, () => [2 * rng.uniform() - 1]));
}

describe("tileForMembers", () => {
  it("lays copies out copy-major: row c·B + b is row b", () => {
    const x = tf.tensor3d([[[1, 2]], [[3, 4]], [[5, 6]]]); // (3, 1, 2)
    const tiled = tileForMembers(x, 4);
    expect(tiled.shape).toEqual([12, 1, 2]);
    const rows = tiled.arraySync() as number[][][];
    const orig = x.arraySync();
    for (let c = 0; c < 4; c++) for (let b = 0; b < 3; b++) expect(rows[c * 3 + b]).toEqual(orig[b]);
    tf.dispose([x, tiled]);
  });

  it("rejects a non-positive number of copies", () => {
    const x = tf.zeros([2, 2]);
    expect(() => tileForMembers(x, 0)).toThrow(/tileForMembers: copies/);
    x.dispose();
  });
});

describe("sequenceReturns", () => {
  for (const members of [1, 3]) {
    it(`equals a plain per-sequence loop (members = ${members})`, () => {
      const model = toyEnsemble(members);
      const seqs = randomSequences(new Rng(1), 7, 5);
      const start = [0.5, -1];
      const got = tf.tidy(() =>
        sequenceReturns({ dynamics: model, reward }, tf.tensor3d(seqs), tf.tensor1d(start)).arraySync(),
      );
      expect(got).toHaveLength(7);
      seqs.forEach((seq, n) => expect(got[n]).toBeCloseTo(sequenceReturnJs(model, rewardJs, start, seq), 4));
    });
  }

  it("averages over members rather than scoring one of them", () => {
    const model = toyEnsemble(3);
    const seq = randomSequences(new Rng(2), 1, 4);
    const got = tf.tidy(
      () => sequenceReturns({ dynamics: model, reward }, tf.tensor3d(seq), tf.tensor1d([1, 0])).arraySync()[0],
    );
    const perMember = [0, 1, 2].map((m) => memberReturnJs(model, rewardJs, m, [1, 0], seq[0]));
    // The members really differ, so a wrong layout could not match the mean by accident.
    expect(Math.max(...perMember) - Math.min(...perMember)).toBeGreaterThan(0.1);
    expect(got).toBeCloseTo(perMember.reduce((a, b) => a + b, 0) / 3, 4);
  });

  it("batched over start states equals the loop over (start, sequence) pairs", () => {
    const model = toyEnsemble(2);
    const rng = new Rng(3);
    const starts = [
      [0, 0],
      [1, -1],
      [-0.5, 2],
    ];
    const seqs = starts.map(() => randomSequences(rng, 4, 6));
    const got = tf.tidy(() =>
      sequenceReturnsBatch({ dynamics: model, reward }, tf.tensor4d(seqs), tf.tensor2d(starts)).arraySync(),
    );
    expect(got.length).toBe(3);
    starts.forEach((s, p) =>
      seqs[p].forEach((seq, n) => expect(got[p][n]).toBeCloseTo(sequenceReturnJs(model, rewardJs, s, seq), 4)),
    );
  });

  it("with particles averages sampled futures: matches the closed-form expectation", () => {
    // x' = x + a + σw, r = −x'²: E[x_t²] = (x_0 + Σ_{s<t} a_s)² + tσ².
    const sigma = 0.5;
    const task = scalarTask(sigma);
    const seqs = [
      [[0.2], [-0.4], [0.1], [0]],
      [[-1], [-1], [0.5], [0.3]],
    ];
    const x0 = 0.7;
    const expected = seqs.map((seq) => {
      let mean = x0;
      return -seq.reduce((acc, [a], t) => {
        mean += a;
        return acc + mean * mean + (t + 1) * sigma ** 2;
      }, 0);
    });
    const got = tf.tidy(() =>
      sequenceReturns(task, tf.tensor3d(seqs), tf.tensor1d([x0]), new Rng(4), { particles: 4000 }).arraySync(),
    );
    // Each return has std below 4 here, so the mean of 4000 is within ~0.06 at one standard error.
    got.forEach((g, n) => expect(Math.abs(g - expected[n])).toBeLessThan(0.3));
    // With particles = 0 the rng is ignored and the mean dynamics give the noise-free return.
    const mean = tf.tidy(() => sequenceReturns(task, tf.tensor3d(seqs), tf.tensor1d([x0]), new Rng(4)).arraySync());
    mean.forEach((g, n) => expect(g).toBeCloseTo(expected[n] + sigma ** 2 * 10, 4));
  });

  it("rejects bad shapes and settings, naming the argument", () => {
    const model = { dynamics: toyEnsemble(1), reward };
    tf.tidy(() => {
      expect(() => sequenceReturns(model, tf.zeros([2, 3, 1]), tf.tensor1d([0, 0, 0]))).toThrow(
        /sequenceReturns: start must have shape \[2\]/,
      );
      expect(() => sequenceReturns(model, tf.zeros([2, 3, 2]), tf.tensor1d([0, 0]))).toThrow(
        /sequences must have shape \[\*, \*, 1\]/,
      );
      expect(() => sequenceReturns(model, tf.zeros([2, 0, 1]), tf.tensor1d([0, 0]))).toThrow(/horizon H >= 1/);
      expect(() =>
        sequenceReturns(model, tf.zeros([2, 3, 1]), tf.tensor1d([0, 0]), undefined, { particles: 2 }),
      ).toThrow(/particles = 2 .* needs an rng/);
      expect(() =>
        sequenceReturns(model, tf.zeros([2, 3, 1]), tf.tensor1d([0, 0]), undefined, { particles: -1 }),
      ).toThrow(/option particles/);
      expect(() => sequenceReturnsBatch(model, tf.zeros([3, 2, 3, 1]) as tf.Tensor4D, tf.zeros([2, 2]))).toThrow(
        /sequences must have shape \[2, \*, \*, 1\]/,
      );
      const badReward = { dynamics: toyEnsemble(1), reward: ((s: tf.Tensor2D) => s) as unknown as typeof reward };
      expect(() => sequenceReturns(badReward, tf.zeros([2, 3, 1]), tf.tensor1d([0, 0]))).toThrow(
        /reward output must have shape \[2\]/,
      );
    });
  });

  it("leaks no tensors across repeated calls", () => {
    const model = { dynamics: toyEnsemble(3, 0.1), reward };
    const start = tf.tensor1d([0.1, 0.2]);
    const seqs = tf.tensor3d(randomSequences(new Rng(5), 5, 4));
    const rng = new Rng(6);
    expect(leakedTensors(() => sequenceReturns(model, seqs, start, rng, { particles: 2 }).dispose())).toBe(0);
    tf.dispose([start, seqs]);
  });
});

describe("closedLoopReturns", () => {
  it("equals a plain loop of the feedback policy, averaged over members", () => {
    const model = toyEnsemble(2);
    const K = [[0.5, 0.2]];
    const policy: Policy = (s) => tf.tidy(() => tf.matMul(s, tf.tensor2d(K), false, true).neg() as tf.Tensor2D);
    const starts = [
      [1, 0],
      [-0.3, 0.8],
      [0, 2],
    ];
    const got = tf.tidy(() =>
      closedLoopReturns({ dynamics: model, reward }, policy, tf.tensor2d(starts), undefined, {
        horizon: 5,
      }).arraySync(),
    );
    starts.forEach((s0, e) => {
      let total = 0;
      for (let m = 0; m < 2; m++) {
        let s = s0;
        for (let t = 0; t < 5; t++) {
          const a = [-(K[0][0] * s[0] + K[0][1] * s[1])];
          const n = model.stepJs(m, s, a);
          total += rewardJs(s, a, n);
          s = n;
        }
      }
      expect(got[e]).toBeCloseTo(total / 2, 4);
    });
  });

  it("rejects a zero horizon and a policy of the wrong action size", () => {
    const model = { dynamics: toyEnsemble(1), reward };
    tf.tidy(() => {
      const starts = tf.zeros([2, 2]) as tf.Tensor2D;
      expect(() => closedLoopReturns(model, (s) => s, starts, undefined, { horizon: 0 })).toThrow(
        /closedLoopReturns: option horizon/,
      );
      expect(() => closedLoopReturns(model, (s) => s, starts, undefined, { horizon: 3 })).toThrow(
        /closedLoopReturns: action must have shape \[2, 1\]/,
      );
    });
  });
});

describe("common futures (common random numbers)", () => {
  const pm = pointMassTask();
  const start = () => tf.zeros([4]) as tf.Tensor1D;
  // three plans: straight up, hold then up, and a plan that differs from the first only in its last step
  const plans = (H: number) =>
    tf.tensor3d([
      Array.from({ length: H }, () => [0.12]),
      Array.from({ length: H }, (_, t) => [t >= 7 ? 0.4 : 0]),
      Array.from({ length: H }, (_, t) => [t === H - 1 ? 0.13 : 0.12]),
    ]);

  it("scores each sequence exactly as it would be scored alone with the same seed", () => {
    const s = start();
    const seqs = plans(pm.steps);
    const together = Array.from(
      sequenceReturns(pm, seqs, s, new Rng(5), { particles: 16, commonFutures: true }).dataSync(),
    );
    const alone = [0, 1, 2].map((n) =>
      tf.tidy(
        () =>
          sequenceReturns(pm, seqs.slice([n, 0, 0], [1, -1, -1]) as tf.Tensor3D, s, new Rng(5), {
            particles: 16,
            commonFutures: true,
          }).dataSync()[0],
      ),
    );
    together.forEach((v, n) => expect(v).toBeCloseTo(alone[n], 4));
    tf.dispose([s, seqs]);
  });

  it("makes identical sequences score identically, which independent futures do not", () => {
    const s = start();
    const same = tf.tidy(() =>
      tf.concat([plans(pm.steps).slice([0, 0, 0], [1, -1, -1])], 0).tile([8, 1, 1]),
    ) as tf.Tensor3D;
    const shared = Array.from(
      sequenceReturns(pm, same, s, new Rng(6), { particles: 4, commonFutures: true }).dataSync(),
    );
    const independent = Array.from(sequenceReturns(pm, same, s, new Rng(6), { particles: 4 }).dataSync());
    expect(new Set(shared).size).toBe(1);
    expect(new Set(independent).size).toBeGreaterThan(1);
    tf.dispose([s, same]);
  });

  it("ranks two nearly equal plans by their true difference, not by luck", () => {
    // plans 0 and 2 differ only in the last move (0.12 vs 0.13): the second costs 4·(0.13² − 0.12²) = 0.01 more
    const s = start();
    const seqs = plans(pm.steps);
    const r = Array.from(sequenceReturns(pm, seqs, s, new Rng(7), { particles: 8, commonFutures: true }).dataSync());
    expect(r[0] - r[2]).toBeCloseTo(4 * (0.13 ** 2 - 0.12 ** 2), 3);
    tf.dispose([s, seqs]);
  });
});
