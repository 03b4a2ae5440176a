import { describe, it, expect } from "vitest";
import { Rng } from "../../src/random";
import { randomMatrix } from "./helpers";
import {
  Matrix,
  add,
  assertVector,
  blockDiag,
  identity,
  inverse,
  matVec,
  matmul,
  maxAbs,
  quadForm,
  scale,
  solve,
  spdConditionNumber,
  spectralRadius,
  sub,
  symmetricEigenvalues,
  transpose,
} from "../../src/linalg";

/** An orthogonal matrix from Gram-Schmidt on random columns. */
function randomOrthogonal(rng: Rng, n: number): Matrix {
  const cols: number[][] = [];
  for (let k = 0; k < n; k++) {
    let v = Array.from({ length: n }, () => rng.normal());
    for (const q of cols) {
      const d = v.reduce((s, x, i) => s + x * q[i], 0);
      v = v.map((x, i) => x - d * q[i]);
    }
    const norm = Math.hypot(...v);
    cols.push(v.map((x) => x / norm));
  }
  return transpose(cols);
}

describe("solve and inverse", () => {
  it("solves a hand-made 3x3 system whose answer is known", () => {
    // a·[1, 2, 3] = [2+2+3, 1+6+6, 1+0+0]
    const a = [
      [2, 1, 1],
      [1, 3, 2],
      [1, 0, 0],
    ];
    const x = solve(a, [[7], [13], [1]]);
    x.forEach((row, i) => expect(row[0]).toBeCloseTo(i + 1, 12));
  });

  it("needs pivoting: a zero in the top-left corner", () => {
    expect(
      solve(
        [
          [0, 1],
          [1, 0],
        ],
        [[3], [5]],
      ),
    ).toEqual([[5], [3]]);
  });

  it("inverts a 2x2 matrix like the closed form (1/det)[[d, -b], [-c, a]]", () => {
    const [a, b, c, d] = [3, -2, 5, 4];
    const det = a * d - b * c;
    const inv = inverse([
      [a, b],
      [c, d],
    ]);
    const expected = [
      [d / det, -b / det],
      [-c / det, a / det],
    ];
    expect(maxAbs(sub(inv, expected))).toBeLessThan(1e-15);
  });

  it("A·A⁻¹ = I and A·solve(A, B) = B on random matrices", () => {
    const rng = new Rng(1);
    for (const n of [1, 2, 3, 5, 8]) {
      const a = randomMatrix(rng, n, n);
      expect(maxAbs(sub(matmul(a, inverse(a)), identity(n)))).toBeLessThan(1e-10);
      const b = randomMatrix(rng, n, 3);
      expect(maxAbs(sub(matmul(a, solve(a, b)), b))).toBeLessThan(1e-10);
    }
  });

  it("rejects a singular matrix", () => {
    expect(() =>
      solve(
        [
          [1, 2],
          [2, 4],
        ],
        [[1], [1]],
      ),
    ).toThrow(/solve: a is singular/);
  });
});

describe("symmetric eigenvalues (Jacobi)", () => {
  it("match the 2x2 closed form (a+d)/2 ± sqrt(((a−d)/2)² + b²)", () => {
    const [a, b, d] = [2, -1.5, 0.5];
    const mid = (a + d) / 2;
    const rad = Math.sqrt(((a - d) / 2) ** 2 + b * b);
    const ev = symmetricEigenvalues([
      [a, b],
      [b, d],
    ]);
    expect(ev[0]).toBeCloseTo(mid - rad, 14);
    expect(ev[1]).toBeCloseTo(mid + rad, 14);
  });

  it("recover the spectrum of V·diag(λ)·Vᵀ for random orthogonal V", () => {
    const rng = new Rng(2);
    for (const n of [3, 6, 12]) {
      const lambda = Array.from({ length: n }, () => 10 * rng.normal()).sort((x, y) => x - y);
      const v = randomOrthogonal(rng, n);
      const m = matmul(
        matmul(
          v,
          lambda.map((l, i) => lambda.map((_, j) => (i === j ? l : 0))),
        ),
        transpose(v),
      );
      const sym = m.map((row, i) => row.map((x, j) => 0.5 * (x + m[j][i])));
      const ev = symmetricEigenvalues(sym);
      ev.forEach((e, i) => expect(Math.abs(e - lambda[i])).toBeLessThan(1e-11));
    }
  });

  it("rejects a non-symmetric matrix, naming the argument", () => {
    expect(() =>
      symmetricEigenvalues([
        [1, 2],
        [0, 1],
      ]),
    ).toThrow(/symmetricEigenvalues: a must be symmetric/);
  });

  it("condition number: diag(1, 4, 9) gives 9; a singular PSD matrix gives Infinity; indefinite throws", () => {
    expect(
      spdConditionNumber([
        [4, 0, 0],
        [0, 1, 0],
        [0, 0, 9],
      ]),
    ).toBeCloseTo(9, 13);
    expect(
      spdConditionNumber([
        [1, 1],
        [1, 1],
      ]),
    ).toBe(Infinity);
    expect(() =>
      spdConditionNumber([
        [1, 0],
        [0, -1],
      ]),
    ).toThrow(/positive semi-definite/);
  });
});

