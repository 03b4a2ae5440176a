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
 * Why write it out: the recursion needs only these kernels, and runs them directly (`Kernels`),
 * without the tape's nodes, saved copies and per-op bookkeeping: about a quarter of a BPTT step's time
 * (README, "Native speed"). The kernels are autodiff's, and λ_t sums its terms in the order the
 * tape does, so the gradient is autodiff's, bit for bit (test/unit/adjoint.test.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { System } from "../envs/types";
import { DynamicsModel } from "../models/dynamicsModel";
import { Kernels, backwardMember, forwardMember, weightGradients } from "../models/fast";
import type { MLP } from "../models/mlp";
import { stackedReturns, type RolloutOptions } from "./rollout";

/** What a policy is, for the recursion: π(s) = maxAction·tanh(net(s)) (set by `mlpPolicy`). */
export interface SquashedMlp {
  net: MLP;
  maxAction: number;
}

type Info = tf.TensorInfo;

/** x + y, where an undefined term is no term (autodiff's accumulation: the first term is taken as is). */
function plus(k: Kernels, x: Info | undefined, y: Info | undefined): Info | undefined {
  return x === undefined ? y : y === undefined ? x : k.add(x, y);
}

/**
 * −J(θ) (the loss `trainBptt` minimises) and its gradient with respect to the policy network's
 * variables, by the adjoint recursion; undefined when the recursion does not apply (another
 * kind of model or policy, an ensemble, a backend other than wasm, or a J that does not depend
 * on θ), and the caller differentiates on the tape instead.
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
  if (
    tf.getBackend() !== "wasm" ||
    Object.getPrototypeOf(dynamics) !== DynamicsModel.prototype ||
    dynamics.members !== 1 ||
    net.members !== 1 ||
    tf.engine().state.gradientDepth > 0 // inside another gradient: let autodiff see the unroll
  ) {
    return undefined;
  }
  const model = dynamics as DynamicsModel;
  const k = new Kernels();
  try {
    return recursion(k, system, model, policy, startStates, options);
  } finally {
    k.free();
  }
}

function recursion(
  k: Kernels,
  system: System,
  model: DynamicsModel,
  { net, maxAction }: SquashedMlp,
  startStates: tf.Tensor2D,
  options: RolloutOptions,
): { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined {
  const [B, S] = startStates.shape;
  const [A, H] = [model.actionSize, options.horizon];
  const [pw] = net.passWeights();
  const [mw] = model.passWeights();
  const bound = k.scalar(maxAction);
  const inShift = model.inputNormalizer.mean;

  // Forward: the unroll, as MLP.forward and DynamicsModel.step compute it (see ensembleLayers).
  type Run = ReturnType<typeof forwardMember<Info>>;
  const [states, actions, squashed]: Info[][] = [[], [], []];
  const runs = { policy: [] as Run[], model: [] as Run[] };
  let s: Info = startStates;
  for (let t = 0; t < H; t++) {
    const p = forwardMember(k.reshape(s, [1, B, S]), pw, k);
    const y = k.tanh(k.reshape(p.out, [B, A]));
    const a = k.mul(y, bound);
    // (s, a) side by side, as joinColumns does it (columns.ts): through a transpose from 128 rows.
    const x =
      B < 128
        ? k.concat([s, a], 1)
        : k.transpose(k.concat([k.transpose(s, [1, 0]), k.transpose(a, [1, 0])], 0), [1, 0]);
    const m = forwardMember(k.reshape(k.sub(x, inShift), [1, B, S + A]), mw, k);
    states.push(s);
    actions.push(a);
    squashed.push(y);
    runs.policy.push(p);
    runs.model.push(m);
    s = k.add(s, k.reshape(m.out, [B, S]));
  }
  const nextStates = [...states.slice(1), s];

  // The reward part, differentiated by autodiff once for all transitions.
  const stacked = [states, actions, nextStates].map((pieces) => k.tensor<tf.Tensor2D>(k.concat(pieces, 0))) as [
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor2D,
  ];
  const last = k.tensor<tf.Tensor2D>(s);
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
  const headGrads = head.grads.filter((g) => g !== null);
  const [dS, dA, dN] = head.grads.slice(0, 3).map((g) => (g ? k.splitRows(g, H) : undefined));
  const dLast = head.grads[3] ?? undefined;

  // Backward: the recursion, each sum in the order autodiff's tape takes its terms.
  const us: Info[][] = pw.a.map(() => []);
  const gs: Info[][] = pw.a.map(() => []);
  let lambda = plus(k, dLast, dN?.[H - 1]); // λ_H
  for (let t = H - 1; t >= 0; t--) {
    const throughModel =
      lambda === undefined ? undefined : backwardMember(k.reshape(lambda, [1, B, S]), runs.model[t].inputs, mw.back, k);
    const aBar = plus(k, dA?.[t], throughModel && k.reshape(throughModel.dx[1], [B, A]));
    // Through b·tanh: ∂J/∂net = (1 − tanh²) ⊙ (ā · b).
    const throughPolicy =
      aBar === undefined
        ? undefined
        : backwardMember(
            k.reshape(k.mul(k.oneMinus(k.square(squashed[t])), k.mul(aBar, bound)), [1, B, A]),
            runs.policy[t].inputs,
            pw.back,
            k,
          );
    throughPolicy?.g.forEach((g, l) => {
      us[l].push(runs.policy[t].inputs[l]);
      gs[l].push(g);
    });
    if (t === 0) break;
    const fromReward = plus(k, dN?.[t - 1], dS?.[t]);
    const fromModel = throughModel && k.add(k.reshape(throughModel.dx[0], [B, S]), lambda as Info);
    lambda = plus(k, plus(k, fromReward, fromModel), throughPolicy && k.reshape(throughPolicy.dx[0], [B, S]));
  }

  tf.dispose(headGrads);
  if (us[0].length === 0) {
    head.value.dispose();
    return undefined; // J does not depend on θ: the tape says so, in its words
  }
  // ∇θ: one product per layer over all the steps' rows, as the policy's weights node computes it.
  const rows = (blocks: Info[]) => k.concat(blocks, 1);
  const { dw, db } = weightGradients(us.map(rows), gs.map(rows), undefined, k);
  const grads: tf.NamedTensorMap = {};
  net.weights.forEach((w, l) => (grads[w.name] = k.tensor(dw[l])));
  net.biases.forEach((b, l) => (grads[b.name] = k.tensor(db[l])));
  return { value: head.value as tf.Scalar, grads };
}
