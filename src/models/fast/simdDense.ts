/**
 * A dense-layer kernel on WebAssembly SIMD, in a module the library assembles from bytes
 * (denseAssembly.ts): the products of big forward passes (rowWorker.ts), of model fitting's
 * minibatch gradient (mseGradients.ts) and of BPTT's adjoint recursion (control/adjoint.ts).
 *
 * Why. A CEM plan through a learned ensemble is bound by its matrix products (README, "The floor
 * of `mpc-cem`"). tfjs-backend-wasm runs them with XNNPACK's SIMD128 kernel: a [1000, 250] ×
 * [250, 250] layer at 23–25 GFLOP/s on this project's machines. The plain register-blocked kernel
 * below, four rows by eight columns held in eight SIMD registers, runs it at 31–32 GFLOP/s, and
 * faster with fused multiply-adds (`denseModule`). Fitting's products are small, and there the
 * gain is in calling one function on arrays in place of tfjs's kernels and their fixed costs.
 *
 * The kernel. `dense(…)` (its arguments: `KernelFunction`) computes, for each row r and output
 * column j,
 *
 *   y[r, j] = σ?(c_j + Σ_k x[r, k] · A[k, j])        (σ only if `hidden`)
 *
 * with A in panels of eight columns (packed, [panel][k][8], zero past the last column; or any
 * matrix read with strides), the sum taken in increasing k in float32, started from the bias c,
 * each step a multiply and an add, or one fused multiply-add where the engine has them. σ is
 * XNNPACK's (`SIGMOID` in denseAssembly.ts). That is the order, the rounding and the σ of
 * tfjs-backend-wasm's fused product (XNNPACK's GEMM, then its σ), so the plain module's numbers
 * are tfjs-wasm's, bit for bit (test/unit/simdDense.test.ts); the fused module's differ in the
 * last bits. The rows are independent, so a row's numbers are the same whichever thread, and
 * however many rows, it is computed with.
 *
 * The layers are those of `mlpPasses` (u_l = σ(u_{l−1} A_l + c_l), the last one without σ). The
 * hidden widths are padded to a multiple of eight columns; the padded columns hold σ(0) and meet
 * zero rows of the next layer's packed A.
 *
 * `denseRunner` is self-contained (it uses only its argument and globals), so that the row
 * worker runs the very same code from its source text (rowWorker.ts).
 */

import { nodeRequire } from "../../backend";
import { LINEAR, SIGMA, TIMES_SLOPE, assemble, xnnSigmoid } from "./denseAssembly";

export { LINEAR, SIGMA, TIMES_SLOPE, xnnSigmoid };

/** A member's layers, packed for the kernel (`denseRunner().pack`). */
export interface PackedLayers {
  /** Per layer: A packed in panels of eight columns, the bias padded alike, and the sizes. */
  layers: { packed: Float32Array; bias: Float32Array; inputs: number; outputs: number; hidden: boolean }[];
}

/**
 * The kernel's module, as bytes (chosen once): with fused multiply-adds where this engine has
 * them, else with a multiply and an add.
 *
 * Why fused: the product loop is bound by its multiply-adds, and one fused instruction per step
 * instead of two took `mpc-cem`'s plan from 0.99–1.06 s to 0.78–0.87 s (README, "Native speed"). The
 * instruction is relaxed SIMD's `f32x4.relaxed_madd`, which an engine may compute fused or not,
 * the same way every time on one machine (V8 on x86-64 with FMA3: fused). Node 20's V8 (11.3)
 * has relaxed SIMD complete but behind a flag, which V8 11.4 (Node 22) turned on by default; so
 * on Node, when the fused module does not validate, the flag is turned on before asking again.
 * Everything else (tfjs's own wasm module, say) is unaffected: it only allows the instructions.
 */
