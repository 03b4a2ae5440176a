/**
 * Jacobian products along a trajectory (lecture step 03: exploding and vanishing gradients).
 *
 * Backpropagating through T steps of s_{t+1} = f(s_t, a_t) multiplies the per-step Jacobians:
 * ∂s_T/∂s_0 = J_{T−1} ⋯ J_1 J_0 with J_t = ∂f/∂s at (s_t, a_t). When the top singular value
 * of this product grows like e^{ρt} (ρ > 0) gradients explode; when it shrinks (ρ < 0)
 * they vanish. We cannot pick f to behave well: it has to match the physics.
 *
 * Jacobians come from tfjs autodiff (there is no `tf.jacobian`): one reverse pass per output
 * coordinate i, of Σ_t f(s_t, a_t)_i over the whole trajectory as one batch. Because the rows
 * of a batch do not interact, row t of that gradient is exactly ∂f_i/∂s at step t, so S
 * backward passes give all T Jacobians. The small S×S products are then done in float64.
 */
import * as tf from "@tensorflow/tfjs";
import type { Dynamics, Policy } from "../envs/types";
import type { Rng } from "../random";
import { assertShape, check, fillOptions, positiveInt } from "../checks";
import { leastSquaresSlope } from "./stats";
import { rollout } from "../rollout";

/** Per-step Jacobians of a dynamics model along a trajectory. */
export interface StepJacobians {
  /** ∂f/∂s: T matrices of S×S; entry [t][i][j] = ∂s'_i/∂s_j at step t. */
  stateJacobians: number[][][];
  /** ∂f/∂a: T matrices of S×A; entry [t][i][j] = ∂s'_i/∂a_j at step t. */
  actionJacobians: number[][][];
}

/**
 * Per-step Jacobians ∂f/∂s and ∂f/∂a of the mean (noise-free) dynamics.
 * Assumes the rows of a batch are stepped independently, as for every model in the library.
 * @param dynamics true or learned, with members = 1
 * @param states (T, S) the states s_0 … s_{T−1}
 * @param actions (T, A) the actions a_0 … a_{T−1}
 */
export function stepJacobians(dynamics: Dynamics, states: tf.Tensor2D, actions: tf.Tensor2D): StepJacobians {
  const where = "stepJacobians";
  check(
    dynamics.members === 1,
    where,
    `dynamics must have members = 1 (an ensemble's batch is split by member), got ${dynamics.members}`,
  );
  const [steps] = assertShape(where, "states", states, [null, dynamics.stateSize]);
  assertShape(where, "actions", actions, [steps, dynamics.actionSize]);
  check(steps > 0, where, "states must hold at least one step");
  const perOutput: [number[][], number[][]][] = [];
  for (let i = 0; i < dynamics.stateSize; i++) {
    const [gradS, gradA] = tf.tidy(() => {
      const outputSum = (s: tf.Tensor, a: tf.Tensor) =>
        tf.sum(tf.slice(dynamics.step(s as tf.Tensor2D, a as tf.Tensor2D), [0, i], [steps, 1]));
      return tf.grads(outputSum)([states, actions]);
    });
    perOutput.push([gradS.arraySync() as number[][], gradA.arraySync() as number[][]]);
    tf.dispose([gradS, gradA]);
  }
  // perOutput[i][0][t] is row i of J_t; regroup by step.
  const byStep = (k: 0 | 1) => Array.from({ length: steps }, (_, t) => perOutput.map((grads) => grads[k][t]));
  return { stateJacobians: byStep(0), actionJacobians: byStep(1) };
}

/**
 * Per-step Jacobians of the closed loop s' = f(s, π(s)): ∂f/∂s + ∂f/∂a · ∂π/∂s, the factors that
 * BPTT multiplies (`stepJacobians` gives ∂f/∂s alone, the passive system's). A stabilising policy
 * makes their product contract where the passive one explodes.
 * @param dynamics true or learned, with members = 1
 * @param policy row-independent (an MLP or linear policy), differentiable in its input
 * @param states (T, S) the states s_0 … s_{T−1}
 * @returns T matrices of S×S
 */
export function closedLoopJacobians(dynamics: Dynamics, policy: Policy, states: tf.Tensor2D): number[][][] {
  const closedLoop: Dynamics = {
    stateSize: dynamics.stateSize,
    actionSize: dynamics.actionSize,
    members: dynamics.members,
    // π(s) takes the action's place; the action enters with weight 0 only because tfjs refuses a
    // gradient with respect to an input that is not used.
    step: (s, a) => tf.add(dynamics.step(s, policy(s)), tf.mul(tf.sum(a, 1, true), 0)) as tf.Tensor2D,
  };
  const placeholder = tf.zeros([states.shape[0], dynamics.actionSize]) as tf.Tensor2D;
  try {
    return stepJacobians(closedLoop, states, placeholder).stateJacobians;
  } finally {
    placeholder.dispose();
  }
}

/** The top singular value of the Jacobian product at every step, and its growth rate. */
export interface ProductSpectrum {
  /** σ_max(J_{t−1} ⋯ J_0) for t = 1..T. May overflow to Infinity or underflow to 0. */
  sigmaMax: number[];
  /** log σ_max for t = 1..T, kept finite by renormalising the product each step. */
  logSigmaMax: number[];
  /** Least-squares slope of logSigmaMax against t: log of the per-step growth factor. */
  growthRate: number;
}

