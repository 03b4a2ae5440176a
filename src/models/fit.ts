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
import { check, fillOptions, inRange, positive, positiveInt } from "../checks";
import { FlatAdam, assignFlat, readFlat } from "../flatAdam";
import { Rng } from "../random";
import { dataTensor, type TransitionData } from "./data";
import type { DynamicsModel } from "./dynamicsModel";
import { mseGradients } from "./fast";
import { Normalizer } from "./normalizer";

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
   * Train each member on its own bootstrap resample rather than on the training split itself.
   * @default undefined: true when the model has more than one member, else false
   */
  bootstrap: boolean | undefined;
  /** Called after every epoch with plain numbers. @default undefined */
  onProgress: ((progress: FitProgress) => void) | undefined;
}

export const FIT_DEFAULTS: FitOptions = {
  epochs: 20,
  batchSize: 256,
  learningRate: 1e-3,
  validationFraction: 0.1,
  bootstrap: undefined,
  onProgress: undefined,
};

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

/**
 * Let other work (a kernel's display messages, a page's input) run between epochs: Node's
 * `setImmediate` where it exists (no timer clamp), else `setTimeout` (browsers have no setImmediate).
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) =>
    typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}

/** Row indices each member trains on: the training rows, or a bootstrap resample of them. */
function memberRows(nTrain: number, bootstrap: boolean, rng: Rng): Int32Array {
  const rows = new Int32Array(nTrain);
  for (let i = 0; i < nTrain; i++) rows[i] = bootstrap ? rng.int(nTrain) : i;
  return rows;
}

/** Row indices of every member's minibatch stacked member-major: batch j of each member's shuffled rows. */
function minibatchRows(orders: Int32Array[], rows: Int32Array[], start: number, size: number): Int32Array {
  const out = new Int32Array(orders.length * size);
  orders.forEach((order, m) => {
    for (let i = 0; i < size; i++) out[m * size + i] = rows[m][order[start + i]];
  });
  return out;
}

/**
 * The given rows of a row-major table, one after another. The training data stay in JavaScript
 * and each minibatch is copied out here.
 */
function rowsOf(table: Float32Array, width: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * width);
  // A plain loop: rows are a few numbers wide, and a subarray per row costs more than its copy.
  for (let i = 0, o = 0; i < rows.length; i++) {
    for (let j = rows[i] * width, end = j + width; j < end; j++, o++) out[o] = table[j];
  }
  return out;
}

/** The training and validation data, normalised for the network, and every tensor to free. */
interface Prepared {
  /** Training rows. */
  nTrain: number;
  /** Normalised inputs (N_train, S + A) and target deltas (N_train, S), row-major. */
  xTrain: Float32Array;
  yTrain: Float32Array;
  /** Raw validation transitions [states, actions, nextStates], empty without validation. */
  validation: tf.Tensor2D[];
  owned: tf.Tensor[];
}

/**
 * Check the data, split it at random into training and validation rows, set the model's
 * normalisation from the training rows, and normalise them.
 */
function prepare(model: DynamicsModel, data: TransitionData, o: FitOptions, splitRng: Rng): Prepared {
  check(data != null, where, "data is missing");
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);
  try {
    const raw = [
      keep(dataTensor<tf.Tensor2D>(where, "states", data.states, [null, model.stateSize])),
      keep(dataTensor<tf.Tensor2D>(where, "actions", data.actions, [null, model.actionSize])),
      keep(dataTensor<tf.Tensor2D>(where, "nextStates", data.nextStates, [null, model.stateSize])),
    ];
    const n = raw[0].shape[0];
    check(
      raw.every((t) => t.shape[0] === n),
      where,
      `data.states, data.actions and data.nextStates must have the same number of rows, got ${raw.map((t) => t.shape[0]).join(", ")}`,
    );
    const nVal = Math.round(o.validationFraction * n);
    check(n - nVal >= 1, where, `data must leave at least one training transition, got N = ${n}`);
    check(
      o.validationFraction === 0 || nVal >= 1,
      where,
      `validationFraction ${o.validationFraction} of N = ${n} leaves no validation transition`,
    );
    const perm = splitRng.permutation(n);
    const pick = (idx: Int32Array) =>
      raw.map((t) => keep(tf.tidy(() => tf.gather(t, tf.tensor1d(idx, "int32")) as tf.Tensor2D)));
    const [s, a, next] = pick(perm.subarray(0, n - nVal));
    const statsOf = (t: tf.Tensor2D) => {
      const stats = Normalizer.fromData(t);
      t.dispose();
      return stats;
    };
    model.setNormalization(statsOf(tf.concat([s, a], 1)), statsOf(tf.sub(next, s)));
    const read = (t: tf.Tensor2D) => {
      const values = t.dataSync() as Float32Array;
      t.dispose();
      return values;
    };
    return {
      nTrain: n - nVal,
      xTrain: read(model.normalizedInputs(s, a)),
      yTrain: read(model.normalizedDeltas(s, next)),
      validation: nVal > 0 ? pick(perm.subarray(n - nVal)) : [],
      owned,
    };
  } catch (e) {
    owned.forEach((t) => t.dispose());
    throw e;
  }
}

