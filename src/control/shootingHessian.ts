/**
 * The shooting view of an LQ problem: optimise the stacked actions u = (u_0, …, u_{T−1})
 * directly. The states are linear in u,
 *   x = G x_0 + H u,   x = (x_1, …, x_T),   G = [A; A²; …; A^T],   H[t−1][s] = A^{t−1−s} B (s < t),
 * so the cost (conventions of `lqr.ts`) is the quadratic
 *   J(u) = x_0ᵀQx_0 + (G x_0 + H u)ᵀ Q̄ (G x_0 + H u) + uᵀ R̄ u,
 * with Q̄ = blockdiag(Q, …, Q, Q_f) and R̄ = blockdiag(R, …, R). Its Hessian 2(HᵀQ̄H + R̄) holds
 * powers of A up to A^{T−1}: for an unstable A its condition number grows like |λ|^{2T}, which
 * is why shooting is ill-conditioned and gradient descent on u slows as T grows.
 */
import { check, fillOptions, positiveInt } from "../checks";
import {
  Matrix,
  add,
  assertMatrix,
  assertVector,
  blockDiag,
  matVec,
  matmul,
  scale,
  solve,
  spdConditionNumber,
  symmetricEigenvalues,
  symmetrize,
  transpose,
  zeros,
} from "../linalg";
import { LQProblem, checkLQProblem, lqCost } from "./lqr";

/** The linear map from (x_0, u) to the stacked states. */
export interface ShootingMatrices {
  /** (T·S, S): block t−1 is A^t. */
  G: Matrix;
  /** (T·S, T·U): block (t−1, s) is A^{t−1−s} B for s < t, else 0. */
  H: Matrix;
}

/** Build G and H with x = (x_1..x_T) = G x_0 + H u. */
function shootingMatrices(problem: LQProblem): ShootingMatrices {
  const { stateSize: S, actionSize: U, horizon: T } = checkLQProblem("shootingMatrices", problem);
  const G = zeros(T * S, S);
  const H = zeros(T * S, T * U);
  // powers[k] = A^k B, the effect of an action k steps after it is taken
  const powersB: Matrix[] = [problem.B];
  let power = problem.A; // A^t
  for (let t = 1; t <= T; t++) {
    if (t > 1) {
      power = matmul(problem.A, power);
      powersB.push(matmul(problem.A, powersB[t - 2]));
    }
    for (let i = 0; i < S; i++) {
      G[(t - 1) * S + i] = power[i].slice();
      for (let s = 0; s < t; s++) {
        for (let j = 0; j < U; j++) H[(t - 1) * S + i][s * U + j] = powersB[t - 1 - s][i][j];
      }
    }
  }
  return { G, H };
}

/** The quadratic J(u) = uᵀ M u + 2 cᵀ u + const, with M = HᵀQ̄H + R̄ and c = HᵀQ̄G x_0. */
function quadratic(where: string, problem: LQProblem): { M: Matrix; HtQG: Matrix } {
  const { horizon, Qf } = checkLQProblem(where, problem);
  const { G, H } = shootingMatrices(problem);
  const Qbar = blockDiag([...new Array<Matrix>(horizon - 1).fill(problem.Q), Qf]);
  const Rbar = blockDiag(new Array<Matrix>(horizon).fill(problem.R));
  const HtQ = matmul(transpose(H), Qbar);
  return { M: symmetrize(add(matmul(HtQ, H), Rbar)), HtQG: matmul(HtQ, G) };
}

/** The Hessian 2(HᵀQ̄H + R̄) of J(u), shape (T·U, T·U). It does not depend on x_0. */
export function shootingHessian(problem: LQProblem): Matrix {
  return scale(quadratic("shootingHessian", problem).M, 2);
}

/** Condition number λ_max/λ_min of the shooting Hessian (`Infinity` when numerically singular). */
export function shootingConditionNumber(problem: LQProblem): number {
  return spdConditionNumber(quadratic("shootingConditionNumber", problem).M);
}

