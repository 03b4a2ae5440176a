/**
 * The dense-layer kernel of big forward passes (src/models/fast/simdDense.ts), against
 * independent answers: a plain float64 loop for the layers, Math.exp for σ, and the readable
 * reference model for a whole `DynamicsModel.step` that runs on it.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/backend";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import {
  TIMES_SLOPE,
  denseModule,
  denseModules,
  denseRunner,
  plainKernel,
  xnnSigmoid,
  type Kernel,
} from "../../src/models/fast/simdDense";
import { Normalizer } from "../../src/models/normalizer";
import { MLP } from "../../src/models/mlp";
import { readFlat } from "../../src/flatAdam";
import { mseGradients } from "../../src/models/fast/mseGradients";
import { backwardMember, forwardMember, memberWeights, weightGradients } from "../../src/models/fast/mlpPasses";
import { referenceStep } from "../../src/models/reference";
import { Rng } from "../../src/random";

beforeAll(async () => {
  await initBackend("wasm");
});

// The module's two versions: with fused multiply-adds (relaxed SIMD) and without.
const modules = denseModules();

/** Layers of these sizes with weights and biases in [−scale, scale), and `rows` inputs in [−1, 1). */
function problem(rows: number, sizes: number[], seed: number, scale = 0.5) {
  const rng = new Rng(seed);
  const draw = (n: number, s: number) => Float32Array.from(rng.uniformArray(n), (u) => s * (2 * u - 1));
  const a = sizes.slice(1).map((out, l) => draw(sizes[l] * out, scale));
  const c = sizes.slice(1).map((out) => draw(out, scale));
  return { a, c, x: draw(rows * sizes[0], 1) };
}

/** The same layers in float64: σ on every layer but the last. */
function plainForward(a: Float32Array[], c: Float32Array[], x: Float32Array, rows: number): number[][] {
  let h = Array.from({ length: rows }, (_, r) =>
    Array.from(x.subarray((r * x.length) / rows, ((r + 1) * x.length) / rows)),
  );
  a.forEach((al, l) => {
    const out = c[l].length;
    const K = al.length / out;
    h = h.map((row) =>
      Array.from({ length: out }, (_, j) => {
        let z = c[l][j];
        for (let k = 0; k < K; k++) z += row[k] * al[k * out + j];
        return l < a.length - 1 ? 1 / (1 + Math.exp(-z)) : z;
      }),
    );
  });
  return h;
}

describe("simdDense: the module the library picks", () => {
  it("is the fused one on this Node (its relaxed SIMD turned on where it is behind a flag)", () => {
    expect(modules.fused).toBeDefined();
    expect(denseModule()).toEqual(modules.fused);
    expect(modules.plain).not.toEqual(modules.fused);
  });

  it("is the same function either way: fused and plain agree to float32 rounding, and differ in it", () => {
    const rows = 64;
    const { a, c, x } = problem(rows, [23, 250, 250, 17], 9);
    const [fused, plain] = [modules.fused, modules.plain].map((m) => {
      const r = denseRunner(m as Uint8Array);
      return r.forward(r.pack(a, c), x, rows);
    });
    fused.forEach((v, i) => expect(Math.abs(v - plain[i])).toBeLessThan(2e-5 * (1 + Math.abs(v))));
    expect(Array.from(fused)).not.toEqual(Array.from(plain));
  });
});

