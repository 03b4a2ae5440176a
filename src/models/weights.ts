/**
 * A learned dynamics model's numbers as plain JSON, and back: how the course site ships the
 * pendulum model that notebook 03 fits (exported when the site is built, loaded in the page),
 * so the page's gradients run through exactly the notebook's weights.
 */
import * as tf from "@tensorflow/tfjs";
import { check } from "../checks";
import { DynamicsModel } from "./dynamicsModel";
import { Normalizer } from "./normalizer";
import { rng } from "../random";

/** One tensor: its shape and its values in row-major order. */
export interface SavedTensor {
  shape: number[];
  values: number[];
}

/** Everything `step` uses: the sizes, the network's weights and biases, the two normalisers. */
export interface SavedDynamicsModel {
  stateSize: number;
  actionSize: number;
  hiddenSizes: number[];
  members: number;
  weights: SavedTensor[];
  biases: SavedTensor[];
  inputNormalizer: { mean: number[]; std: number[] };
  deltaNormalizer: { mean: number[]; std: number[] };
}

const save = (t: tf.Tensor): SavedTensor => ({ shape: t.shape.slice(), values: Array.from(t.dataSync()) });

/** The model's numbers; float32 values survive the round trip exactly. */
export function saveDynamicsModel(model: DynamicsModel): SavedDynamicsModel {
  const hiddenSizes = model.net.weights.slice(0, -1).map((w) => w.shape[2]);
  return {
    stateSize: model.stateSize,
    actionSize: model.actionSize,
    hiddenSizes,
    members: model.members,
    weights: model.net.weights.map(save),
    biases: model.net.biases.map(save),
    inputNormalizer: { mean: save(model.inputNormalizer.mean).values, std: save(model.inputNormalizer.std).values },
    deltaNormalizer: { mean: save(model.deltaNormalizer.mean).values, std: save(model.deltaNormalizer.std).values },
  };
}

/**
 * A model that steps exactly as the saved one did.
 * @param saved from `saveDynamicsModel` (e.g. parsed JSON)
 */
export function loadDynamicsModel(saved: SavedDynamicsModel): DynamicsModel {
  const where = "loadDynamicsModel";
  check(
    saved != null && Array.isArray(saved.weights) && Array.isArray(saved.biases),
    where,
    "saved must have weights and biases arrays",
  );
  // The initial weights are overwritten below; any rng would do.
  const model = new DynamicsModel(saved.stateSize, saved.actionSize, rng(0), {
    hiddenSizes: saved.hiddenSizes,
    members: saved.members,
  });
  try {
    const layers = [...model.net.weights, ...model.net.biases];
    const values = [...saved.weights, ...saved.biases];
    check(
      values.length === layers.length,
      where,
      `saved must hold ${layers.length} tensors for hiddenSizes [${saved.hiddenSizes}], got ${values.length}`,
    );
    layers.forEach((v, i) => {
      check(
        values[i].shape.join() === v.shape.join(),
        where,
        `saved tensor ${i} must have shape [${v.shape}], got [${values[i].shape}]`,
      );
      tf.tidy(() => v.assign(tf.tensor(values[i].values, v.shape as [number, number, number])));
    });
    model.setNormalization(
      new Normalizer(saved.inputNormalizer.mean, saved.inputNormalizer.std),
      new Normalizer(saved.deltaNormalizer.mean, saved.deltaNormalizer.std),
    );
  } catch (e) {
    model.dispose(); // nothing half-loaded stays allocated
    throw e;
  }
  return model;
}
