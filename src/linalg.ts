/**
 * Small dense float64 linear algebra on plain arrays (`number[][]`, row-major).
 *
 * LQR and the shooting Hessian serve as exact reference answers, so they are computed in
 * float64 here rather than in tfjs (whose default dtype is float32). The matrices are tiny
 * (a few states, horizons of at most a few hundred steps), so plain O(n³) algorithms suffice.
 * Every function checks its arguments and names the one that is wrong.
 */

/** A dense matrix as an array of equal-length rows. */
export type Matrix = number[][];

/** Machine epsilon of float64. */
const EPS = 2.220446049250313e-16;

/**
 * Check that `m` is a finite matrix of the given shape (`null` matches any size ≥ 1).
 * @returns [rows, cols]
 */
export function assertMatrix(
  where: string,
  name: string,
  m: Matrix,
  rows: number | null = null,
  cols: number | null = null,
): [number, number] {
  const want = `[${rows ?? "*"}, ${cols ?? "*"}]`;
  if (!Array.isArray(m) || m.length === 0 || !Array.isArray(m[0]) || m[0].length === 0) {
    throw new Error(`${where}: ${name} must be a non-empty matrix (number[][]) of shape ${want}`);
  }
  const r = m.length;
  const c = m[0].length;
  m.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== c) {
      throw new Error(`${where}: ${name} must have rows of equal length ${c}, but row ${i} differs`);
    }
  });
  if ((rows !== null && r !== rows) || (cols !== null && c !== cols)) {
    throw new Error(`${where}: ${name} must have shape ${want}, got [${r}, ${c}]`);
  }
  m.forEach((row, i) =>
    row.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new Error(`${where}: ${name} must be finite, but entry [${i}][${j}] is ${v}`);
    }),
  );
  return [r, c];
}

/** Check that `m` is a finite square matrix (of size n when given); returns its size. */
export function assertSquare(where: string, name: string, m: Matrix, n: number | null = null): number {
  const [r, c] = assertMatrix(where, name, m, n, n);
  if (r !== c) throw new Error(`${where}: ${name} must be square, got [${r}, ${c}]`);
  return r;
}

/** Check that `v` is a finite vector (of the given length when given); returns its length. */
export function assertVector(where: string, name: string, v: number[], length: number | null = null): number {
  if (!Array.isArray(v) || v.length === 0 || (length !== null && v.length !== length)) {
    throw new Error(
      `${where}: ${name} must be a number[] of length ${length ?? "≥ 1"}, got ${Array.isArray(v) ? `length ${v.length}` : typeof v}`,
    );
  }
  v.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new Error(`${where}: ${name} must be finite, but entry ${i} is ${x}`);
  });
  return v.length;
}

/** Check that a square matrix is symmetric up to rounding (relative 1e-10). */
export function assertSymmetric(where: string, name: string, m: Matrix): number {
  const n = assertSquare(where, name, m);
  const tol = 1e-10 * Math.max(1e-300, maxAbs(m));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(m[i][j] - m[j][i]) > tol) {
        throw new Error(
          `${where}: ${name} must be symmetric, but [${i}][${j}] = ${m[i][j]} and [${j}][${i}] = ${m[j][i]}`,
        );
      }
    }
  }
  return n;
}

/** The (n, n) identity. */
export function identity(n: number): Matrix {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

/** A (rows, cols) matrix of zeros. */
export function zeros(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

/** @param a (r, c) @returns (c, r) */
export function transpose(a: Matrix): Matrix {
  const [r, c] = assertMatrix("transpose", "a", a);
  return Array.from({ length: c }, (_, j) => Array.from({ length: r }, (_, i) => a[i][j]));
}

/** @param a (n, k) @param b (k, m) @returns a·b (n, m) */
export function matmul(a: Matrix, b: Matrix): Matrix {
  const [n, k] = assertMatrix("matmul", "a", a);
  const [, m] = assertMatrix("matmul", "b", b, k, null);
  const out = zeros(n, m);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < k; l++) {
      const ail = a[i][l];
      if (ail === 0) continue; // block-structured matrices are mostly zeros
      const bl = b[l];
      const oi = out[i];
      for (let j = 0; j < m; j++) oi[j] += ail * bl[j];
    }
  }
  return out;
}

