/**
 * Adam (Kingma & Ba) that updates all of its variables as ONE flat vector.
 *
 * It is the same algorithm as `tf.train.adam`, with the same defaults (β1 = 0.9, β2 = 0.999,
 * ε = the backend's epsilon): per parameter θ with gradient g at step t,
 *
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,
 *   θ ← θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε).
 *
 * tfjs's Adam runs those ~14 element-wise kernels once per variable; an MLP has two variables
 * per layer, and for the small networks of model fitting that was half of the kernels of each
 * minibatch step, each with a fixed cost. Here the gradients are joined into one vector, the
 * same formulas run once on it, and the update is cut back into the variables' shapes.
 * Internal to the library: `fitDynamics` uses it. (BPTT steps are dominated by the rollout, so
 * `trainBptt` keeps tf.train.adam.)
 */
import * as tf from "@tensorflow/tfjs";

export class FlatAdam extends tf.Optimizer {
  static readonly className = "FlatAdam";
  private readonly epsilon = tf.backend().epsilon();
  /** The first and second moments (P), made at the first step; t counts the steps. */
  private moments: { names: string[]; m: tf.Variable; v: tf.Variable } | undefined;
  private t = 0;

  constructor(
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
  ) {
    super();
  }

  /**
   * One Adam step. Every call must pass the same variables (by name), e.g. the gradients
   * from `minimize` or `computeGradients` over one fixed list of variables.
   */
  applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const named = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const variables = named.map(({ name }) => {
      const v = tf.engine().registeredVariables[name];
      if (v === undefined) throw new Error(`FlatAdam: no variable named ${name}`);
      return v;
    });
    const moments = this.momentsFor(
      named.map(({ name }) => name),
      variables,
    );
    this.t += 1;
    tf.tidy(() => {
      const g = tf.concat(named.map(({ tensor }) => tensor.reshape([-1])));
      const m = tf.add(tf.mul(moments.m, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(moments.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      moments.m.assign(m);
      moments.v.assign(v);
      const mHat = tf.div(m, 1 - this.beta1 ** this.t);
      const vHat = tf.div(v, 1 - this.beta2 ** this.t);
      const step = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -this.learningRate);
      const parts = tf.split(
        step,
        variables.map((x) => x.size),
      );
      variables.forEach((x, i) => x.assign(tf.add(x, parts[i].reshape(x.shape))));
    });
    this.incrementIterations();
  }

  /** Free the moments. */
  dispose(): void {
    super.dispose();
    if (this.moments) tf.dispose([this.moments.m, this.moments.v]);
    this.moments = undefined;
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  /** The moments, made as zeros at the first step; later steps must update the same variables. */
  private momentsFor(names: string[], variables: tf.Variable[]): { m: tf.Variable; v: tf.Variable } {
    if (this.moments === undefined) {
      const size = variables.reduce((n, x) => n + x.size, 0);
      const zeros = () => tf.tidy(() => tf.variable(tf.zeros([size]), false));
      this.moments = { names, m: zeros(), v: zeros() };
    } else if (names.join("\n") !== this.moments.names.join("\n")) {
      throw new Error(`FlatAdam: every step must update the same variables [${this.moments.names}], got [${names}]`);
    }
    return this.moments;
  }
}
