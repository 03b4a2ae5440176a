/**
 * A multilayer perceptron with tanh hidden layers and a linear output, held as an ensemble of
 * M independent networks that are evaluated together. A single network is simply M = 1.
 *
 * Layer l keeps every member's weights stacked, W_l (M, in, out) and b_l (M, 1, out), and a
 * batch is laid out member-major, so one call evaluates every member on its own rows: this is
 * how a planner scores N action sequences under all M models at once.
 *
 * Initialisation is Glorot/Xavier uniform, W ~ U(−√(6/(in+out)), +√(6/(in+out))), with zero
 * biases: it keeps the scale of the signal roughly constant through tanh layers at the start.
 * Each member draws its weights from its own child stream of the `Rng` passed in.
 */
import * as tf from "@tensorflow/tfjs";
import { assertFinite, assertShape, check, fillOptions, positiveInt } from "../checks";
import type { Rng } from "../random";
import { EnsembleLayers, type MemberWeights } from "./fast";

/** Options of an `MLP`. */
export interface MLPOptions {
  /**
   * How many independent networks (ensemble members) to hold.
   * @default 1
   */
  members: number;
}

export const MLP_DEFAULTS: MLPOptions = { members: 1 };

export class MLP {
  /** Layer widths from input to output, e.g. [23, 250, 250, 17]. */
  readonly sizes: readonly number[];
  /** Number of ensemble members M. */
  readonly members: number;
  /** Per layer, the stacked weights (M, in, out). */
  readonly weights: tf.Variable<tf.Rank.R3>[];
  /** Per layer, the stacked biases (M, 1, out). */
  readonly biases: tf.Variable<tf.Rank.R3>[];
  /** The forward pass with its hand-written gradient, and the weights it keeps (see ensembleLayers). */
  private readonly layers: EnsembleLayers;

  /**
   * @param sizes layer widths from input to output; at least two entries (input and output).
   * @param rng source of the initial weights.
   */
  constructor(sizes: readonly number[], rng: Rng, options?: Partial<MLPOptions>) {
    const where = "MLP";
    const o = fillOptions(where, MLP_DEFAULTS, options, { members: positiveInt });
    check(
      Array.isArray(sizes) && sizes.length >= 2,
      where,
      `sizes must list at least the input and output widths, got [${sizes}]`,
    );
    sizes.forEach((d, i) =>
      check(Number.isInteger(d) && d > 0, where, `sizes[${i}] must be a positive integer, got ${d}`),
    );
    this.sizes = [...sizes];
    this.members = o.members;
    const memberRngs = rng.splitN(o.members);
    this.weights = [];
    this.biases = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const w = new Float32Array(o.members * fanIn * fanOut);
      memberRngs.forEach((r, m) => w.set(r.uniformArray(fanIn * fanOut, -limit, limit), m * fanIn * fanOut));
      // In a tidy, so that the initial values (copied into the variables) are freed.
      this.weights.push(tf.tidy(() => tf.variable(tf.tensor3d(w, [o.members, fanIn, fanOut]))));
      this.biases.push(tf.tidy(() => tf.variable(tf.zeros([o.members, 1, fanOut]))));
    }
    this.layers = new EnsembleLayers(o.members, [...this.weights, ...this.biases]);
  }

  get inputSize(): number {
    return this.sizes[0];
  }

  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** All trainable variables, e.g. for `optimizer.minimize(f, true, mlp.variables())`. */
  variables(): tf.Variable[] {
    return this.weights.flatMap((w, l) => [w, this.biases[l]]);
  }

  /** Number of parameters of ONE member. */
  memberParameterCount(): number {
    let count = 0;
    for (let l = 0; l + 1 < this.sizes.length; l++) count += (this.sizes[l] + 1) * this.sizes[l + 1];
    return count;
  }

  /** Number of parameters of the whole ensemble (M × one member). */
  parameterCount(): number {
    return this.members * this.memberParameterCount();
  }

  /**
   * A member-major batch: rows [m·N, (m+1)·N) go to member m (with M = 1, any batch).
   * Differentiable to first order (inside `tf.grad` or `optimizer.minimize`) with respect to
   * x and the variables, through a hand-written backward pass (see ensembleLayers).
   * @param x (M·N, in)
   * @param outputBound b > 0: return b·tanh(output), a bounded output such as a policy's action,
   *   differentiated inside the same node; undefined: the linear output
   * @returns (M·N, out)
   */
  forward(x: tf.Tensor2D, outputBound?: number): tf.Tensor2D {
    const where = "MLP.forward";
    const [rows] = assertShape(where, "x", x, [null, this.inputSize]);
    check(
      rows % this.members === 0,
      where,
      `x must have a multiple of members = ${this.members} rows (member-major), got ${rows}`,
    );
    check(
      outputBound === undefined || (Number.isFinite(outputBound) && outputBound > 0),
      where,
      `outputBound must be a positive number or undefined, got ${outputBound}`,
    );
    return this.layers.apply([x], [...this.weights, ...this.biases], { outputBound });
  }

  /** The weights `forward` computes with, per member (see `EnsembleLayers.weightsFor`). */
  passWeights(): MemberWeights[] {
    return this.layers.weightsFor([...this.weights, ...this.biases]);
  }

  /**
   * Every member on its own inputs: the same computation as `forward`, shaped by member.
   * @param x (M, N, in)
   * @returns (M, N, out)
   */
  forwardMembers(x: tf.Tensor3D): tf.Tensor3D {
    const [, n] = assertShape("MLP.forwardMembers", "x", x, [this.members, null, this.inputSize]);
    return tf.tidy(() =>
      this.forward(x.reshape([this.members * n, this.inputSize])).reshape([this.members, n, this.outputSize]),
    );
  }

  /**
   * All parameters as one flat vector, member-major: member 0's W_0, b_0, W_1, b_1, …, then
   * member 1's, and so on; each W_l row-major (in, out). So `flat.subarray(m·P, (m+1)·P)` with
   * P = `memberParameterCount()` is member m alone, in the layout of a one-member MLP.
   */
  getFlat(): Float32Array {
    const P = this.memberParameterCount();
    const flat = new Float32Array(this.members * P);
    this.forEachBlock((v, blockSize, offset) => {
      const data = v.dataSync();
      for (let m = 0; m < this.members; m++)
        flat.set(data.subarray(m * blockSize, (m + 1) * blockSize), m * P + offset);
    });
    return flat;
  }

  /** Set all parameters from a flat vector laid out as in `getFlat`. */
  setFlat(flat: ArrayLike<number>): void {
    const P = this.memberParameterCount();
    check(
      flat != null && flat.length === this.members * P,
      "MLP.setFlat",
      `flat must hold ${this.members * P} numbers, got ${flat?.length}`,
    );
    assertFinite("MLP.setFlat", "flat", flat);
    const values = Float32Array.from(flat);
    this.forEachBlock((v, blockSize, offset) => {
      const data = new Float32Array(this.members * blockSize);
      for (let m = 0; m < this.members; m++)
        data.set(values.subarray(m * P + offset, m * P + offset + blockSize), m * blockSize);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
    });
  }

  /** Free the variables. */
  dispose(): void {
    this.layers.dispose();
    this.variables().forEach((v) => v.dispose());
  }

  /** Visit each variable with its per-member size and its offset inside one member's flat block. */
  private forEachBlock(visit: (v: tf.Variable, blockSize: number, offset: number) => void): void {
    let offset = 0;
    for (const v of this.variables()) {
      const blockSize = v.size / this.members;
      visit(v, blockSize, offset);
      offset += blockSize;
    }
  }
}
