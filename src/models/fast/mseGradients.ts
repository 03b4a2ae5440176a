/**
 * The loss of model fitting and its gradient, computed by hand and off tfjs's tape: the
 * minibatch step of `fitDynamics`.
 *
 * Why: fitting differentiates one fixed expression, the squared error of an MLP's output,
 * whose backward pass is the MLP's own (mlpPasses). Through the tape it cost about twice the
 * kernels: a copy of every tensor a node saves, the gradient of the input (data, not a
 * parameter), and the loss's own gradient ops. Here the forward pass, the error and the
 * backward pass are just the kernels they need, called directly on wasm (kernels.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { Kernels } from "./kernels";
import { backwardMember, engineOps, forwardMember, memberWeights, weightGradients, type PassOps } from "./mlpPasses";

type Info = tf.TensorInfo;

/**
 * L = Σ_m (1 / (N·out)) Σ_{rows of m} ‖net_m(x) − y‖², the sum over the M members of each one's
 * mean squared error on its own rows (so each member's gradient is that of its own MSE), and
 * ∂L/∂W_l, ∂L/∂b_l. On wasm its kernels run directly (`Kernels`): it owns everything it makes.
 * Call it inside `tf.tidy` (on other backends its intermediates are ordinary tensors).
 * @param weights per layer W_l (M, in, out)
 * @param biases per layer b_l (M, 1, out)
 * @param x (M, N, in) each member's inputs
 * @param y (M, N, out) each member's targets
 * @returns the loss (a scalar) and per layer dW_l (M, in, out) and db_l (M, 1, out)
 */
export function mseGradients(
  weights: tf.Tensor3D[],
  biases: tf.Tensor3D[],
  x: tf.Tensor3D,
  y: tf.Tensor3D,
): { loss: tf.Scalar; dw: tf.Tensor3D[]; db: tf.Tensor3D[] } {
  const [M, N, out] = y.shape;
  const k = tf.getBackend() === "wasm" ? new Kernels() : undefined;
  const o: PassOps<Info> = k ?? engineOps;
  const result = <T extends tf.Tensor>(info: Info) => (k ? k.tensor<T>(info) : (info as T));
  try {
    // Split (M, …) along its first axis into M blocks (1, …), and join them back.
    const members = (t: Info): Info[] => (M === 1 ? [t] : o.split(t, new Array<number>(M).fill(1), 0));
    const [ws, bs] = [weights, biases].map((params) => params.map(members));
    const [xs, ys] = [members(x), members(y)];
    const perMember = xs.map((xm, m) => {
      const p = memberWeights(
        ws.map((w) => w[m]),
        bs.map((b) => b[m]),
        [], // no gradient with respect to the inputs
        undefined,
        o,
      );
      const { out: prediction, inputs } = forwardMember(xm, p, o);
      const error = o.sub(prediction, ys[m]);
      const loss = o.sum(o.square(error), null, false);
      const { g } = backwardMember(o.scale(error, 2 / (N * out)), inputs, p.back, o);
      return { loss, ...weightGradients(inputs, g, undefined, o) };
    });
    const total = M === 1 ? perMember[0].loss : o.addN(perMember.map((m) => m.loss));
    const perLayer = (pick: (m: (typeof perMember)[number]) => Info[]) =>
      weights.map((_, l) =>
        result<tf.Tensor3D>(
          o.concat(
            perMember.map((m) => pick(m)[l]),
            0,
          ),
        ),
      );
    return {
      loss: result<tf.Scalar>(o.scale(total, 1 / (N * out))),
      dw: perLayer((m) => m.dw),
      db: perLayer((m) => m.db),
    };
  } finally {
    k?.free();
  }
}
