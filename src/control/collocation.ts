/**
 * Collocation (lecture step 04): optimise the states and the actions together, with the
 * dynamics as equality constraints, instead of shooting (actions only, states rolled out).
 * For an LQ problem (conventions of `lqr.ts`) the variables are z = (x_1..x_T, u_0..u_{T−1}),
 *
 *   min zᵀ W z   s.t.   c_t = x_t − A x_{t−1} − B u_{t−1} = 0  (t = 1..T, x_0 given),
 *
 * W = blockdiag(Q, …, Q, Q_f, R, …, R). Every constraint touches two neighbouring steps only,
 * so no power of A appears anywhere: the KKT matrix [[2W, Cᵀ], [C, 0]] of this problem stays
 * well conditioned as T grows, even where shooting's Hessian (powers of A up to A^{T−1})
 * does not. With a shared policy u_t = −K x_t the trick is lost: at any feasible point
 * x_t = (A − BK)^t x_0, and K enters every constraint through x_{t−1}.
 */
import { check } from "../checks";
import {
  Matrix,
  assertMatrix,
  assertVector,
  blockDiag,
  matmul,
  solve,
  symmetricEigenvalues,
  transpose,
  zeros,
} from "../linalg";
import { LQProblem, checkLQProblem } from "./lqr";

/** The constraint Jacobian C (T·S, T·S + T·U) and the right-hand side d with C z = d. */
function constraints(problem: LQProblem, x0?: number[]): { C: Matrix; d: number[] } {
  const { stateSize: S, actionSize: U, horizon: T } = checkLQProblem("collocation", problem);
  const C = zeros(T * S, T * S + T * U);
  const d = new Array<number>(T * S).fill(0);
  for (let t = 1; t <= T; t++) {
    for (let i = 0; i < S; i++) {
      const row = (t - 1) * S + i;
      C[row][row] = 1; //                                                  x_t
      for (let j = 0; j < S; j++) if (t > 1) C[row][(t - 2) * S + j] = -problem.A[i][j]; // −A x_{t−1}
      for (let j = 0; j < U; j++) C[row][T * S + (t - 1) * U + j] = -problem.B[i][j]; //  −B u_{t−1}
      if (t === 1 && x0) d[row] = problem.A[i].reduce((a, v, j) => a + v * x0[j], 0); // A x_0, a constant
    }
  }
  return { C, d };
}

/**
 * The KKT matrix [[2W, Cᵀ], [C, 0]] of the collocation problem, (2T·S + T·U) square; it does
 * not depend on x_0.
 */
export function collocationKkt(problem: LQProblem): Matrix {
  const { stateSize: S, actionSize: U, horizon: T, Qf } = checkLQProblem("collocationKkt", problem);
  const W = blockDiag([...new Array<Matrix>(T - 1).fill(problem.Q), Qf, ...new Array<Matrix>(T).fill(problem.R)]);
  const { C } = constraints(problem);
  const [n, m] = [T * S + T * U, T * S];
  const K = zeros(n + m, n + m);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i][j] = 2 * W[i][j];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) K[n + i][j] = K[j][n + i] = C[i][j];
  }
  return K;
}

/**
 * Condition number max|λ|/min|λ| of the (symmetric, indefinite) KKT matrix: how hard the
 * collocation problem is for a linear solver or a Newton step. `Infinity` if it is singular.
 */
export function collocationConditionNumber(problem: LQProblem): number {
  const ev = symmetricEigenvalues(collocationKkt(problem))
    .map(Math.abs)
    .sort((a, b) => a - b);
  return ev[0] === 0 ? Infinity : ev[ev.length - 1] / ev[0];
}

/**
 * The optimum of the collocation problem from x_0, by one solve of the KKT system; it equals
 * the Riccati (and shooting) optimum, found without ever forming a power of A.
 * @param x0 (S) @returns the states x_1..x_T (T, S) and the actions u_0..u_{T−1} (T, U)
 */
export function collocationOptimum(problem: LQProblem, x0: number[]): { states: Matrix; actions: Matrix } {
  const where = "collocationOptimum";
  const { stateSize: S, actionSize: U, horizon: T } = checkLQProblem(where, problem);
  assertVector(where, "x0", x0, S);
  const { d } = constraints(problem, x0);
  const n = T * S + T * U;
  const rhs = [...new Array<number>(n).fill(0), ...d].map((v) => [v]);
  let z: number[];
  try {
    z = solve(collocationKkt(problem), rhs).map((row) => row[0]);
  } catch {
    throw new Error(`${where}: the KKT matrix is singular; make R positive definite`);
  }
  const rows = (offset: number, width: number) =>
    Array.from({ length: T }, (_, t) => z.slice(offset + t * width, offset + (t + 1) * width));
  return { states: rows(0, S), actions: rows(T * S, U) };
}

/**
 * Collocation with a shared policy u_t = −K x_t: variables (x_1..x_T, K), constraints
 * c_t = x_t − (A − BK) x_{t−1}. Returns the constraint Jacobian at the feasible point of a
 * gain K, where x_t = (A − BK)^t x_0, and its condition number σ_max/σ_min. The K columns hold
 * B ⊗ x_{t−1}: the states are functions of the policy's parameters again, and grow like
 * (A − BK)^t when the closed loop is unstable.
 * @param gain K (U, S) @param x0 (S)
 * @returns jacobian (T·S, T·S + U·S) and its condition number
 */
export function policyCollocationJacobian(
  problem: LQProblem,
  gain: Matrix,
  x0: number[],
): { jacobian: Matrix; conditionNumber: number } {
  const where = "policyCollocationJacobian";
  const { stateSize: S, actionSize: U, horizon: T } = checkLQProblem(where, problem);
  assertMatrix(where, "gain", gain, U, S);
  assertVector(where, "x0", x0, S);
  const closed = problem.A.map((row, i) =>
    row.map((a, j) => a - problem.B[i].reduce((s, b, k) => s + b * gain[k][j], 0)),
  );
  const J = zeros(T * S, T * S + U * S);
  let previous = x0; // x_{t−1}
  for (let t = 1; t <= T; t++) {
    for (let i = 0; i < S; i++) {
      const row = (t - 1) * S + i;
      J[row][row] = 1;
      for (let j = 0; j < S; j++) if (t > 1) J[row][(t - 2) * S + j] = -closed[i][j];
      // ∂c_t[i]/∂K[k][l] = B[i][k] · x_{t−1}[l]
      for (let k = 0; k < U; k++) for (let l = 0; l < S; l++) J[row][T * S + k * S + l] = problem.B[i][k] * previous[l];
    }
    previous = closed.map((row) => row.reduce((s, a, j) => s + a * previous[j], 0));
  }
  const ev = symmetricEigenvalues(matmul(J, transpose(J)));
  check(ev.every(Number.isFinite), where, "the states overflowed float64; shorten the horizon");
  const conditionNumber = ev[0] <= 0 ? Infinity : Math.sqrt(ev[ev.length - 1] / ev[0]);
  return { jacobian: J, conditionNumber };
}
