/**
 * Per-feature standardisation z = (x − μ) / σ, and its inverse x = z·σ + μ.
 *
 * A dynamics network trains much better on inputs and targets of unit scale: raw pendulum
 * speeds are ~8 while one-step angle changes are ~0.05, and without rescaling the loss would
 * be dominated by whichever feature happens to be largest.
 */
import * as tf from "@tensorflow/tfjs";
import { assertFinite, assertShape, check } from "../checks";

/** Below this a feature counts as constant: it is centred but not scaled (σ taken as 1). */
const CONSTANT_STD = 1e-6;

export class Normalizer {
  /** Feature means μ (F). */
  readonly mean: tf.Tensor1D;
  /** Feature scales σ (F), all > 0. */
  readonly std: tf.Tensor1D;

  /**
   * @param mean μ, one entry per feature
   * @param std σ, one entry per feature, each > 0
   */
  constructor(mean: ArrayLike<number>, std: ArrayLike<number>) {
    const where = "Normalizer";
    check(mean != null && mean.length > 0, where, "mean must hold at least one number");
    check(
      std != null && std.length === mean.length,
      where,
      `std must hold ${mean.length} numbers like mean, got ${std?.length}`,
    );
    assertFinite(where, "mean", mean);
    assertFinite(where, "std", std);
    for (let i = 0; i < std.length; i++) check(std[i] > 0, where, `std must be > 0, but entry ${i} is ${std[i]}`);
    this.mean = tf.keep(tf.tensor1d(Array.from(mean)));
    this.std = tf.keep(tf.tensor1d(Array.from(std)));
  }

  /** μ = 0, σ = 1: leaves data unchanged. */
  static identity(size: number): Normalizer {
    check(Number.isInteger(size) && size > 0, "Normalizer.identity", `size must be a positive integer, got ${size}`);
    return new Normalizer(new Array(size).fill(0), new Array(size).fill(1));
  }

  /**
   * The mean and (population) standard deviation of each column of the data.
   * A constant column (σ < 1e-6) gets σ = 1, so it is centred but never blown up.
   * @param x (N, F) with N ≥ 1
   */
  static fromData(x: tf.Tensor2D): Normalizer {
    const [n] = assertShape("Normalizer.fromData", "x", x, [null, null]);
    check(n >= 1, "Normalizer.fromData", "x must have at least one row");
    const { mean, variance } = tf.tidy(() => tf.moments(x, 0));
    const mu = mean.dataSync();
    const sd = Float32Array.from(variance.dataSync(), (v) => (Math.sqrt(v) < CONSTANT_STD ? 1 : Math.sqrt(v)));
    mean.dispose();
    variance.dispose();
    return new Normalizer(mu, sd);
  }

  /** Number of features F. */
  get size(): number {
    return this.mean.shape[0];
  }

  /**
   * (x − μ) / σ, row by row.
   * @param x (N, F)
   * @returns (N, F)
   */
  normalize(x: tf.Tensor2D): tf.Tensor2D {
    assertShape("Normalizer.normalize", "x", x, [null, this.size]);
    return tf.tidy(() => tf.div(tf.sub(x, this.mean), this.std));
  }

  /**
   * z·σ + μ, row by row.
   * @param z (N, F)
   * @returns (N, F)
   */
  denormalize(z: tf.Tensor2D): tf.Tensor2D {
    assertShape("Normalizer.denormalize", "z", z, [null, this.size]);
    return tf.tidy(() => tf.add(tf.mul(z, this.std), this.mean));
  }

  /** The statistics as plain numbers, for display or saving. */
  values(): { mean: number[]; std: number[] } {
    return { mean: Array.from(this.mean.dataSync()), std: Array.from(this.std.dataSync()) };
  }

  /** Free the tensors. */
  dispose(): void {
    this.mean.dispose();
    this.std.dispose();
  }
}