/** Split a stacked (T·U) vector into (T, U) rows. */
function unstack(u: number[], actionSize: number): Matrix {
  return Array.from({ length: u.length / actionSize }, (_, t) => u.slice(t * actionSize, (t + 1) * actionSize));
}

/**
 * The optimal open-loop actions from x_0, by solving the normal equations (HᵀQ̄H + R̄) u = −HᵀQ̄G x_0
 * directly: one dense (T·U)-sized solve, the brute-force counterpart of the Riccati recursion.
 * @param x0 (S) @returns actions (T, U)
 */
export function shootingOptimalActions(problem: LQProblem, x0: number[]): Matrix {
  const where = "shootingOptimalActions";
  const { stateSize, actionSize } = checkLQProblem(where, problem);
  assertVector(where, "x0", x0, stateSize);
  const { M, HtQG } = quadratic(where, problem);
  const rhs = matVec(HtQG, x0).map((v) => [-v]);
  let u: Matrix;
  try {
    u = solve(M, rhs);
  } catch {
    throw new Error(`${where}: HᵀQ̄H + R̄ is singular, so the optimal actions are not unique; make R positive definite`);
  }
  return unstack(
    u.map((row) => row[0]),
    actionSize,
  );
}

/** Options for `shootingGradientDescent`. */
export interface ShootingGDOptions {
  /** Gradient steps to take. @default 100 */
  iterations: number;
  /** Actions (T, U) to start from. @default all zeros */
  initialActions: Matrix | undefined;
  /** Called after every step with plain data. @default undefined */
  onProgress: ((progress: { iteration: number; cost: number }) => void) | undefined;
}

export const SHOOTING_GD_DEFAULTS: ShootingGDOptions = {
  iterations: 100,
  initialActions: undefined,
  onProgress: undefined,
};

/** What gradient descent on the action sequence produced. */
export interface ShootingGDResult {
  /** Final actions (T, U). */
  actions: Matrix;
  /** J before the first step and after each step: length iterations + 1. */
  costs: number[];
  /** The fixed step 1/L, where L = λ_max of the Hessian (the gradient's Lipschitz constant). */
  stepSize: number;
}

/**
 * Gradient descent on the stacked actions with the exact gradient ∇J = 2(M u + HᵀQ̄G x_0) and
 * the fixed step 1/L. The error contracts by at most (1 − 1/κ) per step, κ the Hessian's
 * condition number, so it slows as T grows on an unstable system.
 * @param x0 (S)
 */
export function shootingGradientDescent(
  problem: LQProblem,
  x0: number[],
  options?: Partial<ShootingGDOptions>,
): ShootingGDResult {
  const where = "shootingGradientDescent";
  const opts = fillOptions(where, SHOOTING_GD_DEFAULTS, options, { iterations: positiveInt });
  const { stateSize, actionSize: U, horizon: T } = checkLQProblem(where, problem);
  assertVector(where, "x0", x0, stateSize);
  const start = opts.initialActions ?? zeros(T, U);
  assertMatrix(where, "options.initialActions", start, T, U);
  const { M, HtQG } = quadratic(where, problem);
  const lipschitz = 2 * symmetricEigenvalues(M)[T * U - 1];
  check(lipschitz > 0, where, "the cost does not depend on the actions (B = 0 and R = 0)");
  const stepSize = 1 / lipschitz;
  const c = matVec(HtQG, x0);
  let u = start.flat();
  const costs = [lqCost(problem, x0, unstack(u, U))];
  for (let iteration = 1; iteration <= opts.iterations; iteration++) {
    const grad = matVec(M, u).map((v, i) => 2 * (v + c[i]));
    u = u.map((v, i) => v - stepSize * grad[i]);
    costs.push(lqCost(problem, x0, unstack(u, U)));
    opts.onProgress?.({ iteration, cost: costs[iteration] });
  }
  return { actions: unstack(u, U), costs, stepSize };
}
