/**
 * Fitting a learned dynamics model to recorded transitions (s, a, s') by supervised
 * regression: minibatch Adam on the mean squared error of normalised deltas.
 *
 * Ensembles: every member is trained on its own bootstrap resample of the training split
 * (N draws with replacement, fixed for the whole fit), and visits it in its own shuffled
 * order each epoch. The resamples differ, so the members disagree where data is thin; that
 * disagreement is what an ensemble is for. A single model uses the training split as is.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, inRange, nonNegativeInt, positive, positiveInt } from "../checks";
import { Rng } from "../random";
import type { DynamicsModel } from "./dynamicsModel";
import { Normalizer } from "./normalizer";

/** Recorded transitions, as tensors or plain nested arrays. */
export interface TransitionData {
  /** (N, S) */
  states: tf.Tensor2D | number[][];
  /** (N, A) */
  actions: tf.Tensor2D | number[][];
  /** (N, S) */
  nextStates: tf.Tensor2D | number[][];
}

/** Options of `fitDynamics`. */
export interface FitOptions {
  /**
   * Passes over the training data.
   * @default 20
   */
  epochs: number;
  /**
   * Transitions per minibatch and member; the last minibatch of an epoch is partial.
   * @default 256
   */
  batchSize: number;
  /**
   * Adam learning rate.
   * @default 1e-3
   */
  learningRate: number;
  /**
   * Fraction of the transitions held out (at random) for validation; 0 for none.
   * @default 0.1
   */
  validationFraction: number;
  /**
   * Seed of the train/validation split, the bootstrap resamples and the minibatch shuffles.
   * @default 0
   */
  seed: number;
  /**
   * Train each member on its own bootstrap resample rather than on the training split itself.
   * @default true when the model has more than one member, else false
   */
  bootstrap: boolean;
}

/** One epoch's record, passed to `onProgress` and returned in the history. */
export interface FitProgress {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean over the epoch's minibatches and the members of the MSE of normalised deltas. */
  trainLoss: number;
  /** Validation MSE of normalised deltas, mean over members; null without validation data. */
  valLoss: number | null;
  /** Validation MSE of the predicted next state, in state units; null without validation data. */
  valStateMSE: number | null;
}

const where = "fitDynamics";

/** Turn one field of the data into a tensor (N, width) we own, checking shape and finiteness. */
function toTensor(name: string, value: tf.Tensor2D | number[][], width: number): tf.Tensor2D {
  check(value != null, where, `data.${name} is missing`);
  let t: tf.Tensor2D;
  try {
    t = value instanceof tf.Tensor ? value.clone() : tf.tensor2d(value);
  } catch (e) {
    throw new Error(`${where}: data.${name} must be an (N, ${width}) array of numbers (${(e as Error).message})`);
  }
  try {
    assertShape(where, `data.${name}`, t, [null, width]);
    check(tf.tidy(() => tf.all(tf.isFinite(t)).dataSync()[0]) === 1, where, `data.${name} must be finite`);
  } catch (e) {
    t.dispose();
    throw e;
  }
  return t;
}

/** Row indices each member trains on: the training rows, or a bootstrap resample of them. */
function memberRows(nTrain: number, bootstrap: boolean, rng: Rng): Int32Array {
  const rows = new Int32Array(nTrain);
  for (let i = 0; i < nTrain; i++) rows[i] = bootstrap ? rng.int(nTrain) : i;
  return rows;
}

/** The minibatch of every member stacked member-major: batch j of each member's shuffled rows. */
function minibatchRows(orders: Int32Array[], rows: Int32Array[], start: number, size: number): Int32Array {
  const out = new Int32Array(orders.length * size);
  orders.forEach((order, m) => {
    for (let i = 0; i < size; i++) out[m * size + i] = rows[m][order[start + i]];
  });
  return out;
}

/**
 * Fit the model's normalisation statistics and weights to transitions.
 *
 * The input and delta statistics are recomputed from the training split, then every member
 * is trained with Adam on the sum over members of their own MSE of normalised deltas (the
 * sum, so each member's gradient is exactly that of its own loss). Yields to the event loop
 * after each epoch so that live progress displays can update.
 *
 * @param data transitions: states (N, S), actions (N, A), nextStates (N, S)
 * @param onProgress called after every epoch with plain numbers
 * @returns the per-epoch history
 */
