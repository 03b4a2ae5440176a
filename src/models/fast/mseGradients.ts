/**
 * The loss of model fitting and its gradient, by hand, on simdDense's kernel: the minibatch
 * step of `fitDynamics`.
 *
 * Why: fitting differentiates one fixed expression, the squared error of an MLP's output. A
 * minibatch of this course's models is small (256 rows of 64 units), so each tfjs kernel call
 * cost more in its fixed part than in arithmetic, and a fitting epoch made about 2,000 of them
 * (and V8 took seven epochs to optimise the many small functions they go through: README,
 * "`fit-dynamics`'s warm-up"). Here every array lives in the kernel's memory, every product is
 * one kernel call, and the rest are a few loops.
 *
 * The passes are mlpPasses' (its comment derives them), for each member:
 *
 *   forward   u_l = σ(u_{l−1} A_l + c_l), the last layer without σ (u_0 = x);
 *   error     g_L = ∂L/∂ŷ = 2 (ŷ − y) / (N·out);
 *   backward  g_{l−1} = (g_l · 4W_lᵀ) ⊙ u(1 − u);
 *   gradient  ∂L/∂b_l = 1ᵀ g_l,  ∂L/∂W_l = h_lᵀ g_l with h = x, then 2u − 1: = 2 uᵀ g_l − 1ᵀ g_l.
 *
 * The products h_lᵀ g_l and 1ᵀ g_l read u, x and g where they are (the kernel takes strides), so
 * nothing is transposed or copied. Widths are padded to eight columns and rows to four, as the
 * kernel computes them; the padded rows of x and of g are zero, so they add nothing to a sum over
 * rows, and the padded columns of g are zero, so they add nothing to a product.
 */
import { denseKernel, plainKernel, type Kernel, type KernelFunction } from "./simdDense";

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
 * @param kernel the products' kernel: simdDense's, or the plain loop where there is none
 * @returns L, and ∂L/∂θ laid out as θ
 */
