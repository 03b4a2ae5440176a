/**
 * LQR by dynamic programming: the Riccati recursion (lecture 11, "LQR escapes shooting's
 * ill-conditioning"), its infinite-horizon limit, and the scalar example showing why a shared
 * (stationary) policy gain breaks the stage-wise structure DP relies on.
 *
 * Convention used throughout (no factor ½):
 *   x_{t+1} = A x_t + B u_t,
 *   J = Σ_{t=0}^{T−1} (x_tᵀ Q x_t + u_tᵀ R u_t) + x_Tᵀ Q_f x_T,
 * policies act as u_t = −K_t x_t, and the optimal cost from x_0 is x_0ᵀ P_0 x_0.
 * Shapes: S states, U inputs, horizon T. Plain float64 arrays, so these are exact references.
 */
import { check, fillOptions, positive, positiveInt } from "../checks";
import {
  Matrix,
  add,
  assertMatrix,
  assertSquare,
  assertSymmetric,
  assertVector,
  matVec,
  matmul,
  maxAbs,
  quadForm,
  solve,
  spectralRadius,
  sub,
  symmetricEigenvalues,
  symmetrize,
  transpose,
} from "../linalg";

/** A linear system with a quadratic stage cost x_tᵀ Q x_t + u_tᵀ R u_t. */
export interface LQSystem {
  /** Dynamics matrix (S, S). */
  A: Matrix;
  /** Input matrix (S, U). */
  B: Matrix;
  /** State cost (S, S), symmetric positive semi-definite. */
  Q: Matrix;
  /** Action cost (U, U), symmetric positive semi-definite. */
  R: Matrix;
}

/** A finite-horizon LQ problem. */
export interface LQProblem extends LQSystem {
  /** Terminal cost (S, S), symmetric positive semi-definite. @default Q */
  Qf?: Matrix;
  /** Number of actions T (states x_0..x_T). */
  horizon: number;
}

/** Sizes of a checked system. */
export interface LQDims {
  stateSize: number;
  actionSize: number;
}

function assertPsd(where: string, name: string, m: Matrix): void {
  assertSymmetric(where, name, m);
  const lo = symmetricEigenvalues(m)[0];
  if (lo < -1e-12 * Math.max(1, maxAbs(m))) {
    throw new Error(`${where}: ${name} must be positive semi-definite, but has eigenvalue ${lo}`);
  }
}

/** Check the shapes, symmetry and semi-definiteness of A, B, Q, R; errors name `problem.X`. */
function checkLQSystem(where: string, system: LQSystem): LQDims {
  check(system != null && typeof system === "object", where, "problem must be an object {A, B, Q, R, …}");
  const stateSize = assertSquare(where, "problem.A", system.A);
  const [, actionSize] = assertMatrix(where, "problem.B", system.B, stateSize, null);
  assertSquare(where, "problem.Q", system.Q, stateSize);
  assertSquare(where, "problem.R", system.R, actionSize);
  assertPsd(where, "problem.Q", system.Q);
  assertPsd(where, "problem.R", system.R);
  return { stateSize, actionSize };
}

/** Check a finite-horizon problem as well; returns its sizes and the terminal cost in use. */
export function checkLQProblem(where: string, problem: LQProblem): LQDims & { horizon: number; Qf: Matrix } {
  const dims = checkLQSystem(where, problem);
  const bad = positiveInt(problem.horizon);
  if (bad) throw new Error(`${where}: problem.horizon ${bad}`);
  const Qf = problem.Qf ?? problem.Q;
  assertSquare(where, "problem.Qf", Qf, dims.stateSize);
  assertPsd(where, "problem.Qf", Qf);
  return { ...dims, horizon: problem.horizon, Qf };
}

const OVERFLOW =
  "no stabilising solution: the cost-to-go P overflowed float64, i.e. it grows without bound (an unstable mode that B cannot reach?)";

/**
 * One backward Riccati step from the cost-to-go P' of the next time step:
 *   K = (R + BᵀP'B)⁻¹ BᵀP'A,   P = Q + Aᵀ P' (A − B K).
 */
function riccatiStep(where: string, sys: LQSystem, next: Matrix): { K: Matrix; P: Matrix } {
  const btp = matmul(transpose(sys.B), next);
  const curvature = add(sys.R, matmul(btp, sys.B));
  const rhs = matmul(btp, sys.A);
  if (!Number.isFinite(maxAbs(curvature)) || !Number.isFinite(maxAbs(rhs))) throw new Error(`${where}: ${OVERFLOW}`);
  let K: Matrix;
  try {
    K = solve(curvature, rhs);
  } catch {
    throw new Error(`${where}: R + BᵀPB is singular, so the optimal action is not unique; make R positive definite`);
  }
  const growth = matmul(matmul(transpose(sys.A), next), sub(sys.A, matmul(sys.B, K)));
  if (!Number.isFinite(maxAbs(growth))) throw new Error(`${where}: ${OVERFLOW}`);
  return { K, P: symmetrize(add(sys.Q, growth)) };
}

