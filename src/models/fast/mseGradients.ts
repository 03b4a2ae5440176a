/**
 * The loss of model fitting and its gradient, computed by hand and off tfjs's tape: the
 * minibatch step of `fitDynamics`.
 *
 * Why: fitting differentiates one fixed expression, the squared error of an MLP's output,
 * whose backward pass is the MLP's own (mlpPasses). Through the tape it cost about twice the
 * kernels: a copy of every tensor a node saves, the gradient of the input (data, not a
 * parameter), and the loss's own gradient ops. Here the forward pass, the error and the
 * backward pass are just the kernels they need.
 */
import * as tf from "@tensorflow/tfjs";
import { backwardMember, forwardMember, memberWeights, weightGradients } from "./mlpPasses";

/** Split (M, …) along its first axis into M blocks (1, …). */
const splitMembers = <T extends tf.Tensor>(t: T, members: number): T[] =>
  members === 1 ? [t] : (tf.split(t, members, 0) as T[]);

/** Join M blocks (1, …) into (M, …). */
const joinMembers = <T extends tf.Tensor>(blocks: T[]): T => (blocks.length === 1 ? blocks[0] : tf.concat(blocks, 0));

/**
 * L = Σ_m (1 / (N·out)) Σ_{rows of m} ‖net_m(x) − y‖², the sum over the M members of each one's
 * mean squared error on its own rows (so each member's gradient is that of its own MSE), and
 * ∂L/∂W_l, ∂L/∂b_l. Call it inside `tf.tidy`.
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
  const [ws, bs] = [weights, biases].map((params) => params.map((p) => splitMembers(p, M)));
  const [xs, ys] = [splitMembers(x, M), splitMembers(y, M)];
  const members = xs.map((xm, m) => {
    const p = memberWeights(
      ws.map((w) => w[m]),
      bs.map((b) => b[m]),
      [], // no gradient with respect to the inputs
    );
    const { out: prediction, inputs } = forwardMember(xm, p);
    const error = tf.sub(prediction, ys[m]);
    const loss = tf.sum(tf.square(error));
    const { g } = backwardMember(tf.mul(error, 2 / (N * out)) as tf.Tensor3D, inputs, p.back);
    return { loss, ...weightGradients(inputs, g) };
  });
  const perLayer = (pick: (m: (typeof members)[number]) => tf.Tensor3D[]) =>
    weights.map((_, l) => joinMembers(members.map((m) => pick(m)[l])));
  const total = members.length === 1 ? members[0].loss : tf.addN(members.map((m) => m.loss));
  return { loss: tf.mul(total, 1 / (N * out)), dw: perLayer((m) => m.dw), db: perLayer((m) => m.db) };
}
