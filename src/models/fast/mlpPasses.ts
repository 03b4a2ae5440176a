/**
 * The arithmetic of one tanh MLP (one ensemble member): its forward pass, and its backward
 * pass written by hand. Everything here is about speed on the default (wasm) backend; the
 * tensors are 3-d with a batch of 1, (1, N, d), as wasm's fast product kernel wants them.
 *
 * Forward. wasm's tanh is a scalar loop ~10x slower than its vectorised sigmoid, so hidden
 * units are computed as u = σ(2z) = (1 + tanh z)/2, i.e. tanh z = 2u − 1. Written in terms of
 * the previous layer's u, each layer is one product, one bias and (if hidden) one σ, which
 * wasm runs as ONE fused kernel:
 *
 *   u_l = σ(u_{l−1} A_l + c_l),   A_l = s_l t_l W_l,   c_l = t_l (b_l − [l > 1] Σ_rows W_l),
 *
 * with u_0 = x, s_l = 2 when the layer's input is a u (l > 1, from (2u − 1)W = u·2W − Σ_rows W)
 * and t_l = 2 when the layer is hidden (for the 2z); the output layer has no σ. A and c are
 * made from W and b once per weight change (see ensembleLayers).
 *
 * Backward. tfjs's autodiff would record every small op on its tape, keep copies of their
 * inputs and run one or more gradient kernels for each; for the small batches of BPTT and
 * model fitting that per-kernel overhead is most of the time. The backward pass of a tanh MLP
 * is short: for layer l with input h_l (x, then the tanh of the layer before), z_l =
 * h_l W_l + b_l and upstream gradient g = ∂L/∂z_l,
 *
 *   ∂L/∂W_l = h_lᵀ g,   ∂L/∂b_l = Σ_rows g,   ∂L/∂h_l = g W_lᵀ,
 *
 * and through h_l = tanh(z_{l−1}), ∂L/∂z_{l−1} = ∂L/∂h_l ⊙ (1 − h_l²). With the saved
 * u_l = (1 + h_l)/2 instead of h_l: h_lᵀ g = 2 u_lᵀ g − Σ_rows g and 1 − h_l² = 4 u_l (1 − u_l),
 * the 4 going into a kept 4W_lᵀ. The products are ordinary ones on explicitly transposed
 * operands: wasm's matMul takes its fast path (XNNPACK) only when neither operand is marked
 * transposed, and is 5-15x slower otherwise, which is the case for all of autodiff's matMul
 * gradients.
 *
 * Scaling. A dynamics model wraps its network in normalisation, y = net((x − μ)/σ)·σ' + μ'.
 * The scales σ and σ' and the shift μ' are folded into the first and last layers' kept
 * weights (so they cost nothing per call); the shift x − μ stays one subtraction, which keeps
 * the input exact where features have large means.
 */
import * as tf from "@tensorflow/tfjs";

/** Normalisation around a network, y = net((x − inShift) / inScale) · outScale + outShift; all 1-d. */
export interface Scaling {
  inShift: tf.Tensor1D;
  inScale: tf.Tensor1D;
  outScale: tf.Tensor1D;
  outShift: tf.Tensor1D;
}

/** One member's weights as the passes use them, per layer. */
export interface MemberWeights<T extends tf.TensorInfo = tf.Tensor3D, C extends tf.TensorInfo = tf.Tensor1D> {
  /** A_l (1, in, out) of the forward pass (with the scales folded in). */
  a: T[];
  /** c_l (out), 1-d as the fused kernel wants it. */
  c: C[];
  /**
   * For the backward pass, per layer: 4W_lᵀ (1, out, in), scaled alike; for the first layer
   * W_1ᵀ, cut by columns into one block per input block (see `memberWeights`).
   */
  back: T[][];
}

/**
 * The ops the passes are written in: tfjs's (`engineOps`, recorded and tracked like any op).
 * (Model fitting and BPTT's recursion run the same passes on the library's own kernel, on arrays:
 * mseGradients.ts and control/adjoint.ts.)
 */
export interface PassOps<T extends tf.TensorInfo> {
  /** u A + c and, for a hidden layer, σ of it: one fused kernel. */
  dense(u: Info, a: Info, c: Info, hidden: boolean): T;
  matMul(a: Info, b: Info): T;
  mul(a: Info, b: Info): T;
  add(a: Info, b: Info): T;
  sub(a: Info, b: Info): T;
  div(a: Info, b: Info): T;
  /** a · k */
  scale(a: Info, k: number): T;
  /** 1 − a */
  oneMinus(a: Info): T;
  square(a: Info): T;
  /** Σ of the tensors */
  addN(xs: Info[]): T;
  /** Σ over `axis` (null: all of them). */
  sum(x: Info, axis: number | null, keepDims: boolean): T;
  reshape(x: Info, shape: number[]): T;
  transpose(x: Info, perm: number[]): T;
  /** Cut along `axis` into blocks of these sizes. */
  split(x: Info, sizes: number[], axis: number): T[];
  /** Blocks side by side along `axis` (one block: itself). */
  concat(blocks: Info[], axis: number): T;
  ones(shape: number[]): T;
}

