/**
 * tfjs kernels called directly, for code that owns every intermediate it makes: the adjoint
 * recursion of BPTT (control/adjoint.ts) makes thousands of small tensors and frees them all at
 * its end.
 *
 * Why: an op such as `tf.mul` runs its kernel inside the engine's bookkeeping (a scope per op,
 * a Tensor object tracked and counted, tape checks, saved inputs). For the (256, 64) tensors of a
 * BPTT step that bookkeeping costs about as much as the kernel; here a kernel's output is its
 * bare `TensorInfo` (data id, shape, dtype), remembered in a list and freed by `free()`. The
 * kernels are tfjs's own, registered for the active backend, so the numbers are those of the
 * same ops through the engine.
 */
import * as tf from "@tensorflow/tfjs";
import type { PassOps } from "./mlpPasses";

// The kernels' names, read once: each `tf.X` of a compiled namespace import is a getter call.
const {
  _FusedMatMul,
  Add,
  AddN,
  BatchMatMul,
  Concat,
  Multiply,
  RealDiv,
  Reshape,
  SplitV,
  Square,
  Sub,
  Sum,
  Tanh,
  Transpose,
} = tf;

/** One computation's kernels: make one, run the computation, then `free()` ends it. */
export class Kernels implements PassOps<tf.TensorInfo> {
  private readonly backend = tf.backend();
  private readonly backendName = tf.getBackend();
  /** The kernels by name, looked up once. */
  private readonly funcs = new Map<string, tf.KernelFunc>();
  private made: tf.TensorInfo[] = [];
  /** Scalars and tensors of ones, made once by value or shape. */
  private readonly constants = new Map<string, tf.TensorInfo>();

  /** Run a registered kernel of the active backend; its outputs are freed by `free()`. */
  run(name: string, inputs: tf.NamedTensorInfoMap | tf.TensorInfo[], attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const out = this.runAll(name, inputs, attrs);
    return out[0];
  }

  /** `run` for a kernel with several outputs. */
  runAll(name: string, inputs: tf.NamedTensorInfoMap | tf.TensorInfo[], attrs: tf.NamedAttrMap = {}): tf.TensorInfo[] {
    let kernelFunc = this.funcs.get(name);
    if (kernelFunc === undefined) {
      const kernel = tf.getKernel(name, this.backendName);
      if (kernel === undefined) throw new Error(`no ${name} kernel for the ${this.backendName} backend`);
      kernelFunc = kernel.kernelFunc;
      this.funcs.set(name, kernelFunc);
    }
    const out = kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs });
    const all = Array.isArray(out) ? out : [out];
    this.made.push(...all);
    return all;
  }

  dense(u: tf.TensorInfo, a: tf.TensorInfo, c: tf.TensorInfo, hidden: boolean): tf.TensorInfo {
    const attrs = {
      transposeA: false,
      transposeB: false,
      activation: hidden ? "sigmoid" : "linear",
      leakyreluAlpha: 0,
    };
    return this.run(_FusedMatMul, { a: u, b: a, bias: c }, attrs);
  }
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run(BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
  }
  mul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run(Multiply, { a, b });
  }
  add(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run(Add, { a, b });
  }
  sub(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run(Sub, { a, b });
  }
  div(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run(RealDiv, { a, b });
  }
  scale(a: tf.TensorInfo, k: number): tf.TensorInfo {
    return this.mul(a, this.scalar(k));
  }
  oneMinus(a: tf.TensorInfo): tf.TensorInfo {
    return this.sub(this.scalar(1), a);
  }
  sum(x: tf.TensorInfo, axis: number | null, keepDims: boolean): tf.TensorInfo {
    return this.run(Sum, { x }, { axis, keepDims } as unknown as tf.NamedAttrMap);
  }
  split(x: tf.TensorInfo, sizes: number[], axis: number): tf.TensorInfo[] {
    return this.runAll(SplitV, { x }, { numOrSizeSplits: sizes, axis });
  }
  ones(shape: number[]): tf.TensorInfo {
    return this.constant(`ones ${shape}`, () => tf.ones(shape));
  }
  addN(xs: tf.TensorInfo[]): tf.TensorInfo {
    return this.run(AddN, xs);
  }
  square(x: tf.TensorInfo): tf.TensorInfo {
    return this.run(Square, { x });
  }
  tanh(x: tf.TensorInfo): tf.TensorInfo {
    return this.run(Tanh, { x });
  }
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run(Reshape, { x }, { shape });
  }
  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run(Transpose, { x }, { perm });
  }
  concat(blocks: tf.TensorInfo[], axis: number): tf.TensorInfo {
    return blocks.length === 1 ? blocks[0] : this.run(Concat, blocks, { axis });
  }
  /**
   * Cut a tensor into `pieces` equal blocks of rows, as `tf.split(x, pieces)` does, from one read
   * of it: wasm's slice reads its whole input for every block.
   */
  splitRows(x: tf.Tensor, pieces: number): tf.TensorInfo[] {
    if (pieces === 1) return [x];
    const values = x.dataSync();
    const [rows, size] = [x.shape[0] / pieces, x.size / pieces];
    return Array.from({ length: pieces }, (_, i) =>
      this.hold(tf.tensor(values.subarray(i * size, (i + 1) * size), [rows, ...x.shape.slice(1)], x.dtype)),
    );
  }

  /** A float32 scalar, held until `free()`. */
  scalar(value: number): tf.TensorInfo {
    return this.constant(`scalar ${value}`, () => tf.scalar(value));
  }

  private constant(key: string, make: () => tf.Tensor): tf.TensorInfo {
    let c = this.constants.get(key);
    if (c === undefined) {
      c = this.hold(make());
      this.constants.set(key, c);
    }
    return c;
  }

  private hold(t: tf.Tensor): tf.Tensor {
    this.made.push(t);
    return t;
  }

  /**
   * An engine tensor for what a kernel made, for ordinary ops (and autodiff) to take over. It has
   * its own reference to the data: dispose it as usual; `free()` drops only this module's.
   */
  tensor<T extends tf.Tensor>(info: tf.TensorInfo): T {
    this.backend.incRef(info.dataId);
    return tf.engine().makeTensorFromTensorInfo(info) as T;
  }

  /** Free every output made so far (and the scalars). */
  free(): void {
    for (const info of this.made) {
      // Tensors made through the engine are disposed through it, kernels' outputs by the backend.
      if (info instanceof tf.Tensor) info.dispose();
      else this.backend.disposeData(info.dataId);
    }
    this.made = [];
    this.constants.clear();
  }
}