describe("simdDense's plain module: tfjs-backend-wasm's numbers, bit for bit", () => {
  const runner = denseRunner(modules.plain);

  it("σ is tfjs's σ (XNNPACK's), bit for bit, in the module and in JavaScript", () => {
    // 200,000 inputs over the range where σ is neither 0 nor 1 in float32, and far beyond it.
    const rng = new Rng(3);
    const z = Float32Array.from(rng.uniformArray(200_000), (u, i) => (2 * u - 1) * (i % 2 === 0 ? 20 : 120));
    const theirs = tf.tidy(() => tf.sigmoid(tf.tensor1d(z)).dataSync());
    // One hidden unit σ(z), then the identity: y = σ(z).
    const p = runner.pack(
      [new Float32Array([1]), new Float32Array([1])],
      [new Float32Array([0]), new Float32Array([0])],
    );
    const mismatches = (ours: ArrayLike<number>) => Array.from(ours).filter((v, i) => v !== theirs[i]).length;
    expect(mismatches(runner.forward(p, z, z.length))).toBe(0);
    expect(mismatches(Array.from(z, xnnSigmoid))).toBe(0);
  });

  it.each([
    [256, 64, 64],
    [256, 4, 64],
    [256, 64, 3],
    [37, 23, 250],
    [5, 1, 9],
  ])("a [%i, %i] × [%i] layer is tf.fused.matMul's, bit for bit, with σ and without", (rows, K, n) => {
    const { a, c, x } = problem(rows, [K, n], rows + K + n, 1);
    for (const activation of ["linear", "sigmoid"] as const) {
      const theirs = tf.tidy(() =>
        tf.fused
          .matMul({ a: tf.tensor2d(x, [rows, K]), b: tf.tensor2d(a[0], [K, n]), bias: tf.tensor1d(c[0]), activation })
          .dataSync(),
      );
      const ours = runner.product(x, rows, a[0], n, c[0], activation === "sigmoid");
      expect(Array.from(ours)).toEqual(Array.from(theirs));
    }
  });

  it("its JavaScript stand-in (plainKernel) gives the same bits, in every mode, with strides", () => {
    // x read transposed (xs = 4 bytes, xk = a row), A a row-major matrix (bp = 32, bk = a row);
    // then the same product times u(1 − u) of a saved σ output u, laid out as the result.
    const [rows, K, n] = [12, 9, 16];
    const rng = new Rng(8);
    const draw = (count: number, lo: number) => Float32Array.from(rng.uniformArray(count), (v) => lo + (1 - lo) * v);
    const [x, a, c, u] = [draw(K * rows + 4, -1), draw(K * n + 8, -1), draw(n, -1), draw(rows * n, 0)];
    const [X, A, C, U, Y, YU] = [0, 512, 1024, 1536, 2048, 3072]; // where each lies, in floats
    const run = (k: Kernel) => {
      const f = k.room(4096);
      [x, a, c, u].forEach((v, i) => f.set(v, [X, A, C, U][i]));
      k.dense(4 * X, 4, 4 * rows, 4 * A, 32, 4 * n, 4 * Y, rows, K, n / 8, 4 * C, 0, 0);
      k.dense(4 * X, 4, 4 * rows, 4 * A, 32, 4 * n, 4 * YU, rows, K, n / 8, 4 * C, TIMES_SLOPE, 4 * U);
      return { y: f.slice(Y, Y + rows * n), yu: f.slice(YU, YU + rows * n) };
    };
    const [simd, js] = [run(denseRunner(modules.plain)), run(plainKernel())];
    expect(Array.from(simd.y)).toEqual(Array.from(js.y));
    expect(Array.from(simd.yu)).toEqual(Array.from(js.yu));
    // The product is xᵀA + c, and the slope mode multiplies it by u(1 − u), each a float32 operation.
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let z = c[j];
        for (let k = 0; k < K; k++) z = Math.fround(z + Math.fround(x[k * rows + r] * a[k * n + j]));
        const v = u[r * n + j];
        expect(simd.y[r * n + j]).toBe(z);
        expect(simd.yu[r * n + j]).toBe(Math.fround(z * Math.fround(v * Math.fround(1 - v))));
      }
    }
  });

  it("sums over rows (uᵀg and 1ᵀg) as a plain loop in row order does", () => {
    const [rows, i, o] = [301, 5, 3];
    const rng = new Rng(4);
    const u = Float32Array.from(rng.uniformArray(rows * i), (v) => 2 * v - 1);
    const g = Float32Array.from(rng.uniformArray(rows * o), (v) => 2 * v - 1);
    const { uTg, sums } = runner.sumsOverRows(u, g, rows, i, o);
    for (let k = 0; k < i; k++) {
      for (let j = 0; j < o; j++) {
        let want = 0;
        for (let r = 0; r < rows; r++) want = Math.fround(want + Math.fround(u[r * i + k] * g[r * o + j]));
        expect(uTg[k * o + j]).toBe(want);
      }
    }
    for (let j = 0; j < o; j++) {
      let want = 0;
      for (let r = 0; r < rows; r++) want = Math.fround(want + g[r * o + j]);
      expect(sums[j]).toBe(want);
    }
  });
});