type Info = tf.TensorInfo;
/** On the engine, every tensor the passes see is a `tf.Tensor`. */
const t = (x: Info) => x as tf.Tensor;

export const engineOps: PassOps<tf.Tensor> = {
  // The kernel is run directly because `tf.fused.matMul` declines to fuse σ while a gradient is
  // being recorded (it would need to differentiate it); the gradient here is the hand-written one.
  dense: (u, a, c, hidden) =>
    tf.engine().runKernel(
      tf._FusedMatMul,
      { a: t(u), b: t(a), bias: t(c) },
      {
        transposeA: false,
        transposeB: false,
        activation: hidden ? "sigmoid" : "linear",
        leakyreluAlpha: 0,
      },
    ),
  matMul: (a, b) => tf.matMul(t(a), t(b)),
  mul: (a, b) => tf.mul(t(a), t(b)),
  add: (a, b) => tf.add(t(a), t(b)),
  sub: (a, b) => tf.sub(t(a), t(b)),
  div: (a, b) => tf.div(t(a), t(b)),
  scale: (a, k) => tf.mul(t(a), k),
  oneMinus: (a) => tf.sub(1, t(a)),
  square: (a) => tf.square(t(a)),
  addN: (xs) => tf.addN(xs.map(t)),
  sum: (x, axis, keepDims) => tf.sum(t(x), axis ?? undefined, keepDims),
  reshape: (x, shape) => tf.reshape(t(x), shape),
  transpose: (x, perm) => tf.transpose(t(x), perm),
  split: (x, sizes, axis) => tf.split(t(x), sizes, axis),
  concat: (blocks, axis) => (blocks.length === 1 ? t(blocks[0]) : tf.concat(blocks.map(t), axis)),
  ones: (shape) => tf.ones(shape),
};

/** `engineOps` unless others are given (the passes' default). */
const orEngine = <T extends tf.TensorInfo>(ops?: PassOps<T>) => ops ?? (engineOps as unknown as PassOps<T>);

/** The factors s_l t_l and t_l of layer l (0-based here) of an L-layer network (see above). */
function factors(l: number, L: number): { st: number; t: number } {
  const t = l < L - 1 ? 2 : 1;
  return { st: (l > 0 ? 2 : 1) * t, t };
}

/**
 * The kept weights of one member (new tensors, for the caller to keep and free).
 * @param w per layer W_l (1, in, out)
 * @param b per layer b_l (1, 1, out)
 * @param inputWidths the widths of the column blocks the input comes in, summing to in; none
 *   (`[]`) when no gradient with respect to the input will be asked for (`back[0]` is then empty)
 */
export function memberWeights<T extends tf.TensorInfo = tf.Tensor>(
  w: Info[],
  b: Info[],
  inputWidths: number[],
  scaling?: Scaling,
  ops?: PassOps<T>,
): MemberWeights<T, T> {
  const o = orEngine(ops);
  const L = w.length;
  const a = w.map((wl, l) => o.scale(wl, factors(l, L).st));
  const c = b.map((bl, l) => {
    const shifted = l > 0 ? o.sub(bl, o.sum(w[l], 1, true)) : bl; // (1, 1, out)
    // Made 1-d before the product, which creates its data: the fused kernel checks the rank
    // that a bias's data was created with, and a reshape keeps that.
    return o.scale(o.reshape(shifted, [-1]), factors(l, L).t);
  });
  const back = w.map((wl, l) => o.transpose(l > 0 ? o.scale(wl, 4) : wl, [0, 2, 1]));
  if (scaling) {
    const [first, last] = [0, L - 1];
    const [nIn, nOut] = [w[first].shape[1], w[last].shape[2]];
    const { inScale, outScale } = scaling;
    a[first] = o.div(a[first], o.reshape(inScale, [1, nIn, 1]));
    back[first] = o.div(back[first], o.reshape(inScale, [1, 1, nIn]));
    a[last] = o.mul(a[last], o.reshape(outScale, [1, 1, nOut]));
    back[last] = o.mul(back[last], o.reshape(outScale, [1, nOut, 1]));
    c[last] = o.add(o.mul(c[last], outScale), scaling.outShift);
  }
  const firstBack = inputWidths.length <= 1 ? inputWidths.map(() => back[0]) : o.split(back[0], inputWidths, 2);
  return { a, c, back: back.map((bl, l) => (l === 0 ? firstBack : [bl])) };
}

