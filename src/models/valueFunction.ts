/**
 * A value function V(s) ≈ E[Σ_t γ^t r_t | s_0 = s] (lecture step 04, the critic of SHAC,
 * Xu et al. 2022): an MLP regressed on sampled returns. It lets a short rollout stand in for
 * a long one, J ≈ Σ_{t<h} γ^t r_t + γ^h V(s_h), and is differentiable with respect to the
 * state, so BPTT through the window ends in ∇V instead of in the rest of the trajectory.
 *
 * Inputs and targets are standardised with the statistics of the first fit (later fits warm
 * start the same network on the same scales): V(s) = μ_R + σ_R · net((s − μ_s)/σ_s).
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, positive, positiveInt } from "../checks";
import type { Rng } from "../random";
import { MLP } from "./mlp";
import { FlatAdam } from "../flatAdam";

/** Options of a `ValueFunction`. */
export interface ValueFunctionOptions {
  /** Hidden tanh layers. @default [32, 32] */
  hiddenSizes: number[];
}

export const VALUE_FUNCTION_DEFAULTS: Readonly<ValueFunctionOptions> = { hiddenSizes: [32, 32] };

/** Options of `fitValueFunction`. */
export interface ValueFitOptions {
  /** Passes over the data. @default 20 */
  epochs: number;
  /** Rows per minibatch. @default 256 */
  batchSize: number;
  /** Adam's step size. @default 3e-3 */
  learningRate: number;
  /** Called after every epoch with the epoch (1-based) and the mean standardised MSE. @default undefined */
  onProgress: ((progress: { epoch: number; loss: number }) => void) | undefined;
}

export const VALUE_FIT_DEFAULTS: Readonly<ValueFitOptions> = {
  epochs: 20,
  batchSize: 256,
  learningRate: 3e-3,
  onProgress: undefined,
};

interface Scales {
  stateMean: number[];
  stateStd: number[];
  targetMean: number;
  targetStd: number;
}

const meanStd = (values: ArrayLike<number>, stride: number, offset: number) => {
  let [sum, squares, n] = [0, 0, 0];
  for (let i = offset; i < values.length; i += stride) {
    sum += values[i];
    n++;
  }
  const mean = sum / n;
  for (let i = offset; i < values.length; i += stride) squares += (values[i] - mean) ** 2;
  return { mean, std: Math.max(Math.sqrt(squares / n), 1e-6) };
};

export class ValueFunction {
  readonly stateSize: number;
  readonly net: MLP;
  private scales: Scales | undefined;

  /** @param rng source of the initial weights */
  constructor(stateSize: number, rng: Rng, options?: Partial<ValueFunctionOptions>) {
    const where = "ValueFunction";
    check(!positiveInt(stateSize), where, `stateSize ${positiveInt(stateSize)}`);
    const o = fillOptions(where, { ...VALUE_FUNCTION_DEFAULTS }, options, {
      hiddenSizes: (v) =>
        Array.isArray(v) && v.every((h) => !positiveInt(h)) ? undefined : `must list positive integers, got [${v}]`,
    });
    this.stateSize = stateSize;
    this.net = new MLP([stateSize, ...o.hiddenSizes, 1], rng);
  }

  /**
   * V(s), differentiable with respect to the states (and the network's variables).
   * @param states (B, S) @returns values (B)
   */
  predict(states: tf.Tensor2D): tf.Tensor1D {
    const where = "ValueFunction.predict";
    const [B] = assertShape(where, "states", states, [null, this.stateSize]);
    check(this.scales !== undefined, where, "fit the value function (fitValueFunction) before predicting");
    const { stateMean, stateStd, targetMean, targetStd } = this.scales;
    return tf.tidy(() => {
      const x = tf.div(tf.sub(states, tf.tensor1d(stateMean)), tf.tensor1d(stateStd)) as tf.Tensor2D;
      return tf.add(tf.mul(this.net.forward(x).reshape([B]), targetStd), targetMean) as tf.Tensor1D;
    });
  }

  /** Set the standardisation from the first data (later calls keep it). */
  adoptScales(states: ArrayLike<number>, targets: ArrayLike<number>): void {
    if (this.scales) return;
    const S = this.stateSize;
    const perState = Array.from({ length: S }, (_, i) => meanStd(states, S, i));
    const t = meanStd(targets, 1, 0);
    this.scales = {
      stateMean: perState.map((p) => p.mean),
      stateStd: perState.map((p) => p.std),
      targetMean: t.mean,
      targetStd: t.std,
    };
  }

  /** σ_R, the scale of the returns (set by the first fit). */
  get returnScale(): number {
    check(this.scales !== undefined, "ValueFunction.returnScale", "fit the value function first");
    return this.scales.targetStd;
  }

  dispose(): void {
    this.net.dispose();
  }
}

/**
 * Regress V on (state, return) pairs by minibatch Adam on the mean squared error of
 * standardised returns. Shuffles come from `rng`.
 * @param states (N, S) @param targets (N) sampled returns
 * @returns the mean loss of each epoch
 */
export function fitValueFunction(
  value: ValueFunction,
  states: tf.Tensor2D,
  targets: tf.Tensor1D,
  rng: Rng,
  options?: Partial<ValueFitOptions>,
): number[] {
  const where = "fitValueFunction";
  const o = fillOptions(where, { ...VALUE_FIT_DEFAULTS }, options, {
    epochs: positiveInt,
    batchSize: positiveInt,
    learningRate: positive,
  });
  const [N] = assertShape(where, "states", states, [null, value.stateSize]);
  assertShape(where, "targets", targets, [N]);
  value.adoptScales(states.dataSync(), targets.dataSync());
  const optimizer = new FlatAdam(o.learningRate);
  const variables = value.net.variables();
  const losses: number[] = [];
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const order = rng.permutation(N);
      let total = 0;
      for (let start = 0; start < N; start += o.batchSize) {
        const rows = tf.tensor1d(order.subarray(start, Math.min(N, start + o.batchSize)), "int32");
        const loss = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const x = tf.gather(states, rows);
              const error = tf.div(tf.sub(value.predict(x), tf.gather(targets, rows)), value.returnScale);
              return tf.mean(tf.square(error)) as tf.Scalar;
            }),
          true,
          variables,
        );
        total += loss!.dataSync()[0] * rows.size;
        tf.dispose([loss!, rows]);
      }
      losses.push(total / N);
      o.onProgress?.({ epoch, loss: total / N });
    }
  } finally {
    optimizer.dispose();
  }
  return losses;
}