describe("model fitting's gradient on the kernel", () => {
  it("is mlpPasses' on tfjs-wasm's kernels, bit for bit: loss and every parameter's gradient", () => {
    // What keeps fitted models, and so the notebooks' numbers, as they were on tfjs's kernels.
    const [sizes, members, N] = [[5, 10, 7, 2], 2, 9];
    const rng = new Rng(12);
    const net = new MLP(sizes, rng, { members });
    net.setFlat(rng.normalArray(net.parameterCount(), 0, 0.5));
    const [inW, out] = [sizes[0], sizes[sizes.length - 1]];
    const x = Float32Array.from(rng.normalArray(members * N * inW));
    const y = Float32Array.from(rng.normalArray(members * N * out));
    const ours = mseGradients(sizes, members, readFlat(net.variables()), x, y);
    const theirs = tf.tidy(() => {
      const member = (t: tf.Tensor, m: number) => t.slice([m, 0, 0], [1, -1, -1]) as tf.Tensor3D;
      const runs = Array.from({ length: members }, (_, m) => {
        const p = memberWeights(
          net.weights.map((w) => member(w, m)),
          net.biases.map((b) => member(b, m)),
          [],
        );
        const rows = (v: Float32Array, width: number) =>
          tf.tensor3d(v.subarray(m * N * width, (m + 1) * N * width), [1, N, width]);
        const { out: prediction, inputs } = forwardMember(rows(x, inW), p);
        const error = tf.sub(prediction, rows(y, out));
        const { g } = backwardMember(tf.mul(error, 2 / (N * out)), inputs, p.back);
        return { loss: tf.sum(tf.square(error)), ...weightGradients(inputs, g) };
      });
      const loss = tf.mul(tf.addN(runs.map((r) => r.loss)), 1 / (N * out)).dataSync()[0];
      const grad = net.weights.flatMap((_, l) =>
        (["dw", "db"] as const).flatMap((k) => runs.flatMap((r) => Array.from(r[k][l].dataSync()))),
      );
      return { loss, grad };
    });
    expect(ours.loss).toBe(theirs.loss);
    expect(Array.from(ours.grad)).toEqual(theirs.grad);
    net.dispose();
  });
});

