/**
 * Adam (Kingma & Ba) that updates all of its variables as ONE flat vector, in plain JavaScript.
 *
 * It is the same algorithm as `tf.train.adam`, with the same defaults (β1 = 0.9, β2 = 0.999,
 * ε = the backend's epsilon), in float32: per parameter θ with gradient g at step t,
 *
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,
 *   θ ← θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε).
 *
 * Why in JavaScript: tfjs's Adam runs ~14 element-wise kernels per variable, each with a fixed
 * cost (~18 µs on wasm, ~35 µs on native TensorFlow) that dwarfs the arithmetic for the small
 * networks of this course (5,000 parameters in the benchmark's model: a few µs as a loop).
 * So the gradients are read once, the formulas run on Float32Arrays, and each variable is
 * written back once. Internal to the library: `fitDynamics` and `fitValueFunction` use it.
 * (`trainBptt` keeps `tf.train.adam`: its step is dominated by the rollout, and its notebooks'
 * numbers are tied to that optimiser's float32 arithmetic.)
 */
import * as tf from "@tensorflow/tfjs";

/** The tensors' values one after another in one Float32Array (each row-major). */
export function readFlat(tensors: tf.Tensor[]): Float32Array {
  const flat = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let offset = 0;
  for (const t of tensors) {
    flat.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  return flat;
}

/** Set every variable from its block of a flat vector laid out as `readFlat` reads them. */
export function assignFlat(variables: tf.Variable[], flat: Float32Array): void {
  let offset = 0;
  for (const x of variables) {
    const block = flat.subarray(offset, offset + x.size);
    tf.tidy(() => x.assign(tf.tensor(block, x.shape, "float32")));
    offset += x.size;
  }
}

export class FlatAdam extends tf.Optimizer {
  static readonly className = "FlatAdam";
  private readonly epsilon = tf.backend().epsilon();
  /** The first and second moments (P), made at the first step; t counts the steps. */
  private moments: { names: string[]; m: Float32Array; v: Float32Array } | undefined;
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
    this.applyFlat(variables, readFlat(named.map(({ tensor }) => tensor)));
  }

  /**
   * One Adam step from the gradient already read as one flat vector.
   * @param g (P) the gradients of `variables`, one after another, each row-major
   */
  applyFlat(variables: tf.Variable[], g: Float32Array): void {
    const theta = readFlat(variables);
    this.updateFlat(variables, theta, g);
    assignFlat(variables, theta);
  }

  /**
   * One Adam step on parameters held as one flat vector, which it updates in place: for a loop
   * that keeps them there between steps and sets the variables itself (`assignFlat`).
   * @param variables the variables θ stands for (their names key the moments)
   * @param theta (P) their values, one after another, each row-major
   * @param g (P) the gradients, laid out alike
   */
  updateFlat(variables: tf.Variable[], theta: Float32Array, g: Float32Array): void {
    const { m, v } = this.momentsFor(
      variables.map((x) => x.name),
      g.length,
    );
    this.t += 1;
    // Every operation rounded to float32 (Math.fround), in the order of the tfjs kernels this
    // replaces, so that the numbers are the same, bit for bit, as with those kernels.
    const f = Math.fround;
    const [b1, b2, a1, a2] = [f(this.beta1), f(this.beta2), f(1 - this.beta1), f(1 - this.beta2)];
    const [c1, c2] = [f(1 - this.beta1 ** this.t), f(1 - this.beta2 ** this.t)];
    const [eps, minusLr] = [f(this.epsilon), f(-this.learningRate)];
    for (let i = 0; i < theta.length; i++) {
      m[i] = f(m[i] * b1) + f(g[i] * a1);
      v[i] = f(v[i] * b2) + f(f(g[i] * g[i]) * a2);
      const mHat = f(m[i] / c1);
      const vHat = f(v[i] / c2);
      theta[i] += f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * minusLr);
    }
    this.incrementIterations();
  }

  /** Forget the moments. */
  dispose(): void {
    super.dispose();
    this.moments = undefined;
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  /** The moments, made as zeros at the first step; later steps must update the same variables. */
  private momentsFor(names: string[], size: number): { m: Float32Array; v: Float32Array } {
    if (this.moments === undefined) {
      this.moments = { names, m: new Float32Array(size), v: new Float32Array(size) };
    } else if (names.join("\n") !== this.moments.names.join("\n")) {
      throw new Error(`FlatAdam: every step must update the same variables [${this.moments.names}], got [${names}]`);
    }
    return this.moments;
  }
}
