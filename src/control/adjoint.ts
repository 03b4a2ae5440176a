/**
 * BPTT's gradient by the adjoint recursion, written out (lecture step 03).
 *
 * For a policy a_t = π_θ(s_t) = b·tanh(net_θ(s_t)) (`mlpPolicy`) unrolled through a learned model
 * s_{t+1} = f(s_t, a_t) (a `DynamicsModel`), the backward pass that autodiff runs over the unroll
 * is the recursion, from t = H − 1 down to 0,
 *
 *   ā_t = ∂J/∂a_t = ∂R/∂a_t + λ_{t+1} ∂f/∂a,
 *   λ_t = ∂J/∂s_t = ∂R/∂s_t + λ_{t+1} ∂f/∂s + ā_t ∂π/∂s,     λ_H = ∂R/∂s_H,
 *   ∇_θ J = Σ_t ā_t ∂π/∂θ (s_t),
 *
 * where R is the objective's reward part, differentiated with respect to every transition at
 * once (by autodiff, on the stacked transitions, as `policyObjective` computes it). The products
 * with λ and ā are the model's and the policy's backward passes (mlpPasses): the products of
 * Jacobians whose growth along the trajectory makes BPTT's gradients explode or vanish.
 *
 * Why write it out: the recursion needs only the networks' products and a few element-wise
 * steps, and runs them on plain arrays: the products on the library's own kernel (simdDense.ts,
 * its plain module, which computes tfjs-wasm's fused products bit for bit), without the tape's
 * nodes, saved copies and per-op bookkeeping, nor tfjs's fixed cost per kernel (README, "Native
 * speed"). Each element-wise step is the float32 operation autodiff's kernel performs, and λ_t
 * sums its terms in the order the tape does, so the gradient is autodiff's, bit for bit
 * (test/unit/adjoint.test.ts). Only the reward part, the policy's tanh and Adam stay on tfjs.
 */
import * as tf from "@tensorflow/tfjs";
import type { System } from "../envs/types";
import { joinedShifted } from "../columns";
import { DynamicsModel } from "../models/dynamicsModel";
import type { MemberWeights } from "../models/fast";
import { denseKernel, type DenseRunner, type PackedLayers } from "../models/fast/simdDense";
import type { MLP } from "../models/mlp";
import { stackedReturns, type RolloutOptions } from "./rollout";

/** What a policy is, for the recursion: π(s) = maxAction·tanh(net(s)) (set by `mlpPolicy`). */
export interface SquashedMlp {
  net: MLP;
  maxAction: number;
}

/**
 * −J(θ) (the loss `trainBptt` minimises) and its gradient with respect to the policy network's
 * variables, by the adjoint recursion; undefined when the recursion does not apply (another
 * kind of model or policy, an ensemble, a backend other than wasm, no SIMD for the kernel, or a
 * J that does not depend on θ), and the caller differentiates on the tape instead.
 * @param startStates (B, S)
 * @returns the loss and the gradients by variable name, for the caller to dispose
 */