let chosen: Uint8Array | undefined;
export function denseModule(): Uint8Array {
  if (chosen === undefined) {
    const { fused, plain } = denseModules();
    chosen = fused ?? plain;
  }
  return chosen;
}

/** Both versions of the module: fused (undefined where the engine has no relaxed SIMD) and plain. */
export function denseModules(): { fused: Uint8Array | undefined; plain: Uint8Array } {
  const fused = assemble(true);
  const wasm = (globalThis as unknown as { WebAssembly?: { validate(b: Uint8Array): boolean } }).WebAssembly;
  const validates = () => wasm?.validate(fused) === true;
  if (!validates()) allowRelaxedSimd();
  return { fused: validates() ? fused : undefined, plain: assemble(false) };
}

function allowRelaxedSimd(): void {
  if (typeof process === "undefined" || process.versions?.node === undefined) return;
  try {
    (nodeRequire("v8") as typeof import("v8")).setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    // Not Node's V8 after all: the plain module.
  }
}

/**
 * A thread's copy of the kernel, and what it does with it: pack a member's weights, and run a
 * forward pass through packed layers. Self-contained: see the module's comment.
 */
export function denseRunner(moduleBytes: Uint8Array) {
  type Exports = { memory: { buffer: ArrayBuffer; grow(pages: number): number }; dense: (...args: number[]) => void };
  const wasm = (
    globalThis as unknown as {
      WebAssembly: { Module: new (b: Uint8Array) => unknown; Instance: new (m: unknown) => { exports: Exports } };
    }
  ).WebAssembly;
  const { memory, dense } = new wasm.Instance(new wasm.Module(moduleBytes)).exports;
  const round8 = (n: number) => Math.ceil(n / 8) * 8;

  /** Rows of n floats, copied out of memory where they lie `width` apart from `at`. */
  const rowsOut = (f: Float32Array, at: number, rows: number, n: number, width: number): Float32Array => {
    if (width === n) return f.slice(at, at + rows * n);
    const y = new Float32Array(rows * n);
    for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < n; j++) y[i++] = f[at + r * width + j];
    return y;
  };

  /** Make room for `floats` floats of memory, and give it as a Float32Array. */
  const room = (floats: number): Float32Array => {
    const missing = floats * 4 - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    return new Float32Array(memory.buffer);
  };

  return {
    /** The kernel itself, on byte addresses in `room`'s memory (see the module's comment). */
    dense: dense as KernelFunction,
    room,

    /**
     * One member's layers for the kernel.
     * @param a per layer A_l (in_l × out_l, row-major), as in `MemberWeights.a`
     * @param c per layer c_l (out_l)
     * @param hidden per layer, whether σ is applied (the network's: all but the last)
     */
    pack(a: Float32Array[], c: Float32Array[], hidden = a.map((_, l) => l < a.length - 1)): PackedLayers {
      return {
        layers: a.map((al, l) => {
          const outputs = c[l].length;
          const inputs = al.length / outputs;
          // Rows of a hidden layer's input are its padded width: the padding's rows stay zero.
          const K = l === 0 ? inputs : round8(inputs);
          const panels = round8(outputs) / 8;
          const packed = new Float32Array(panels * K * 8);
          for (let k = 0; k < inputs; k++) {
            for (let j = 0; j < outputs; j++) packed[(((j >> 3) * K + k) << 3) + (j & 7)] = al[k * outputs + j];
          }
          const bias = new Float32Array(panels * 8);
          bias.set(c[l]);
          return { packed, bias, inputs: K, outputs, hidden: hidden[l] };
        }),
      };
    },

    /**
     * The member's output for `rows` rows of x (rows × in, row-major): (rows × out).
     */
    forward(p: PackedLayers, x: Float32Array, rows: number): Float32Array {
      const padded = Math.ceil(rows / 4) * 4; // the kernel takes four rows at a time
      // Memory: the packed layers, then x, then each layer's output, one after another.
      let size = 0;
      const at = (floats: number) => ((size += floats), size - floats);
      const places = p.layers.map((l) => ({ packed: at(l.packed.length), bias: at(l.bias.length) }));
      const inCols = p.layers[0].inputs;
      const input = at(padded * inCols);
      const outputs = p.layers.map((l) => at(padded * round8(l.outputs)));
      const f = room(size);
      p.layers.forEach((l, i) => {
        f.set(l.packed, places[i].packed);
        f.set(l.bias, places[i].bias);
      });
      f.set(x, input);
      f.fill(0, input + x.length, input + padded * inCols);
      const last = p.layers.length - 1;
      p.layers.forEach((l, i) => {
        const [from, ldx] = i === 0 ? [input, inCols] : [outputs[i - 1], round8(p.layers[i - 1].outputs)];
        const panels = round8(l.outputs) / 8;
        dense(
          4 * from,
          4 * ldx,
          4,
          4 * places[i].packed,
          32 * l.inputs,
          32,
          4 * outputs[i],
          padded,
          l.inputs,
          panels,
          4 * places[i].bias,
          l.hidden ? 1 : 0, // σ or linear (simdDense's SIGMA, LINEAR)
          0,
        );
      });
      const out = p.layers[last].outputs;
      return rowsOut(f, outputs[last], rows, out, round8(out));
    },

    /**
     * Back through one layer and the σ below it: (g·B) ⊙ u(1 − u), for g (rows × K), B packed by
     * `pack` (one layer, no σ, zero bias) and u (rows × its width) the σ's saved output.
     */
    backThrough(p: PackedLayers, g: Float32Array, rows: number, u: Float32Array): Float32Array {
      const [{ packed, inputs: K, outputs: n }] = p.layers;
      const [padded, width] = [Math.ceil(rows / 4) * 4, round8(n)];
      // Memory: B, a zero bias, g, u laid out as the output (rows of `width`), the output.
      const [gAt, uAt] = [packed.length + width, packed.length + width + padded * K];
      const out = uAt + padded * width;
      const f = room(out + padded * width);
      f.set(packed, 0);
      f.fill(0, packed.length, gAt);
      f.set(g, gAt);
      f.fill(0, gAt + g.length, uAt);
      if (width === n) f.set(u, uAt);
      else for (let r = 0; r < rows; r++) f.set(u.subarray(r * n, (r + 1) * n), uAt + r * width);
      const timesSlope = 2; // TIMES_SLOPE
      dense(4 * gAt, 4 * K, 4, 0, 32 * K, 32, 4 * out, padded, K, width / 8, 4 * packed.length, timesSlope, 4 * uAt);
      return rowsOut(f, out, rows, n, width);
    },

    /**
     * The sums over rows uᵀg (i × o) and 1ᵀg (o), for u (rows × i) and g (rows × o) row-major,
     * each in row order from zero: u and g are read where they lie, with strides.
     */
    sumsOverRows(
      u: Float32Array,
      g: Float32Array,
      rows: number,
      i: number,
      o: number,
    ): { uTg: Float32Array; sums: Float32Array } {
      const [iRows, width] = [Math.ceil(i / 4) * 4, round8(o)];
      // Memory: u and g, each with room for the columns read past their last row; then the
      // products' outputs, a zero bias and a 1 (which stands for every row of 1ᵀ).
      const [at, gAt] = [0, u.length + 4];
      const [out, sums] = [gAt + g.length + 8, gAt + g.length + 8 + iRows * width];
      const one = sums + 4 * width;
      const bias = one + 1;
      const f = room(bias + width);
      f.set(u, at);
      f.set(g, gAt);
      f.fill(0, bias, bias + width);
      f[one] = 1;
      dense(4 * at, 4, 4 * i, 4 * gAt, 32, 4 * o, 4 * out, iRows, rows, width / 8, 4 * bias, 0, 0);
      dense(4 * one, 0, 0, 4 * gAt, 32, 4 * o, 4 * sums, 4, rows, width / 8, 4 * bias, 0, 0);
      const uTg = rowsOut(f, out, i, o, width);
      return { uTg, sums: f.slice(sums, sums + o) };
    },

    /**
     * One layer of any sizes: σ?(c + x·A) for x (rows × K) and A (K × n), row-major.
     * @param c the bias (n), zero if none
     */
    product(x: Float32Array, rows: number, a: Float32Array, n: number, c?: Float32Array, hidden = false): Float32Array {
      return this.forward(this.pack([a], [c ?? new Float32Array(n)], [hidden]), x, rows);
    },
  };
}