/** @param a (n, k) @param v (k) @returns a·v (n) */
export function matVec(a: Matrix, v: number[]): number[] {
  const [, k] = assertMatrix("matVec", "a", a);
  assertVector("matVec", "v", v, k);
  return a.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
}

/** xᵀ M x. @param m (n, n) @param x (n) */
export function quadForm(m: Matrix, x: number[]): number {
  const mx = matVec(m, x);
  return mx.reduce((s, y, i) => s + y * x[i], 0);
}

function elementwise(where: string, a: Matrix, b: Matrix, f: (x: number, y: number) => number): Matrix {
  const [r, c] = assertMatrix(where, "a", a);
  assertMatrix(where, "b", b, r, c);
  return a.map((row, i) => row.map((x, j) => f(x, b[i][j])));
}

/** a + b, both (r, c). */
export function add(a: Matrix, b: Matrix): Matrix {
  return elementwise("add", a, b, (x, y) => x + y);
}

/** a − b, both (r, c). */
export function sub(a: Matrix, b: Matrix): Matrix {
  return elementwise("sub", a, b, (x, y) => x - y);
}

/** s·a. */
export function scale(a: Matrix, s: number): Matrix {
  assertMatrix("scale", "a", a);
  return a.map((row) => row.map((x) => s * x));
}

/** (a + aᵀ)/2: removes the rounding asymmetry of products such as Aᵀ P A. */
export function symmetrize(a: Matrix): Matrix {
  assertSquare("symmetrize", "a", a);
  return a.map((row, i) => row.map((x, j) => 0.5 * (x + a[j][i])));
}

/** The largest absolute entry. */
export function maxAbs(a: Matrix): number {
  return a.reduce((m, row) => row.reduce((mm, x) => Math.max(mm, Math.abs(x)), m), 0);
}

/** The block-diagonal matrix with the given blocks on its diagonal. */
export function blockDiag(blocks: Matrix[]): Matrix {
  const shapes = blocks.map((b, i) => assertMatrix("blockDiag", `blocks[${i}]`, b));
  const out = zeros(
    shapes.reduce((s, [r]) => s + r, 0),
    shapes.reduce((s, [, c]) => s + c, 0),
  );
  let r0 = 0;
  let c0 = 0;
  blocks.forEach((b, k) => {
    b.forEach((row, i) => row.forEach((x, j) => (out[r0 + i][c0 + j] = x)));
    r0 += shapes[k][0];
    c0 += shapes[k][1];
  });
  return out;
}

/**
 * Solve a·x = b by LU factorisation with partial pivoting (Gaussian elimination that swaps
 * the largest remaining entry of each column onto the diagonal, which keeps it stable).
 * @param a (n, n) @param b (n, m) several right-hand sides at once
 * @returns x (n, m)
 */
export function solve(a: Matrix, b: Matrix): Matrix {
  const n = assertSquare("solve", "a", a);
  assertMatrix("solve", "b", b, n, null);
  const lu = a.map((row) => row.slice());
  const x = b.map((row) => row.slice());
  const tiny = n * EPS * maxAbs(a);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(lu[i][k]) > Math.abs(lu[p][k])) p = i;
    if (!(Math.abs(lu[p][k]) > tiny)) {
      throw new Error(`solve: a is singular to working precision (no usable pivot in column ${k})`);
    }
    [lu[k], lu[p]] = [lu[p], lu[k]];
    [x[k], x[p]] = [x[p], x[k]];
    for (let i = k + 1; i < n; i++) {
      const f = lu[i][k] / lu[k][k];
      for (let j = k + 1; j < n; j++) lu[i][j] -= f * lu[k][j];
      x[i].forEach((_, j) => (x[i][j] -= f * x[k][j]));
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    x[k].forEach((_, j) => {
      let s = x[k][j];
      for (let l = k + 1; l < n; l++) s -= lu[k][l] * x[l][j];
      x[k][j] = s / lu[k][k];
    });
  }
  return x;
}