/** The finite-horizon LQR solution. */
export interface RiccatiSolution {
  /** Gains K_0..K_{T−1}, each (U, S); the optimal policy is u_t = −K_t x_t. */
  gains: Matrix[];
  /** Cost-to-go matrices P_0..P_T, each (S, S); P_T = Q_f and J*(x_0) = x_0ᵀ P_0 x_0. */
  costToGo: Matrix[];
}

/**
 * Finite-horizon LQR by the backward Riccati recursion: O(T) small matrix operations,
 * exact, and numerically stable (each stage is solved given only the next stage's P).
 */
export function riccatiGains(problem: LQProblem): RiccatiSolution {
  const { horizon, Qf } = checkLQProblem("riccatiGains", problem);
  const costToGo: Matrix[] = new Array(horizon + 1);
  const gains: Matrix[] = new Array(horizon);
  costToGo[horizon] = Qf;
  for (let t = horizon - 1; t >= 0; t--) {
    const { K, P } = riccatiStep("riccatiGains", problem, costToGo[t + 1]);
    gains[t] = K;
    costToGo[t] = P;
  }
  return { gains, costToGo };
}

/** A simulated trajectory of an LQ problem. */
export interface LQTrajectory {
  /** x_0..x_T, shape (T+1, S). */
  states: Matrix;
  /** u_0..u_{T−1}, shape (T, U). */
  actions: Matrix;
  /** J of this trajectory under the problem's cost. */
  cost: number;
}

/** Step the dynamics forward; `act(t, x_t)` gives u_t. */
function simulate(
  where: string,
  problem: LQProblem,
  x0: number[],
  act: (t: number, x: number[]) => number[],
): LQTrajectory {
  const { stateSize, horizon, Qf } = checkLQProblem(where, problem);
  assertVector(where, "x0", x0, stateSize);
  const states = [x0.slice()];
  const actions: Matrix = [];
  let cost = 0;
  for (let t = 0; t < horizon; t++) {
    const x = states[t];
    const u = act(t, x);
    cost += quadForm(problem.Q, x) + quadForm(problem.R, u);
    actions.push(u);
    const bu = matVec(problem.B, u);
    states.push(matVec(problem.A, x).map((v, i) => v + bu[i]));
  }
  return { states, actions, cost: cost + quadForm(Qf, states[horizon]) };
}

/**
 * Roll out the linear feedback policy u_t = −K_t x_t from x_0.
 * @param x0 (S)
 * @param gains T gains, each (U, S): `riccatiGains(problem).gains`, or one K repeated
 */
export function lqRollout(problem: LQProblem, x0: number[], gains: Matrix[]): LQTrajectory {
  const where = "lqRollout";
  const { stateSize, actionSize, horizon } = checkLQProblem(where, problem);
  check(
    Array.isArray(gains) && gains.length === horizon,
    where,
    `gains must be an array of ${horizon} matrices (one per step)`,
  );
  gains.forEach((K, t) => assertMatrix(where, `gains[${t}]`, K, actionSize, stateSize));
  return simulate(where, problem, x0, (t, x) => matVec(gains[t], x).map((v) => -v));
}

/**
 * Cost J of an open-loop action sequence, by simulating the dynamics.
 * @param x0 (S) @param actions (T, U)
 */
export function lqCost(problem: LQProblem, x0: number[], actions: Matrix): number {
  const { actionSize, horizon } = checkLQProblem("lqCost", problem);
  assertMatrix("lqCost", "actions", actions, horizon, actionSize);
  return simulate("lqCost", problem, x0, (t) => actions[t]).cost;
}

/** Options for `dareGain`. */
export interface DareOptions {
  /**
   * Relative accuracy of P: stop when the error left, estimated from the last step's change c_k and the
   * observed contraction r = c_k / c_{k−1} as c_k / (1 − r), is ≤ tolerance · max|P|. Relative, so the
   * answer does not depend on the scale of Q and R. @default 1e-12
   */
  tolerance: number;
  /** Give up (no stabilising solution) after this many Riccati steps. @default 100000 */
  maxIterations: number;
}

export const DARE_DEFAULTS: DareOptions = { tolerance: 1e-12, maxIterations: 100000 };

/** The infinite-horizon LQR solution. */
export interface DareSolution {
  /** Stationary gain K (U, S): u = −K x. */
  K: Matrix;
  /** Solution P (S, S) of the discrete algebraic Riccati equation. */
  P: Matrix;
  /** Riccati steps taken. */
  iterations: number;
  /** max|Riccati(P) − P| / max|P| at the returned P: relative, like the stopping test. */
  residual: number;
  /** ρ(A − BK) < 1: the closed loop is stable. */
  spectralRadius: number;
}