/**
 * This thread's kernels, each made once; null where WebAssembly has no SIMD.
 * - `fastest`: fused multiply-adds where the engine has them (`denseModule`): big forward passes.
 * - `exact`: the plain module, whose every operation WebAssembly specifies exactly, so that its
 *   numbers are the same on every machine and engine, where relaxed SIMD lets an engine fuse or
 *   not: model fitting, whose numbers the notebooks print.
 */
const runners: { fastest?: DenseRunner | null; exact?: DenseRunner | null } = {};
export function denseKernel(kind: "fastest" | "exact" = "fastest"): DenseRunner | null {
  if (runners[kind] === undefined) {
    try {
      runners[kind] = denseRunner(kind === "fastest" ? denseModule() : denseModules().plain);
    } catch {
      runners[kind] = null;
    }
  }
  return runners[kind] ?? null;
}

export type DenseRunner = ReturnType<typeof denseRunner>;

/**
 * The kernel's function: `dense(x, xs, xk, packed, bp, bk, y, rows, K, panels, bias, mode, slope)`,
 * all addresses and steps in bytes. Row r of x starts at x + r·xs and its entry k is xk further
 * on; panel p of A starts at packed + p·bp and its row k is bk further on; y's rows are
 * 8·panels floats apart. So A may be a row-major matrix (bp = 32, bk = its row stride) and x a
 * transposed one (xs = 4, xk = its row stride): a product xᵀ·g needs no copy of either.
 */
