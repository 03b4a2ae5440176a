/**
 * The readable MLP and delta model (lecture step 03: a learned model of the dynamics), written
 * as the formulas read and differentiated by tfjs's own autodiff:
 *
 *   net(x) = W_L tanh(… tanh(x W_1 + b_1) …) + b_L,   one network per ensemble member,
 *   s' = s + σ_Δ ⊙ net((concat(s, a) − μ_in) / σ_in) + μ_Δ.
 *
 * `MLP.forward` and `DynamicsModel.step` compute exactly these through the fast path
 * (`models/fast/`); the tests hold the two equal, values and gradients, on every backend.
 * Use these to read the model, or as the reference when changing the fast path.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check } from "../checks";
import type { DynamicsModel } from "./dynamicsModel";
import type { MLP } from "./mlp";

/**
 * The network's output, member by member: tanh hidden layers and a linear output layer.
 * @param x (M·N, in), member-major: rows [m·N, (m+1)·N) go to member m
 * @returns (M·N, out)
 */
export function referenceForward(net: MLP, x: tf.Tensor2D): tf.Tensor2D {
  const where = "referenceForward";
  const [rows] = assertShape(where, "x", x, [null, net.inputSize]);
  check(rows % net.members === 0, where, `x must have a multiple of members = ${net.members} rows, got ${rows}`);
  const L = net.weights.length;
  return tf.tidy(() => {
    const blocks = net.members === 1 ? [x] : tf.split(x, net.members, 0);
    const outputs = blocks.map((h0, m) => {
      let h = h0;
      for (let l = 0; l < L; l++) {
        const W = tf.slice(net.weights[l], [m, 0, 0], [1, -1, -1]).squeeze([0]) as tf.Tensor2D; // (in, out)
        const b = tf.slice(net.biases[l], [m, 0, 0], [1, -1, -1]).reshape([1, -1]); //          (1, out)
        const z = tf.add(tf.matMul(h, W), b) as tf.Tensor2D; //                                  z = h W + b
        h = l < L - 1 ? tf.tanh(z) : z; //                                                       tanh, except the output
      }
      return h;
    });
    return tf.concat(outputs, 0) as tf.Tensor2D;
  });
}

/**
 * One step of the delta model: s' = s + σ_Δ ⊙ net((concat(s, a) − μ_in) / σ_in) + μ_Δ.
 * @param states (M·N, S), member-major
 * @param actions (M·N, A)
 * @returns next states (M·N, S)
 */
export function referenceStep(model: DynamicsModel, states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
  const where = "referenceStep";
  const [B] = assertShape(where, "states", states, [null, model.stateSize]);
  assertShape(where, "actions", actions, [B, model.actionSize]);
  return tf.tidy(() => {
    const x = model.inputNormalizer.normalize(tf.concat([states, actions], 1) as tf.Tensor2D); // normalise(s, a)
    const delta = model.deltaNormalizer.denormalize(referenceForward(model.net, x)); //          σ_Δ ⊙ net(·) + μ_Δ
    return tf.add(states, delta) as tf.Tensor2D; //                                               s + Δ
  });
}