/**
 * Infinite-horizon LQR: iterate the Riccati map P ← Q + AᵀP(A − BK(P)) from P = Q until it
 * stops changing. The fixed point solves the discrete algebraic Riccati equation (DARE)
 *   P = Q + AᵀPA − AᵀPB (R + BᵀPB)⁻¹ BᵀPA,
 * and is the limit of the finite-horizon P_0 as T → ∞. Scaling Q and R together scales P and
 * leaves K unchanged, so the stopping test is relative to |P|; near the end the iteration
 * contracts by about ρ(A − BK)² per step, which can be close to 1, so a small change alone does not
 * mean a small error: the test divides by (1 − observed contraction), down to the rounding floor
 * of a few ε·|P| per step (for ρ near 1 the attainable accuracy is then about ε/(1 − ρ²)). Throws when there is no
 * stabilising solution: the iteration diverges or stalls (an unstable mode that B cannot reach),
 * or it converges to a K that leaves A − BK unstable (an unstable mode that Q does not penalise).
 */
export function dareGain(system: LQSystem, options?: Partial<DareOptions>): DareSolution {
  const where = "dareGain";
  const opts = fillOptions(where, DARE_DEFAULTS, options, { tolerance: positive, maxIterations: positiveInt });
  checkLQSystem(where, system);
  let P = system.Q;
  let previousChange = Infinity;
  for (let k = 1; k <= opts.maxIterations; k++) {
    const next = riccatiStep(where, system, P).P;
    const change = maxAbs(sub(next, P));
    if (!Number.isFinite(change)) throw new Error(`${where}: ${OVERFLOW}`);
    P = next;
    const contraction = change / previousChange;
    previousChange = change;
    const size = maxAbs(P);
    // At a change of a few rounding errors of P the iteration cannot get closer; stop there too.
    const converged =
      change <= 8 * Number.EPSILON * size || (contraction < 1 && change / (1 - contraction) <= opts.tolerance * size);
    if (converged) {
      const last = riccatiStep(where, system, P); // K(P) and the DARE residual at the returned P
      const rho = spectralRadius(sub(system.A, matmul(system.B, last.K)));
      if (!(rho < 1)) {
        throw new Error(
          `${where}: no stabilising solution: the Riccati iteration converged but A − BK has spectral radius ${rho} ≥ 1 (an unstable mode is not penalised by Q)`,
        );
      }
      return {
        K: last.K,
        P,
        iterations: k,
        residual: size === 0 ? 0 : maxAbs(sub(last.P, P)) / size,
        spectralRadius: rho,
      };
    }
  }
  throw new Error(
    `${where}: no stabilising solution found: the Riccati iteration did not converge in ${opts.maxIterations} steps (max|P| = ${maxAbs(P)}; is (A, B) stabilisable?)`,
  );
}

/** A scalar LQ problem x' = a x + b u, cost Σ_{t<T} (q x_t² + r u_t²) + q_f x_T². */
export interface ScalarLQ {
  a: number;
  b: number;
  q: number;
  r: number;
  /** Terminal weight. @default 0 */
  qf?: number;
  /** Initial state. */
  x0: number;
  /** T. */
  horizon: number;
}

/**
 * Cost J(k) of the stationary policy u = −k x on a scalar system, in closed form. The state is
 * x_t = c^t x_0 with c = a − b k, so
 *   J(k) = x_0² [ (q + r k²) Σ_{t=0}^{T−1} c^{2t} + q_f c^{2T} ],
 * a polynomial of degree 2T in k: the one shared gain enters every time step, which is why no
 * stage-by-stage (DP) decomposition over k exists.
 */
export function scalarPolicyCost(problem: ScalarLQ, k: number): number {
  const where = "scalarPolicyCost";
  const { a, b, q, r, x0, horizon } = problem;
  const qf = problem.qf ?? 0;
  for (const [name, v] of Object.entries({ a, b, q, r, qf, x0, k })) {
    check(Number.isFinite(v), where, `${name === "k" ? "k" : `problem.${name}`} must be finite, got ${v}`);
  }
  const bad = positiveInt(horizon);
  if (bad) throw new Error(`${where}: problem.horizon ${bad}`);
  const c2 = (a - b * k) ** 2;
  // Σ_{t<T} c2^t = (1 − c2^T)/(1 − c2), written with expm1/log so it stays accurate near c2 = 1.
  const series = c2 === 1 ? horizon : -Math.expm1(horizon * Math.log(c2)) / (1 - c2);
  return x0 * x0 * ((q + r * k * k) * series + qf * c2 ** horizon);
}