/**
 * One member's forward pass.
 * @param x (1, N, in), already shifted (x − μ) when there is a scaling
 * @returns the output (1, N, out), and [x, u_1, …, u_{L−1}] for the backward pass
 */
export function forwardMember<T extends tf.TensorInfo = tf.Tensor3D>(
  x: T,
  p: MemberWeights<Info, Info>,
  ops?: PassOps<T>,
): { out: T; inputs: T[] } {
  const o = orEngine(ops);
  const inputs = [x];
  const last = p.a.length - 1;
  for (let l = 0; ; l++) {
    const u = o.dense(inputs[l], p.a[l], p.c[l], l < last);
    if (l === last) return { out: u, inputs };
    inputs.push(u);
  }
}

/**
 * One member's backward pass down to its input.
 * @param dy ∂L/∂y (1, N, out)
 * @param u [x, u_1, …, u_{L−1}], as returned by `forwardMember`
 * @param back the member's `back` weights
 * @returns ∂L/∂x per input block (1, N, width), none if `back[0]` is empty, and per layer the upstream gradient g_l
 *   (1, N, out_l), except that with a scaling the last one is ∂L/∂y itself (see `weightGradients`)
 */
export function backwardMember<T extends tf.TensorInfo = tf.Tensor3D>(
  dy: T,
  u: T[],
  back: Info[][],
  ops?: PassOps<T>,
): { dx: T[]; g: T[] } {
  const o = orEngine(ops);
  const g: T[] = [];
  g[back.length - 1] = dy;
  for (let l = back.length - 1; l > 0; l--) {
    const dh = o.matMul(g[l], back[l][0]); // 4·∂L/∂h_l
    g[l - 1] = o.mul(dh, o.mul(u[l], o.oneMinus(u[l]))); // ∂L/∂h_l ⊙ 4u(1 − u)
  }
  return { dx: back[0].map((block) => o.matMul(g[0], block)), g };
}

/**
 * uᵀg (1, in, out) and Σ_rows g (1, 1, out): products over the N rows of a batch. wasm's fast
 * product repacks its right operand whenever it is a new tensor, so the narrower of u and g
 * goes there and the other is transposed; and it sums rows by transposing first, so Σ_rows g
 * is taken over a transposed g when there is one, else as the product 1ᵀg (whose right
 * operand, g, is then already packed).
 * @param u (1, N, in)
 * @param g (1, N, out)
 */
function contractRows<T extends tf.TensorInfo>(o: PassOps<T>, u: T, g: T): { uTg: T; db: T } {
  const [, N, inW] = u.shape;
  if (inW <= g.shape[2]) {
    const gT = o.transpose(g, [0, 2, 1]);
    return {
      uTg: o.transpose(o.matMul(gT, u), [0, 2, 1]),
      db: o.reshape(o.sum(gT, 2, false), [1, 1, -1]),
    };
  }
  return {
    uTg: o.matMul(o.transpose(u, [0, 2, 1]), g),
    db: o.matMul(o.ones([1, 1, N]), g),
  };
}

/**
 * One member's parameter gradients from what its backward pass found.
 * @param u [x, u_1, …, u_{L−1}] from `forwardMember`
 * @param g the upstream gradients from `backwardMember`
 * @returns per layer dW_l (1, in, out) and db_l (1, 1, out)
 */
export function weightGradients<T extends tf.TensorInfo = tf.Tensor3D>(
  u: T[],
  g: T[],
  scaling?: Scaling,
  ops?: PassOps<T>,
): { dw: T[]; db: T[] } {
  const o = orEngine(ops);
  const [h, gz] = [[...u], [...g]];
  if (scaling) {
    const L = g.length;
    h[0] = o.div(u[0], o.reshape(scaling.inScale, [1, 1, -1])); // the normalised input
    gz[L - 1] = o.mul(g[L - 1], o.reshape(scaling.outScale, [1, 1, -1])); // ∂L/∂z of the last layer
  }
  const layers = gz.map((gl, l) => {
    const { uTg, db } = contractRows(o, h[l], gl);
    return { db, dw: l === 0 ? uTg : o.sub(o.scale(uTg, 2), db) }; // h_lᵀ g
  });
  return { dw: layers.map((x) => x.dw), db: layers.map((x) => x.db) };
}