export function adjointLossGradient(
  system: System,
  policy: SquashedMlp,
  startStates: tf.Tensor2D,
  options: RolloutOptions,
): { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined {
  const { dynamics } = system;
  const { net } = policy;
  const kernel = denseKernel("exact");
  if (
    tf.getBackend() !== "wasm" ||
    kernel === null ||
    Object.getPrototypeOf(dynamics) !== DynamicsModel.prototype ||
    dynamics.members !== 1 ||
    net.members !== 1 ||
    tf.engine().state.gradientDepth > 0 // inside another gradient: let autodiff see the unroll
  ) {
    return undefined;
  }
  return recursion(kernel, system, dynamics as DynamicsModel, policy, startStates, options);
}

function recursion(
  kernel: DenseRunner,
  system: System,
  model: DynamicsModel,
  { net, maxAction }: SquashedMlp,
  startStates: tf.Tensor2D,
  options: RolloutOptions,
): { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined {
  const [B, S] = startStates.shape;
  const [A, H] = [model.actionSize, options.horizon];
  const [policy, dynamicsNet] = [net.passWeights()[0], model.passWeights()[0]].map((w) => packed(kernel, w));
  const inShift = model.inputNormalizer.mean.dataSync() as Float32Array;
  const bound = Math.fround(maxAction);

  // Forward: the unroll, as MLP.forward and DynamicsModel.step compute it (see ensembleLayers).
  type Run = ReturnType<typeof forward>;
  const [states, actions, squashed]: Float32Array[][] = [[], [], []];
  const runs = { policy: [] as Run[], model: [] as Run[] };
  let s = startStates.dataSync() as Float32Array;
  for (let t = 0; t < H; t++) {
    const p = forward(kernel, policy.layers, s, B);
    const y = tf.tidy(() => tf.tanh(tf.tensor2d(p.out, [B, A])).dataSync() as Float32Array);
    const a = y.map((v) => v * bound);
    const m = forward(kernel, dynamicsNet.layers, joinedShifted([s, a], B, inShift), B);
    states.push(s);
    actions.push(a);
    squashed.push(y);
    runs.policy.push(p);
    runs.model.push(m);
    s = add(s, m.out);
  }
  const nextStates = [...states.slice(1), s];

  // The reward part, differentiated by autodiff once for all transitions.
  const stacked = [states, actions, nextStates].map((steps, i) =>
    tf.tensor2d(joined(steps), [H * B, i === 1 ? A : S]),
  ) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const last = tf.tensor2d(s, [B, S]);
  let head;
  try {
    head = tf
      .engine()
      .gradients(
        () => tf.neg(tf.mean(stackedReturns("policyReturns", system.reward, ...stacked, last, options))),
        [...stacked, last],
        undefined,
        true,
      );
  } finally {
    tf.dispose([...stacked, last]);
  }
  const [dS, dA, dN] = head.grads.slice(0, 3).map((g) => (g ? steps(g.dataSync() as Float32Array, H) : undefined));
  const dLast = head.grads[3]?.dataSync() as Float32Array | undefined;
  tf.dispose(head.grads.filter((g) => g !== null));

  // Backward: the recursion, each sum in the order autodiff's tape takes its terms.
  const us: Float32Array[][] = policy.layers.map(() => []);
  const gs: Float32Array[][] = policy.layers.map(() => []);
  let lambda = plus(dLast, dN?.[H - 1]); // λ_H
  for (let t = H - 1; t >= 0; t--) {
    const throughModel = lambda && backward(kernel, lambda, runs.model[t].inputs, dynamicsNet.back, B);
    const aBar = plus(dA?.[t], throughModel?.dx[1]);
    // Through b·tanh: ∂J/∂net = (1 − tanh²) ⊙ (ā · b).
    const y = squashed[t];
    const dNet = aBar?.map((v, i) => Math.fround(1 - Math.fround(y[i] * y[i])) * Math.fround(v * bound));
    const throughPolicy = dNet && backward(kernel, dNet, runs.policy[t].inputs, policy.back, B);
    throughPolicy?.g.forEach((g, l) => {
      us[l].push(runs.policy[t].inputs[l]);
      gs[l].push(g);
    });
    if (t === 0) break;
    const fromReward = plus(dN?.[t - 1], dS?.[t]);
    const fromModel = throughModel && add(throughModel.dx[0], lambda as Float32Array);
    lambda = plus(plus(fromReward, fromModel), throughPolicy?.dx[0]);
  }

  if (us[0].length === 0) {
    head.value.dispose();
    return undefined; // J does not depend on θ: the tape says so, in its words
  }
  // ∇θ: one product per layer over all the steps' rows, as the policy's weights node computes it.
  const grads: tf.NamedTensorMap = {};
  net.weights.forEach((w, l) => {
    const [, i, o] = w.shape;
    const { uTg, sums } = kernel.sumsOverRows(joined(us[l]), joined(gs[l]), us[l].length * B, i, o);
    // h_lᵀg with h = 2u − 1 past the first layer: 2uᵀg − 1ᵀg (see mlpPasses).
    const dw = l === 0 ? uTg : uTg.map((v, n) => Math.fround(2 * v) - sums[n % o]);
    grads[w.name] = tf.tensor(dw, w.shape);
    grads[net.biases[l].name] = tf.tensor(sums, net.biases[l].shape);
  });
  return { value: head.value as tf.Scalar, grads };
}

/** A network's pass weights packed for the kernel, layer by layer: the forward layers, and the backward blocks. */
function packed(kernel: DenseRunner, w: MemberWeights): { layers: PackedLayers[]; back: PackedLayers[][] } {
  const values = (t: tf.Tensor) => t.dataSync() as Float32Array;
  const last = w.a.length - 1;
  return {
    layers: w.a.map((a, l) => kernel.pack([values(a)], [values(w.c[l])], [l < last])),
    back: w.back.map((blocks) =>
      blocks.map((b) => kernel.pack([values(b)], [new Float32Array(b.shape[b.shape.length - 1])], [false])),
    ),
  };
}

/** A network's forward pass over `rows` rows: its output, and every layer's input (for the backward pass). */
function forward(kernel: DenseRunner, layers: PackedLayers[], x: Float32Array, rows: number) {
  const inputs = [x];
  for (let l = 0; l < layers.length - 1; l++) inputs.push(kernel.forward(layers[l], inputs[l], rows));
  return { out: kernel.forward(layers[layers.length - 1], inputs[layers.length - 1], rows), inputs };
}

/**
 * A network's backward pass (mlpPasses' `backwardMember`): ∂L/∂x per input block, and each
 * layer's upstream gradient g_l, from ∂L/∂y: g_{l−1} = (g_l · 4W_lᵀ) ⊙ u_l(1 − u_l).
 */
function backward(kernel: DenseRunner, dy: Float32Array, inputs: Float32Array[], back: PackedLayers[][], rows: number) {
  const g: Float32Array[] = [];
  g[back.length - 1] = dy;
  for (let l = back.length - 1; l > 0; l--) g[l - 1] = kernel.backThrough(back[l][0], g[l], rows, inputs[l]);
  return { dx: back[0].map((block) => kernel.forward(block, g[0], rows)), g };
}

/** x + y, element by element. */
function add(x: Float32Array, y: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + y[i];
  return out;
}

/** x + y, where an undefined term is no term (autodiff's accumulation: the first term is taken as is). */
function plus(x: Float32Array | undefined, y: Float32Array | undefined): Float32Array | undefined {
  return x === undefined ? y : y === undefined ? x : add(x, y);
}

/** Blocks one after another. */
function joined(blocks: Float32Array[]): Float32Array {
  const out = new Float32Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** The H equal blocks of rows of a stacked (H·B, d) array, one per step. */
function steps(values: Float32Array, H: number): Float32Array[] {
  const size = values.length / H;
  return Array.from({ length: H }, (_, t) => values.subarray(t * size, (t + 1) * size));
}