/** a⁻¹ for a square, non-singular a (n, n). */
export function inverse(a: Matrix): Matrix {
  const n = assertSquare("inverse", "a", a);
  return solve(a, identity(n));
}

/**
 * Eigenvalues of a symmetric matrix by the cyclic Jacobi method: plane rotations zero one
 * off-diagonal pair at a time; the off-diagonal mass shrinks quadratically, and the diagonal
 * converges to the eigenvalues with absolute error about eps·‖a‖.
 * @param a (n, n) symmetric
 * @returns the n eigenvalues in ascending order
 */
export function symmetricEigenvalues(a: Matrix): number[] {
  const n = assertSymmetric("symmetricEigenvalues", "a", a);
  const m = symmetrize(a);
  const frob = Math.sqrt(m.reduce((s, row) => row.reduce((ss, x) => ss + x * x, s), 0));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p][q] * m[p][q];
    if (Math.sqrt(off) <= 1e-18 * frob) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) if (m[p][q] !== 0) rotate(m, p, q);
    }
  }
  return m.map((row, i) => row[i]).sort((x, y) => x - y);
}

/** One Jacobi rotation in the (p, q) plane that zeroes m[p][q], applied in place. */
function rotate(m: Matrix, p: number, q: number): void {
  const apq = m[p][q];
  const theta = (m[q][q] - m[p][p]) / (2 * apq);
  // The smaller root of t² + 2θt − 1 = 0 keeps the rotation angle below π/4 (stable).
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < m.length; k++) {
    if (k === p || k === q) continue;
    const akp = m[k][p];
    const akq = m[k][q];
    m[k][p] = m[p][k] = c * akp - s * akq;
    m[k][q] = m[q][k] = s * akp + c * akq;
  }
  m[p][p] -= t * apq;
  m[q][q] += t * apq;
  m[p][q] = m[q][p] = 0;
}

/**
 * Condition number λ_max/λ_min of a symmetric positive (semi-)definite matrix.
 * Eigenvalues below n·eps·λ_max cannot be told from zero in float64, so such a matrix is
 * reported as `Infinity` (numerically singular) rather than with a meaningless ratio.
 * @param a (n, n) symmetric positive semi-definite
 */
export function spdConditionNumber(a: Matrix): number {
  const ev = symmetricEigenvalues(a);
  const lo = ev[0];
  const hi = ev[ev.length - 1];
  const tol = 10 * ev.length * EPS * Math.max(Math.abs(lo), Math.abs(hi));
  if (!(hi > 0) || lo < -tol) {
    throw new Error(`spdConditionNumber: a must be positive semi-definite, but its eigenvalues span [${lo}, ${hi}]`);
  }
  return lo <= tol ? Infinity : hi / lo;
}

/**
 * Spectral radius max|λ| of a general square matrix, from Gelfand's formula
 * ρ(a) = lim ‖a^k‖^{1/k}, with k = 2⁶⁴ reached by 64 normalised squarings (log-scale, so
 * nothing overflows). Rounding limits it to a relative ~1e-10 (less for ill-conditioned
 * eigenvectors), plenty to decide whether a closed loop A − BK is stable (ρ < 1).
 * @param a (n, n)
 */
export function spectralRadius(a: Matrix): number {
  assertSquare("spectralRadius", "a", a);
  let m = a;
  let logRho = 0; // Σ_j 2^{−j} log n_j, where a^{2^j} = (Π scale) · m_j and n_j = ‖m_j‖_F
  let weight = 1;
  for (let j = 0; j < 64; j++) {
    const norm = Math.sqrt(m.reduce((s, row) => row.reduce((ss, x) => ss + x * x, s), 0));
    if (norm === 0) return 0; // nilpotent: some power vanished exactly
    logRho += weight * Math.log(norm);
    const unit = scale(m, 1 / norm);
    m = matmul(unit, unit);
    weight /= 2;
  }
  return Math.exp(logRho);
}