/**
 * One pass over the training rows: every member steps through its own shuffled rows in
 * minibatches, all members in one step. Returns the mean over rows and members of
 * the normalised-delta MSE.
 */
function trainEpoch(
  model: DynamicsModel,
  optimizer: FlatAdam,
  p: Prepared,
  rows: Int32Array[],
  memberRngs: Rng[],
  batchSize: number,
): number {
  const { nTrain } = p;
  const { members, net } = model;
  const [inWidth, outWidth] = [net.inputSize, net.outputSize];
  const variables = net.variables(); // W_0, b_0, W_1, b_1, …
  // The parameters stay in one array through the epoch; the variables are set at its end.
  const theta = readFlat(variables);
  const orders = memberRngs.map((r) => r.permutation(nTrain));
  let lossSum = 0;
  for (let start = 0; start < nTrain; start += batchSize) {
    const size = Math.min(batchSize, nTrain - start);
    const batchRows = minibatchRows(orders, rows, start, size);
    // The loss is the sum over members of their own MSE, so each member's gradient is exactly
    // that of its own loss (see mseGradients).
    const { loss, grad } = mseGradients(
      net.sizes,
      members,
      theta,
      rowsOf(p.xTrain, inWidth, batchRows),
      rowsOf(p.yTrain, outWidth, batchRows),
    );
    lossSum += (loss * size) / members;
    optimizer.updateFlat(variables, theta, grad);
  }
  assignFlat(variables, theta);
  return lossSum / nTrain;
}

/**
 * Fit the model's normalisation statistics and weights to transitions.
 *
 * A random `validationFraction` of the transitions is held out. The input and delta
 * statistics are recomputed from the training rows, then every member is trained with a
 * fresh Adam on the sum over members of their own MSE of normalised deltas (the sum, so each
 * member's gradient is exactly that of its own loss). Yields to the event loop after each
 * epoch so that live progress displays can update.
 *
 * Randomness: the rng's first child stream splits the data, and the next M child streams give
 * each member its bootstrap and shuffles; so without bootstrap, member 0 of an ensemble sees
 * the same minibatches as a one-member model fitted with an equal rng.
 *
 * @param data transitions: states (N, S), actions (N, A), nextStates (N, S)
 * @param rng the train/validation split, the bootstrap resamples and the minibatch shuffles
 * @returns the per-epoch history
 */
export async function fitDynamics(
  model: DynamicsModel,
  data: TransitionData,
  rng: Rng,
  options?: Partial<FitOptions>,
): Promise<FitProgress[]> {
  check(model != null && model.net != null, where, "model must be a DynamicsModel");
  check(rng instanceof Rng, where, "rng must be an Rng");
  const filled = fillOptions(where, FIT_DEFAULTS, options, {
    epochs: positiveInt,
    batchSize: positiveInt,
    learningRate: positive,
    validationFraction: inRange(0, 0.5),
    bootstrap: (v) => (v === undefined || typeof v === "boolean" ? undefined : `must be a boolean, got ${v}`),
  });
  const o = { ...filled, bootstrap: filled.bootstrap ?? model.members > 1 };
  const { onProgress } = o;
  const p = prepare(model, data, o, rng.split());
  const optimizer = new FlatAdam(o.learningRate);
  try {
    const memberRngs = rng.splitN(model.members);
    const rows = memberRngs.map((r) => memberRows(p.nTrain, o.bootstrap, r));
    const history: FitProgress[] = [];
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const trainLoss = trainEpoch(model, optimizer, p, rows, memberRngs, o.batchSize);
      check(
        Number.isFinite(trainLoss),
        where,
        `training loss became ${trainLoss} at epoch ${epoch}; try a smaller learningRate`,
      );
      const val = p.validation.length > 0 ? validate(model, p.validation) : { valLoss: null, valStateMSE: null };
      const progress: FitProgress = { epoch, trainLoss, ...val };
      history.push(progress);
      onProgress?.(progress);
      await yieldToEventLoop();
    }
    return history;
  } finally {
    optimizer.dispose();
    p.owned.forEach((t) => t.dispose());
  }
}

/**
 * Score every member on the whole validation set in one batched pass (the rows tiled M
 * times, member-major): the mean over members of the MSE of normalised deltas, and of s'
 * in state units.
 * @param validation [states (V, S), actions (V, A), nextStates (V, S)]
 */
function validate(model: DynamicsModel, [s, a, next]: tf.Tensor2D[]): { valLoss: number; valStateMSE: number } {
  const [valLoss, valStateMSE] = tf.tidy(() => {
    const tile = (t: tf.Tensor2D) => tf.tile(t, [model.members, 1]) as tf.Tensor2D;
    const err = tf.sub(
      model.net.forward(model.normalizedInputs(tile(s), tile(a))),
      tile(model.normalizedDeltas(s, next)),
    );
    const stateErr = tf.mul(err, model.deltaNormalizer.std); // s' error = delta error, in state units
    return tf.stack([tf.mean(tf.square(err)), tf.mean(tf.square(stateErr))]).dataSync();
  });
  return { valLoss, valStateMSE };
}