describe("spectral radius", () => {
  it("of s·rotation(θ) is s (complex pair of modulus s)", () => {
    for (const [s, th] of [
      [0.9, 0.3],
      [1.3, 2.0],
      [0.2, Math.PI / 2],
    ]) {
      const m = [
        [s * Math.cos(th), -s * Math.sin(th)],
        [s * Math.sin(th), s * Math.cos(th)],
      ];
      expect(Math.abs(spectralRadius(m) / s - 1)).toBeLessThan(1e-12);
    }
  });

  it("of a Jordan block is its eigenvalue, and of a nilpotent matrix is 0", () => {
    expect(
      Math.abs(
        spectralRadius([
          [0.5, 1],
          [0, 0.5],
        ]) - 0.5,
      ),
    ).toBeLessThan(1e-12);
    expect(
      Math.abs(
        spectralRadius([
          [-0.7, 3, 1],
          [0, -0.7, 2],
          [0, 0, 0.1],
        ]) - 0.7,
      ),
    ).toBeLessThan(1e-12);
    expect(
      spectralRadius([
        [0, 1],
        [0, 0],
      ]),
    ).toBe(0);
  });

  it("of random 2x2 matrices matches the roots of λ² − tr·λ + det", () => {
    const rng = new Rng(3);
    for (let k = 0; k < 50; k++) {
      const m = randomMatrix(rng, 2, 2);
      const tr = m[0][0] + m[1][1];
      const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
      const disc = tr * tr - 4 * det;
      const rho = disc >= 0 ? (Math.abs(tr) + Math.sqrt(disc)) / 2 : Math.sqrt(det);
      expect(Math.abs(spectralRadius(m) / rho - 1)).toBeLessThan(1e-10);
    }
  });

  it("of W·diag(λ)·W⁻¹ (non-normal) is max|λ|, and of symmetric matrices is max|eig|", () => {
    const rng = new Rng(4);
    for (let k = 0; k < 20; k++) {
      const lambda = [rng.normal(), rng.normal(), rng.normal()];
      const w = randomMatrix(rng, 3, 3);
      const m = matmul(
        matmul(
          w,
          lambda.map((l, i) => lambda.map((_, j) => (i === j ? l : 0))),
        ),
        inverse(w),
      );
      const rho = Math.max(...lambda.map(Math.abs));
      expect(Math.abs(spectralRadius(m) / rho - 1)).toBeLessThan(1e-8);
      const g = randomMatrix(rng, 4, 4);
      const sym = add(g, transpose(g));
      const ev = symmetricEigenvalues(sym);
      expect(Math.abs(spectralRadius(sym) / Math.max(-ev[0], ev[3]) - 1)).toBeLessThan(1e-10);
    }
  });
});

describe("small helpers and shape errors", () => {
  it("matmul, matVec, quadForm, transpose and blockDiag agree with hand computation", () => {
    const a = [
      [1, 2],
      [3, 4],
      [5, 6],
    ];
    expect(matmul(transpose(a), a)).toEqual([
      [35, 44],
      [44, 56],
    ]);
    expect(matVec(a, [1, -1])).toEqual([-1, -1, -1]);
    expect(
      quadForm(
        [
          [2, 1],
          [1, 3],
        ],
        [1, 2],
      ),
    ).toBe(2 + 4 + 12);
    expect(blockDiag([[[1]], [[2, 3]]])).toEqual([
      [1, 0, 0],
      [0, 2, 3],
    ]);
    expect(scale(identity(2), 3)).toEqual([
      [3, 0],
      [0, 3],
    ]);
  });

  it("errors name the function and the argument", () => {
    expect(() => matmul([[1, 2]], [[1, 2]])).toThrow(/matmul: b must have shape \[2, \*\], got \[1, 2\]/);
    expect(() => add([[1]], [[1, 2]])).toThrow(/add: b must have shape \[1, 1\]/);
    expect(() => solve([[1, 2]], [[1]])).toThrow(/solve: a must be square, got \[1, 2\]/);
    expect(() => solve([[1]], [[1], [2]])).toThrow(/solve: b must have shape \[1, \*\], got \[2, 1\]/);
    expect(() => inverse([[1, 2], [3]])).toThrow(/inverse: a must have rows of equal length/);
    expect(() => transpose([[1, NaN]])).toThrow(/transpose: a must be finite, but entry \[0\]\[1\] is NaN/);
    expect(() => matVec([[1, 2]], [1])).toThrow(/matVec: v must be a number\[\] of length 2/);
    expect(() => assertVector("f", "x0", [1, Infinity])).toThrow(/f: x0 must be finite/);
    expect(() =>
      spectralRadius([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ).toThrow(/spectralRadius: a must be square/);
  });
});
