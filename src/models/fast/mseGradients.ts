/**
 * The loss of model fitting and its gradient, by hand, on simdDense's kernel: the minibatch
 * step of `fitDynamics`.
 *
 * Why: fitting differentiates one fixed expression, the squared error of an MLP's output. A
 * minibatch of this course's models is small (256 rows of 64 units), so each tfjs kernel call
 * cost more in its fixed part than in arithmetic, and a fitting epoch made about 2,000 of them
 * (and V8 took seven epochs to optimise the many small functions they go through). Here every
 * array lives in the kernel's memory, every product is one kernel call, and the rest are a few
 * loops: the benchmark's `fit-dynamics` epochs went from medians of 81–95 ms to 32–34 ms (README,
 * "Native speed"). The kernel's plain module computes tfjs-wasm's products and σ bit for bit, and
 * the loss is summed in float32 as tfjs sums it, so the loss and gradient are those of the same
 * passes on tfjs's kernels, bit for bit (test/unit/simdDense.test.ts).
 *
 * The passes are mlpPasses' (its comment derives them), for each member:
 *
 *   forward   u_l = σ(u_{l−1} A_l + c_l), the last layer without σ (u_0 = x);
 *   error     g_L = ∂L/∂ŷ = 2 (ŷ − y) / (N·out);
 *   backward  g_{l−1} = (g_l · 4W_lᵀ) ⊙ u_{l−1}(1 − u_{l−1});
 *   gradient  ∂L/∂b_l = 1ᵀ g_l,  ∂L/∂W_l = h_lᵀ g_l, with h = x, then 2u − 1: 2 uᵀg_l − 1ᵀg_l.
 *
 * The products 1ᵀg_l and h_lᵀ g_l read x, u and g where they are (the kernel takes strides), so
 * nothing is transposed or copied. Widths are padded to eight columns and rows to four, as the
 * kernel computes them; the padded rows of x and g are zero, so they add nothing to a sum over
 * rows, and the padded columns of g are zero, so they add nothing to a product.
 */
import { LINEAR, SIGMA, TIMES_SLOPE, denseKernel, plainKernel, type Kernel, type KernelFunction } from "./simdDense";

