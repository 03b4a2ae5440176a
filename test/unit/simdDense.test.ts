/**
 * The dense-layer kernel of big forward passes (src/models/fast/simdDense.ts), against
 * independent answers: a plain float64 loop for the layers, Math.exp for σ, and the readable
 * reference model for a whole `DynamicsModel.step` that runs on it.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/backend";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import { denseModule, denseModules, denseRunner } from "../../src/models/fast/simdDense";
import { Normalizer } from "../../src/models/normalizer";
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