describe.each([
  ["fused", modules.fused],
  ["plain", modules.plain],
])("simdDense (%s): the kernel of big forward passes", (_, module) => {
  const runner = denseRunner(module as Uint8Array);

  it("computes σ-layers as a plain float64 loop does, to float32 rounding, whatever the rows and widths", () => {
    // Rows not a multiple of the kernel's four, widths not a multiple of its eight, one layer or three.
    const cases: [number, number[]][] = [
      [1, [3, 5, 2]],
      [5, [1, 1]],
      [7, [23, 250, 250, 17]],
      [13, [4, 9, 8, 3]],
      [64, [6, 16, 7]],
    ];
    for (const [rows, sizes] of cases) {
      const { a, c, x } = problem(rows, sizes, rows);
      const y = runner.forward(runner.pack(a, c), x, rows);
      const want = plainForward(a, c, x, rows);
      const out = sizes[sizes.length - 1];
      expect(y).toHaveLength(rows * out);
      // Each output is a sum of up to 250 products of size ≤ 0.5: float32's rounding allows
      // about 1e-5 of the sum of their magnitudes.
      want.forEach((row, r) => row.forEach((v, j) => expect(Math.abs(y[r * out + j] - v)).toBeLessThan(2e-5)));
    }
  });

  it("computes σ within a few float32 ulp of 1 / (1 + e^−z), and saturates far out", () => {
    const z = Float32Array.from({ length: 4001 }, (_, i) => -100 + 0.05 * i);
    // One hidden unit σ(z), then the identity: y = σ(z).
    const p = runner.pack(
      [new Float32Array([1]), new Float32Array([1])],
      [new Float32Array([0]), new Float32Array([0])],
    );
    const y = runner.forward(p, z, z.length);
    let worstUlps = 0;
    z.forEach((zi, i) => {
      const exact = 1 / (1 + Math.exp(-zi));
      if (exact < 1e-30) return expect(y[i]).toBeLessThan(1e-30);
      const ulp = 2 ** (Math.floor(Math.log2(exact)) - 23);
      worstUlps = Math.max(worstUlps, Math.abs(y[i] - exact) / ulp);
    });
    expect(worstUlps).toBeLessThan(4);
    expect(y[z.length - 1]).toBe(1);
  });

  it("gives each row the same numbers however the rows are cut (what the worker's split relies on)", () => {
    const rows = 37;
    const sizes = [23, 250, 250, 17];
    const { a, c, x } = problem(rows, sizes, 5);
    const p = runner.pack(a, c);
    const whole = runner.forward(p, x, rows);
    const [cut, inCols] = [19, sizes[0]];
    const parts = [
      runner.forward(p, x.subarray(0, cut * inCols), cut),
      runner.forward(p, x.subarray(cut * inCols), rows - cut),
    ];
    expect(Array.from(whole)).toEqual([...parts[0], ...parts[1]]);
  });
});

describe("simdDense: DynamicsModel.step on the kernel", () => {
  it("runs DynamicsModel.step's big batches: the reference model's numbers, to float32 rounding", () => {
    // 3 members of [7 → 128 → 128 → 5], 1001 rows each: over the big-pass threshold.
    const [S, A, M, rows] = [5, 2, 3, 1001];
    const rng = new Rng(21);
    const model = new DynamicsModel(S, A, rng.split(), { hiddenSizes: [128, 128], members: M });
    model.setNormalization(
      new Normalizer(
        rng.normalArray(S + A, 1),
        Array.from(rng.uniformArray(S + A), (u) => 0.5 + u),
      ),
      new Normalizer(
        rng.normalArray(S),
        Array.from(rng.uniformArray(S), (u) => 0.5 + u),
      ),
    );
    const s = tf.tensor2d(rng.normalArray(M * rows * S), [M * rows, S]);
    const a = tf.tensor2d(rng.normalArray(M * rows * A), [M * rows, A]);
    try {
      const [fast, reference] = [model.step(s, a), referenceStep(model, s, a)];
      const [y, want] = [fast.dataSync(), reference.dataSync()];
      // The same step while a gradient is recorded runs on tfjs's kernels instead.
      let taped: ArrayLike<number> = [];
      const grad = tf.grad((x: tf.Tensor) => {
        const next = model.step(x as tf.Tensor2D, a);
        taped = next.dataSync();
        return next.sum();
      })(s);
      tf.dispose([fast, reference, grad]);
      const worst = (got: ArrayLike<number>) =>
        Math.max(...Array.from(want, (v, i) => Math.abs(got[i] - v) / (1 + Math.abs(v))));
      expect(worst(y)).toBeLessThan(1e-5);
      expect(worst(taped)).toBeLessThan(1e-5);
      expect(Array.from(y)).not.toEqual(Array.from(taped)); // two kernels: another summation order and σ
    } finally {
      tf.dispose([s, a]);
      model.dispose();
    }
  });
});