const round4 = (n: number) => Math.ceil(n / 4) * 4;
const round8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * L = Σ_m (1 / (N·out)) Σ_{rows of m} ‖net_m(x) − y‖², the sum over the M members of each one's
 * mean squared error on its own N rows (so each member's gradient is that of its own MSE), and
 * ∂L/∂θ.
 * @param sizes the network's widths, input to output
 * @param members M
 * @param theta the parameters, laid out as `MLP.variables()` lists them: W_0 (M, in, out),
 *   b_0 (M, 1, out), W_1, b_1, …, each row-major
 * @param x (M·N·in) each member's rows, member-major
 * @param y (M·N·out) each member's targets, likewise
 * @param kernel the products' kernel: simdDense's exact one, or its plain loop where there is none
 * @returns L, and ∂L/∂θ laid out as θ
 */
export function mseGradients(
  sizes: readonly number[],
  members: number,
  theta: Float32Array,
  x: Float32Array,
  y: Float32Array,
  kernel: Kernel = denseKernel("exact") ?? plainKernel(),
): { loss: number; grad: Float32Array } {
  const [inW, out] = [sizes[0], sizes[sizes.length - 1]];
  const N = x.length / (members * inW);
  const places = parameterPlaces(sizes, members);
  const P = places.length === 0 ? 0 : places[places.length - 1].b + members * out;
  if (P !== theta.length || !Number.isInteger(N) || y.length !== members * N * out) {
    throw new Error(
      `mseGradients: ${theta.length} parameters, ${x.length} inputs and ${y.length} targets do not fit ` +
        `${members} member(s) of [${sizes}]`,
    );
  }
  const plan = memoryPlan(sizes, N);
  const c: Step = { plan, f: kernel.room(plan.size), dense: inFloats(kernel.dense), N };
  // Zero everywhere first: the padding of x, A and g stays zero, and the rest is written below.
  c.f.fill(0, 0, plan.size);
  c.f[plan.one] = 1;
  const grad = new Float32Array(theta.length);
  let loss = 0;
  for (let m = 0; m < members; m++) {
    const mine = (v: Float32Array, at: number, size: number) => v.subarray(at + m * size, at + (m + 1) * size);
    places.forEach(({ i, o, w, b }, l) => keepWeights(c, l, mine(theta, w, i * o), mine(theta, b, o)));
    forward(c, mine(x, 0, N * inW));
    const squares = outputError(c, mine(y, 0, N * out));
    loss = m === 0 ? squares : Math.fround(loss + squares);
    backward(c);
    places.forEach(({ i, o, w, b }, l) => weightGradients(c, l, mine(grad, w, i * o), mine(grad, b, o)));
  }
  return { loss: Math.fround(loss * Math.fround(1 / (N * out))), grad };
}

/** Where each layer's W_l (M, i, o) and b_l (M, 1, o) start in θ. */
function parameterPlaces(sizes: readonly number[], members: number) {
  let at = 0;
  return sizes.slice(1).map((o, l) => {
    const i = sizes[l];
    const place = { i, o, w: at, b: at + members * i * o };
    at = place.b + members * o;
    return place;
  });
}

/** One member's step: the memory plan, the memory as floats, the kernel (addresses in floats), the rows. */
interface Step {
  plan: ReturnType<typeof memoryPlan>;
  f: Float32Array;
  dense: KernelFunction;
  N: number;
}

/** The kernel with its addresses and steps counted in floats instead of bytes. */
function inFloats(dense: KernelFunction): KernelFunction {
  return (x, xs, xk, a, bp, bk, y, rows, K, panels, bias, mode, slope) =>
    dense(4 * x, 4 * xs, 4 * xk, 4 * a, 4 * bp, 4 * bk, 4 * y, rows, K, panels, 4 * bias, mode, 4 * slope);
}

/** Layer l's kept weights from W (i × o) and b (o): A_l and c_l packed in panels, and 4W_lᵀ likewise. */
function keepWeights({ f, plan }: Step, l: number, W: Float32Array, b: Float32Array): void {
  const { i, o, a, c, back, K, hidden } = plan.layers[l];
  const [st, t] = [(l > 0 ? 2 : 1) * (hidden ? 2 : 1), hidden ? 2 : 1];
  for (let k = 0; k < i; k++) {
    for (let j = 0; j < o; j++) {
      f[a + ((j >> 3) * K + k) * 8 + (j & 7)] = st * W[k * o + j];
      if (l > 0) f[back + ((k >> 3) * round8(o) + j) * 8 + (k & 7)] = 4 * W[k * o + j];
    }
  }
  for (let j = 0; j < o; j++) {
    let columnSum = 0; // Σ_k W[k, j], for l > 0
    for (let k = 0; l > 0 && k < i; k++) columnSum = Math.fround(columnSum + W[k * o + j]);
    f[c + j] = t * Math.fround(b[j] - columnSum);
  }
}

/** u_1, …, u_L from x (N × in), each kept in its place. */
function forward({ f, plan, dense }: Step, x: Float32Array): void {
  f.set(x, plan.x);
  plan.layers.forEach(({ a, c, K, u, width, hidden }, l) => {
    const [from, stride] = l === 0 ? [plan.x, K] : [plan.layers[l - 1].u, plan.layers[l - 1].width];
    dense(from, stride, 1, a, 8 * K, 8, u, plan.rows, K, width / 8, c, hidden ? SIGMA : LINEAR, 0);
  });
}

/** g_L = 2 (ŷ − y) / (N·out) into its place; returns Σ (ŷ − y)², summed in float32 in row order. */
function outputError({ f, plan, N }: Step, y: Float32Array): number {
  const { u, g, width, o } = plan.layers[plan.layers.length - 1];
  const scale = Math.fround(2 / (N * o));
  let sum = 0;
  for (let r = 0; r < N; r++) {
    for (let j = 0; j < o; j++) {
      const e = Math.fround(f[u + r * width + j] - y[r * o + j]);
      sum = Math.fround(sum + Math.fround(e * e));
      f[g + r * width + j] = e * scale;
    }
  }
  return sum;
}

/** g_{l−1} = (g_l · 4W_lᵀ) ⊙ u_{l−1}(1 − u_{l−1}), down to g_1: one kernel call each, factor included. */
function backward({ plan, dense }: Step): void {
  for (let l = plan.layers.length - 1; l > 0; l--) {
    const [here, below] = [plan.layers[l], plan.layers[l - 1]];
    const K = here.width;
    // Rows from N on are products of zero rows of g_l: zero.
    dense(here.g, K, 1, here.back, 8 * K, 8, below.g, plan.rows, K, below.width / 8, plan.zero, TIMES_SLOPE, below.u);
  }
}

/**
 * Layer l's ∂L/∂W_l (i × o) and ∂L/∂b_l (o) into dW and db: 1ᵀg_l (x is the one 1, read for every
 * entry) and h_lᵀg_l.
 */
function weightGradients({ f, plan, dense }: Step, l: number, dW: Float32Array, db: Float32Array): void {
  const { i, o, g, width } = plan.layers[l];
  const [h, stride] = l === 0 ? [plan.x, i] : [plan.layers[l - 1].u, plan.layers[l - 1].width];
  dense(plan.one, 0, 0, g, 8, width, plan.db, 4, plan.rows, width / 8, plan.zero, LINEAR, 0);
  dense(h, 1, stride, g, 8, width, plan.dw, round4(i), plan.rows, width / 8, plan.zero, LINEAR, 0);
  for (let k = 0; k < i; k++) {
    for (let j = 0; j < o; j++) {
      const v = f[plan.dw + k * width + j];
      dW[k * o + j] = l === 0 ? v : Math.fround(2 * v) - f[plan.db + j];
    }
  }
  db.set(f.subarray(plan.db, plan.db + o));
}

/**
 * Where each array lives in the kernel's memory, in floats: per layer its A (K × width, packed
 * in panels), c, 4Wᵀ (packed likewise, K = the layer's padded output width), its output u and
 * upstream gradient g (rows × width); then x, the products' results dW and db, a 1 and a zero bias.
 */
function memoryPlan(sizes: readonly number[], N: number) {
  let size = 0;
  const take = (floats: number) => ((size += floats), size - floats);
  const rows = round4(N);
  const L = sizes.length - 1;
  const layers = sizes.slice(1).map((o, l) => {
    const [i, width, K] = [sizes[l], round8(o), l === 0 ? sizes[0] : round8(sizes[l])];
    const [a, c, back] = [take(K * width), take(width), take(round8(i) * width)];
    return { i, o, width, K, hidden: l < L - 1, a, c, back, u: take(rows * width), g: take(rows * width) };
  });
  const widest = Math.max(...layers.map((l) => l.width), round8(sizes[0]));
  // x with room to spare: h_0ᵀg reads x's columns four at a time, past the last when in is not a multiple of four.
  const x = take(rows * sizes[0] + 4);
  const [dw, db, one, zero] = [take(widest * widest), take(4 * widest), take(1), take(widest)];
  return { size, rows, layers, x, dw, db, one, zero };
}