export type KernelFunction = (
  x: number,
  xs: number,
  xk: number,
  packed: number,
  bp: number,
  bk: number,
  y: number,
  rows: number,
  K: number,
  panels: number,
  bias: number,
  mode: number,
  slope: number,
) => void;

/** The kernel and its memory: `room(floats)` makes room and gives the memory as floats. */
export interface Kernel {
  dense: KernelFunction;
  room(floats: number): Float32Array;
}

/**
 * The kernel's arithmetic as a JavaScript loop over a Float32Array for memory, for where
 * WebAssembly has no SIMD: the same sums in the same order, each rounded to float32, and the
 * same σ, so the same numbers as the plain module.
 */
export function plainKernel(): Kernel {
  let f = new Float32Array(0);
  const room = (floats: number) => {
    if (f.length < floats) {
      const grown = new Float32Array(floats);
      grown.set(f);
      f = grown;
    }
    return f;
  };
  const dense: KernelFunction = (x, xs, xk, packed, bp, bk, y, rows, K, panels, bias, mode, slope) => {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < 8 * panels; j++) {
        const column = (packed + (j >> 3) * bp) / 4 + (j & 7);
        let z = f[bias / 4 + j];
        for (let k = 0; k < K; k++) {
          z = Math.fround(z + Math.fround(f[(x + r * xs + k * xk) / 4] * f[column + (k * bk) / 4]));
        }
        const [to, u] = [y / 4 + r * 8 * panels + j, f[slope / 4 + r * 8 * panels + j]];
        if (mode === SIGMA) z = xnnSigmoid(z);
        if (mode === TIMES_SLOPE) z = Math.fround(z * Math.fround(u * Math.fround(1 - u)));
        f[to] = z;
      }
    }
  };
  return { dense, room };
}
