/**
 * Small systems for the planning tests, each with a plain-JS twin so that batched tensor
 * results can be checked against a per-item loop over ordinary numbers.
 */
import * as tf from "@tensorflow/tfjs";
import type { Dynamics, RewardFn, Task } from "../../src/envs/types";
import type { Rng } from "../../src/random";

/**
 * An ensemble of linear models, member m: s' = A_m s + B_m a (+ σ w when an rng is given).
 * Batches are member-major, as the `Dynamics` contract says.
 */
export class LinearEnsemble implements Dynamics {
  readonly stateSize: number;
  readonly actionSize: number;
  readonly members: number;

  /** @param A M matrices (S, S) @param B M matrices (S, A) */
  constructor(
    readonly A: number[][][],
    readonly B: number[][][],
    readonly sigma = 0,
  ) {
    this.members = A.length;
    this.stateSize = A[0].length;
    this.actionSize = B[0][0].length;
  }

  step(states: tf.Tensor2D, actions: tf.Tensor2D, rng?: Rng): tf.Tensor2D {
    const [rows, S] = states.shape;
    const M = this.members;
    return tf.tidy(() => {
      const s = states.reshape([M, rows / M, S]);
      const a = actions.reshape([M, rows / M, this.actionSize]);
      // s' rows = s Aᵀ + a Bᵀ, per member.
      const At = tf.tensor3d(this.A).transpose([0, 2, 1]);
      const Bt = tf.tensor3d(this.B).transpose([0, 2, 1]);
      let next = tf.matMul(s, At).add(tf.matMul(a, Bt)).reshape([rows, S]);
      if (rng && this.sigma > 0) next = next.add(rng.normalTensor([rows, S], 0, this.sigma));
      return next as tf.Tensor2D;
    });
  }

  /** The same step for one row under member m, in plain numbers (noise-free). */
  stepJs(m: number, s: number[], a: number[]): number[] {
    return s.map(
      (_, i) =>
        s.reduce((acc, sj, j) => acc + this.A[m][i][j] * sj, 0) +
        a.reduce((acc, aj, j) => acc + this.B[m][i][j] * aj, 0),
    );
  }
}

/** r = c·s'[0] − ‖s'‖² − 0.1‖a‖², linear term included so that signs matter. */
export function quadraticReward(c = 0.3): { reward: RewardFn; rewardJs: RewardJs } {
  const reward: RewardFn = (_s, a, n) =>
    tf.tidy(() => {
      const lin = n.slice([0, 0], [-1, 1]).reshape([-1]).mul(c);
      return lin.sub(n.square().sum(1)).sub(a.square().sum(1).mul(0.1)) as tf.Tensor1D;
    });
  const rewardJs = (_s: number[], a: number[], n: number[]) =>
    c * n[0] - n.reduce((x, v) => x + v * v, 0) - 0.1 * a.reduce((x, v) => x + v * v, 0);
  return { reward, rewardJs };
}

/** A 2-state, 1-action ensemble of `members` linear models that differ from member to member. */
export function toyEnsemble(members: number, sigma = 0): LinearEnsemble {
  const A = Array.from({ length: members }, (_, m) => [
    [1, 0.1 + 0.05 * m],
    [-0.1 * m, 0.9],
  ]);
  const B = Array.from({ length: members }, (_, m) => [[0.2], [1 - 0.3 * m]]);
  return new LinearEnsemble(A, B, sigma);
}

type RewardJs = (s: number[], a: number[], n: number[]) => number;

/** The plain-loop return of one action sequence under member m. */
export function memberReturnJs(
  model: LinearEnsemble,
  rewardJs: RewardJs,
  m: number,
  start: number[],
  actions: number[][],
): number {
  let total = 0;
  let s = start;
  for (const a of actions) {
    const n = model.stepJs(m, s, a);
    total += rewardJs(s, a, n);
    s = n;
  }
  return total;
}

/** The plain-loop return of one action sequence, averaged over members. */
export function sequenceReturnJs(
  model: LinearEnsemble,
  rewardJs: RewardJs,
  start: number[],
  actions: number[][],
): number {
  let total = 0;
  for (let m = 0; m < model.members; m++) total += memberReturnJs(model, rewardJs, m, start, actions);
  return total / model.members;
}

/** x' = x + a (+ σ w), reward −x'², bounds ±limit: the scalar linear-Gaussian system. */
export function scalarTask(sigma: number, limit = 1): Task {
  const reward: RewardFn = (_s, _a, n) => tf.tidy(() => n.square().neg().reshape([-1]) as tf.Tensor1D);
  return { dynamics: new LinearEnsemble([[[1]]], [[[1]]], sigma), reward, bounds: { low: [-limit], high: [limit] } };
}