export async function fitDynamics(
  model: DynamicsModel,
  data: TransitionData,
  options?: Partial<FitOptions>,
  onProgress?: (progress: FitProgress) => void,
): Promise<FitProgress[]> {
  const o = fillOptions(where, { epochs: 20, batchSize: 256, learningRate: 1e-3, validationFraction: 0.1, seed: 0, bootstrap: model.members > 1 }, options, {
    epochs: positiveInt,
    batchSize: positiveInt,
    learningRate: positive,
    validationFraction: inRange(0, 0.5),
    seed: nonNegativeInt,
    bootstrap: (v) => (typeof v === "boolean" ? undefined : `must be a boolean, got ${v}`),
  });
  check(data != null, where, "data is missing");
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);
  const optimizer = tf.train.adam(o.learningRate);
  try {
    const states = keep(toTensor("states", data.states, model.stateSize));
    const actions = keep(toTensor("actions", data.actions, model.actionSize));
    const nextStates = keep(toTensor("nextStates", data.nextStates, model.stateSize));
    const n = states.shape[0];
    check(actions.shape[0] === n && nextStates.shape[0] === n, where,
      `data.states, data.actions and data.nextStates must have the same number of rows, got ${n}, ${actions.shape[0]}, ${nextStates.shape[0]}`);

    const rng = new Rng(o.seed);
    const perm = rng.split().permutation(n);
    const nVal = Math.round(o.validationFraction * n);
    const nTrain = n - nVal;
    check(nTrain >= 1, where, `data must leave at least one training transition, got N = ${n}`);
    check(o.validationFraction === 0 || nVal >= 1, where, `validationFraction ${o.validationFraction} of N = ${n} leaves no validation transition`);
    const pick = (idx: Int32Array, t: tf.Tensor2D) => keep(tf.tidy(() => tf.gather(t, tf.tensor1d(idx, "int32")) as tf.Tensor2D));
    const trainIdx = perm.subarray(0, nTrain);
    const valIdx = perm.subarray(nTrain);
    const [sTr, aTr, nTr] = [states, actions, nextStates].map((t) => pick(trainIdx, t));
    const inputStats = tf.tidy(() => tf.concat([sTr, aTr], 1) as tf.Tensor2D);
    const deltaStats = tf.tidy(() => tf.sub(nTr, sTr) as tf.Tensor2D);
    model.setNormalization(Normalizer.fromData(inputStats), Normalizer.fromData(deltaStats));
    inputStats.dispose();
    deltaStats.dispose();
    const xTrain = keep(model.normalizedInputs(sTr, aTr));
    const yTrain = keep(model.normalizedDeltas(sTr, nTr));

    const memberRngs = rng.splitN(model.members);
    const rows = memberRngs.map((r) => memberRows(nTrain, o.bootstrap, r));
    const validate = nVal > 0 ? validator(model, [states, actions, nextStates].map((t) => pick(valIdx, t))) : undefined;

    const history: FitProgress[] = [];
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const orders = memberRngs.map((r) => r.permutation(nTrain));
      let lossSum: tf.Tensor = tf.scalar(0);
      for (let start = 0; start < nTrain; start += o.batchSize) {
        const size = Math.min(o.batchSize, nTrain - start);
        const batchRows = minibatchRows(orders, rows, start, size);
        const next = tf.tidy(() => {
          const idx = tf.tensor1d(batchRows, "int32");
          const x = tf.gather(xTrain, idx);
          const y = tf.gather(yTrain, idx);
          // Mean over rows and features of all members = mean of member MSEs; × M makes it their sum.
          const cost = optimizer.minimize(() => tf.mul(tf.losses.meanSquaredError(y, model.net.forward(x)), model.members) as tf.Scalar, true, model.net.variables());
          return tf.add(lossSum, tf.mul(cost as tf.Scalar, size / model.members));
        });
        lossSum.dispose();
        lossSum = next;
      }
      const trainLoss = lossSum.dataSync()[0] / nTrain;
      lossSum.dispose();
      check(Number.isFinite(trainLoss), where, `training loss became ${trainLoss} at epoch ${epoch}; try a smaller learningRate`);
      const progress: FitProgress = { epoch, trainLoss, ...(validate ? validate() : { valLoss: null, valStateMSE: null }) };
      history.push(progress);
      onProgress?.(progress);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return history;
  } finally {
    optimizer.dispose();
    owned.forEach((t) => t.dispose());
  }
}

/**
 * A function that scores every member on the whole validation set, one batched pass:
 * the validation rows are tiled M times, member-major.
 */
function validator(model: DynamicsModel, [s, a, next]: tf.Tensor2D[]): () => { valLoss: number; valStateMSE: number } {
  return () => {
    const [valLoss, valStateMSE] = tf.tidy(() => {
      const tile = (t: tf.Tensor2D) => tf.tile(t, [model.members, 1]) as tf.Tensor2D;
      const err = tf.sub(model.net.forward(model.normalizedInputs(tile(s), tile(a))), tile(model.normalizedDeltas(s, next)));
      const stateErr = tf.mul(err, model.deltaNormalizer.std); // error of s' in state units
      return tf.stack([tf.mean(tf.square(err)), tf.mean(tf.square(stateErr))]).dataSync();
    });
    return { valLoss, valStateMSE };
  };
}