export function mseGradients(
  sizes: readonly number[],
  members: number,
  theta: Float32Array,
  x: Float32Array,
  y: Float32Array,
  kernel: Kernel = denseKernel() ?? plainKernel(),
): { loss: number; grad: Float32Array } {
  const L = sizes.length - 1;
  const [inW, out] = [sizes[0], sizes[L]];
  const N = x.length / (members * inW);
  const layers = sizes.slice(1).map((o, l) => ({ i: sizes[l], o, w: 0, b: 0 })); // W_l, b_l's place in θ
  let at = 0;
  for (const layer of layers) {
    [layer.w, layer.b] = [at, at + members * layer.i * layer.o];
    at = layer.b + members * layer.o;
  }
  if (at !== theta.length || !Number.isInteger(N) || y.length !== members * N * out) {
    throw new Error(
      `mseGradients: ${theta.length} parameters, ${x.length} inputs and ${y.length} targets do not fit ` +
        `${members} member(s) of [${sizes}]`,
    );
  }
  const m = memoryPlan(sizes, N);
  const f = kernel.room(m.size);
  // The kernel takes byte addresses and steps; here they are counted in floats.
  const dense: KernelFunction = (x, xs, xk, a, bp, bk, y, rows, K, panels, bias, hidden) =>
    kernel.dense(4 * x, 4 * xs, 4 * xk, 4 * a, 4 * bp, 4 * bk, 4 * y, rows, K, panels, 4 * bias, hidden);
  const grad = new Float32Array(theta.length);
  let loss = 0;
  // Zero everywhere first: the padding of x, A and g stays zero, and the rest is written below.
  f.fill(0, 0, m.size);
  f[m.one] = 1;
  for (let member = 0; member < members; member++) {
    // The kept weights: A_l and c_l of the forward pass, packed in panels; 4W_lᵀ for the backward one.
    layers.forEach(({ i, o, w, b }, l) => {
      const W = theta.subarray(w + member * i * o, w + (member + 1) * i * o);
      const hidden = l < L - 1;
      const [st, t] = [(l > 0 ? 2 : 1) * (hidden ? 2 : 1), hidden ? 2 : 1];
      const { a, c, back, K } = m.layers[l];
      for (let k = 0; k < i; k++) {
        for (let j = 0; j < o; j++) {
          f[a + ((j >> 3) * K + k) * 8 + (j & 7)] = st * W[k * o + j];
          if (l > 0) f[back + ((k >> 3) * round8(o) + j) * 8 + (k & 7)] = 4 * W[k * o + j];
        }
      }
      for (let j = 0; j < o; j++) {
        let columnSum = 0; // Σ_k W[k, j], for l > 0
        for (let k = 0; l > 0 && k < i; k++) columnSum = Math.fround(columnSum + W[k * o + j]);
        f[c + j] = t * Math.fround(theta[b + member * o + j] - columnSum);
      }
    });
    // Forward, keeping every layer's output.
    f.set(x.subarray(member * N * inW, (member + 1) * N * inW), m.x);
    layers.forEach((_, l) => {
      const { a, c, K, u, width } = m.layers[l];
      const [from, stride] = l === 0 ? [m.x, inW] : [m.layers[l - 1].u, m.layers[l - 1].width];
      dense(from, stride, 1, a, 8 * K, 8, u, m.rows, K, width / 8, c, l < L - 1 ? 1 : 0);
    });
    // The error: g_L, and the loss.
    const last = m.layers[L - 1];
    const target = y.subarray(member * N * out, (member + 1) * N * out);
    const scale = Math.fround(2 / (N * out));
    let sum = 0;
    for (let r = 0; r < N; r++) {
      for (let j = 0; j < out; j++) {
        const e = Math.fround(f[last.u + r * last.width + j] - target[r * out + j]);
        sum += e * e;
        f[last.g + r * last.width + j] = e * scale;
      }
    }
    loss += sum;
    // Backward: g_{l−1} = (g_l · 4W_lᵀ) ⊙ u(1 − u), the product into g_{l−1}'s place first.
    for (let l = L - 1; l > 0; l--) {
      const [here, below] = [m.layers[l], m.layers[l - 1]];
      dense(
        here.g,
        here.width,
        1,
        here.back,
        8 * here.width,
        8,
        below.g,
        m.rows,
        here.width,
        below.width / 8,
        m.zero,
        0,
      );
      for (let r = 0; r < N; r++) {
        for (let j = 0, q = r * below.width; j < below.o; j++, q++) {
          const u = f[below.u + q];
          f[below.g + q] *= Math.fround(u * Math.fround(1 - u));
        }
      }
      // The padded rows of g_{l−1} hold the product of zero rows: zero already.
    }
    // The gradient: 1ᵀg_l (x = the one 1, read for every row and k) and h_lᵀ g_l.
    layers.forEach(({ i, o, w, b }, l) => {
      const p = m.layers[l];
      const panels = p.width / 8;
      dense(m.one, 0, 0, p.g, 8, p.width, m.db, 4, m.rows, panels, m.zero, 0);
      const [h, hs] = l === 0 ? [m.x, inW] : [m.layers[l - 1].u, m.layers[l - 1].width];
      dense(h, 1, hs, p.g, 8, p.width, m.dw, round4(i), m.rows, panels, m.zero, 0);
      const dW = grad.subarray(w + member * i * o, w + (member + 1) * i * o);
      for (let k = 0; k < i; k++) {
        for (let j = 0; j < o; j++) {
          const v = f[m.dw + k * p.width + j];
          dW[k * o + j] = l === 0 ? v : Math.fround(2 * v) - f[m.db + j];
        }
      }
      grad.set(f.subarray(m.db, m.db + o), b + member * o);
    });
  }
  return { loss: loss / (N * out), grad };
}

const round4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * Where each array lives in the kernel's memory, in floats: per layer its packed A (K × width
 * in panels), c, 4Wᵀ packed likewise (K = its padded output width), its output u and upstream
 * gradient g (rows × width); and x, the products' results dW and db, one 1 and a zero bias.
 */
function memoryPlan(sizes: readonly number[], N: number) {
  let size = 0;
  const take = (floats: number) => ((size += floats), size - floats);
  const rows = round4(N);
  const layers = sizes.slice(1).map((o, l) => {
    const [width, K] = [round8(o), l === 0 ? sizes[0] : round8(sizes[l])];
    return {
      o,
      width,
      K,
      a: take(K * width),
      c: take(width),
      back: take(round8(sizes[l]) * width),
      u: take(rows * width),
      g: take(rows * width),
    };
  });
  const widest = Math.max(...layers.map((l) => l.width), round8(sizes[0]));
  // x, with room to spare: hᵀg reads x's columns in fours, past the last one when in is not a multiple of four.
  const x = take(rows * sizes[0] + 4);
  const [dw, db, one, zero] = [take(widest * widest), take(4 * widest), take(1), take(widest)];
  return { size, rows, layers, x, dw, db, one, zero };
}
