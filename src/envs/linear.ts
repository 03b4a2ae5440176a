/**
 * Linear dynamics with quadratic rewards, as batched tensors (lecture step 02): the tfjs twin of
 * the float64 LQ problems of `control/lqr.ts`, so that autodiff through the rollout can be set
 * beside the exact Riccati and shooting answers (`lqTask` builds one from an `LQProblem`).
 *
 *   s_{t+1} = A s_t + B a_t,   r(s_t, a_t) = −(s_tᵀ Q s_t + a_tᵀ R a_t),   r_H(s_H) = −s_Hᵀ Q_f s_H.
 *
 * The reward is charged on the state a step starts from and the terminal reward on the last
 * state, exactly as `lqr.ts` counts its cost, so an H-step return equals −`lqCost` (in float32).
 * Rows are states: a batch (B, S) steps as S' = S Aᵀ + U Bᵀ.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape } from "../checks";
import { Matrix, assertMatrix, assertSquare } from "../linalg";
import type { Dynamics, RewardFn } from "./types";

/** Batched linear dynamics s' = A s + B a (deterministic, a single model). */
export class LinearDynamics implements Dynamics {
  readonly stateSize: number;
  readonly actionSize: number;
  readonly members = 1;
  /** (S, S) */
  readonly A: Matrix;
  /** (S, U) */
  readonly B: Matrix;

  /** @param system A (S, S) and B (S, U), plain arrays (copied). */
  constructor(system: { A: Matrix; B: Matrix }) {
    const where = "LinearDynamics";
    this.stateSize = assertSquare(where, "system.A", system?.A);
    [, this.actionSize] = assertMatrix(where, "system.B", system.B, this.stateSize, null);
    this.A = system.A.map((row) => row.slice());
    this.B = system.B.map((row) => row.slice());
  }

  /**
   * @param states (B, S)
   * @param actions (B, U)
   * @returns next states (B, S)
   */
  step(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const [batch] = assertShape("LinearDynamics.step", "states", states, [null, this.stateSize]);
    assertShape("LinearDynamics.step", "actions", actions, [batch, this.actionSize]);
    return tf.tidy(() =>
      tf.add(tf.matMul(states, tf.tensor2d(this.A), false, true), tf.matMul(actions, tf.tensor2d(this.B), false, true)),
    );
  }
}

/** Row-wise xᵀ M x of a batch (B, n): returns (B). */
function rowQuadForm(x: tf.Tensor2D, m: Matrix): tf.Tensor1D {
  return tf.sum(tf.mul(tf.matMul(x, tf.tensor2d(m)), x), 1);
}

/**
 * The stage reward −(sᵀ Q s + aᵀ R a) of the state a step starts from; a `RewardFn`.
 * @param system Q (S, S) and R (U, U), symmetric
 */
export function quadraticReward(system: { Q: Matrix; R: Matrix }): RewardFn {
  const where = "quadraticReward";
  const S = assertSquare(where, "system.Q", system?.Q);
  const U = assertSquare(where, "system.R", system.R);
  const [Q, R] = [system.Q.map((r) => r.slice()), system.R.map((r) => r.slice())];
  return (states, actions, nextStates) => {
    const [batch] = assertShape(where, "states", states, [null, S]);
    assertShape(where, "actions", actions, [batch, U]);
    assertShape(where, "nextStates", nextStates, [batch, S]);
    return tf.tidy(() => tf.neg(tf.add(rowQuadForm(states, Q), rowQuadForm(actions, R))) as tf.Tensor1D);
  };
}

/**
 * The terminal reward −s_Hᵀ Q_f s_H, for `RolloutOptions.terminalReward`.
 * @param Qf (S, S), symmetric
 * @returns (states (B, S)) → rewards (B)
 */
export function quadraticTerminalReward(Qf: Matrix): (states: tf.Tensor2D) => tf.Tensor1D {
  const where = "quadraticTerminalReward";
  const S = assertSquare(where, "Qf", Qf);
  const M = Qf.map((r) => r.slice());
  return (states) => {
    assertShape(where, "states", states, [null, S]);
    return tf.tidy(() => tf.neg(rowQuadForm(states, M)) as tf.Tensor1D);
  };
}