/**
 * σ_max of the running product ∏ J_t and its growth rate, in float64.
 * The product is rescaled to unit Frobenius norm each step and the scale kept as a log,
 * so long horizons neither overflow nor underflow.
 * @param jacobians T ≥ 2 square matrices J_0 … J_{T−1}, each S×S (e.g. `stateJacobians`)
 */
export function jacobianProductSpectrum(jacobians: number[][][]): ProductSpectrum {
  const where = "jacobianProductSpectrum";
  check(
    jacobians.length >= 2,
    where,
    `jacobians must hold at least 2 matrices to fit a growth rate, got ${jacobians.length}`,
  );
  const size = jacobians[0].length;
  jacobians.forEach((m, t) => {
    const square = m.length === size && m.every((row) => row.length === size && row.every(Number.isFinite));
    check(square, where, `jacobians[${t}] must be a finite ${size}×${size} matrix`);
  });
  let product: number[][] = jacobians[0].map((_, i) => jacobians[0].map((__, j) => (i === j ? 1 : 0)));
  let logScale = 0;
  const logSigmaMax = jacobians.map((jacobian) => {
    product = matmul(jacobian, product);
    const norm = Math.sqrt(product.reduce((acc, row) => acc + row.reduce((a, x) => a + x * x, 0), 0));
    if (norm === 0 || logScale === -Infinity) {
      logScale = -Infinity; // the product is exactly zero from here on
      return -Infinity;
    }
    product = product.map((row) => row.map((x) => x / norm));
    logScale += Math.log(norm);
    return logScale + Math.log(topSingularValue(product));
  });
  return { sigmaMax: logSigmaMax.map(Math.exp), logSigmaMax, growthRate: slope(logSigmaMax) };
}

/**
 * Roll a closed-loop policy through dynamics from one start state.
 * The caller owns (and must dispose) the returned tensors.
 * @param start (1, S)
 * @param rng process noise for stochastic dynamics; undefined steps their mean
 * @returns states (T, S) = s_0 … s_{T−1}, actions (T, A), nextStates (T, S) = s_1 … s_T
 */
export function policyTrajectory(
  dynamics: Dynamics,
  policy: Policy,
  start: tf.Tensor2D,
  rng: Rng | undefined,
  options?: Partial<TrajectoryOptions>,
): Trajectory {
  const where = "policyTrajectory";
  const { steps } = fillOptions(where, TRAJECTORY_DEFAULTS, options, { steps: positiveInt });
  assertShape(where, "start", start, [1, dynamics.stateSize]);
  // On the tape inside one tidy: every s_t and a_t is kept for the concatenation.
  return tf.tidy(() => {
    const [states, actions]: tf.Tensor2D[][] = [[], []];
    const last = rollout(
      { dynamics },
      (s) => policy(s),
      start,
      rng,
      { steps, tape: true, where },
      (step) => {
        states.push(step.states);
        actions.push(step.actions);
      },
    );
    return {
      states: tf.concat(states, 0) as tf.Tensor2D,
      actions: tf.concat(actions, 0) as tf.Tensor2D,
      nextStates: tf.concat([...states.slice(1), last], 0) as tf.Tensor2D,
    };
  });
}

/** Options of `policyTrajectory`. */
export interface TrajectoryOptions {
  /** Number of steps T. @default 100 */
  steps: number;
}

export const TRAJECTORY_DEFAULTS: TrajectoryOptions = { steps: 100 };

/** A rolled-out trajectory as transitions (s_t, a_t, s_{t+1}), t = 0..T−1. */
export interface Trajectory {
  /** (T, S) */
  states: tf.Tensor2D;
  /** (T, A) */
  actions: tf.Tensor2D;
  /** (T, S) */
  nextStates: tf.Tensor2D;
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((acc, x, k) => acc + x * b[k][j], 0)));
}

/** σ_max(M) = sqrt of the largest eigenvalue of MᵀM. */
function topSingularValue(m: number[][]): number {
  const gram = m[0].map((_, i) => m[0].map((__, j) => m.reduce((acc, row) => acc + row[i] * row[j], 0)));
  return Math.sqrt(Math.max(0, ...symmetricEigenvalues(gram)));
}

/** Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations (accurate to float64). */
function symmetricEigenvalues(matrix: number[][]): number[] {
  const a = matrix.map((row) => row.slice());
  const n = a.length;
  const scale = a.reduce((acc, row) => acc + row.reduce((s, x) => s + x * x, 0), 0);
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off <= 1e-32 * scale) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        // The rotation angle that zeroes a[p][q] (Numerical Recipes, section 11.1).
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [kp, kq] = [a[k][p], a[k][q]];
          a[k][p] = c * kp - s * kq;
          a[k][q] = s * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const [pk, qk] = [a[p][k], a[q][k]];
          a[p][k] = c * pk - s * qk;
          a[q][k] = s * pk + c * qk;
        }
      }
    }
  }
  return a.map((row, i) => row[i]);
}

/** Least-squares slope of ys against t = 1..n; −Infinity when the product hit zero. */
function slope(ys: number[]): number {
  if (ys.some((y) => y === -Infinity)) return -Infinity;
  return leastSquaresSlope(
    ys.map((_, i) => i + 1),
    ys,
  );
}
