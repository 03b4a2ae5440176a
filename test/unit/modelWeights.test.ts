// Saving a learned dynamics model as plain JSON and loading it back: the loaded model steps
// bit-for-bit like the original (the site's 03 panel relies on it), and bad input is named.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import { Normalizer } from "../../src/models/normalizer";
import { loadDynamicsModel, saveDynamicsModel } from "../../src/models/weights";
import { rng } from "../../src/random";

describe("saveDynamicsModel / loadDynamicsModel", () => {
  it("round-trips through JSON to a model with identical steps and gradients", () => {
    const model = new DynamicsModel(3, 1, rng(5), { hiddenSizes: [8, 6] });
    model.setNormalization(
      new Normalizer([0.1, -0.2, 0.3, 0.5], [1.5, 0.7, 2, 1.1]),
      new Normalizer([0.01, 0.02, -0.03], [0.2, 0.3, 0.4]),
    );
    const loaded = loadDynamicsModel(JSON.parse(JSON.stringify(saveDynamicsModel(model))));
    const s = rng(6).normalTensor([5, 3]) as tf.Tensor2D;
    const a = rng(7).normalTensor([5, 1]) as tf.Tensor2D;
    const stepOf = (m: DynamicsModel) => tf.tidy(() => Array.from(m.step(s, a).dataSync()));
    const gradOf = (m: DynamicsModel) =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((x: tf.Tensor) =>
              m
                .step(x as tf.Tensor2D, a)
                .square()
                .sum(),
            )(s)
            .dataSync(),
        ),
      );
    expect(stepOf(loaded)).toEqual(stepOf(model));
    expect(gradOf(loaded)).toEqual(gradOf(model));
    // A fresh model from another seed steps differently: the comparison can fail.
    const other = new DynamicsModel(3, 1, rng(8), { hiddenSizes: [8, 6] });
    expect(stepOf(other)).not.toEqual(stepOf(model));
    const before = tf.memory().numTensors;
    loadDynamicsModel(saveDynamicsModel(model)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, a]);
    [model, loaded, other].forEach((m) => m.dispose());
  });

  it("names the mismatch when the saved tensors do not fit the sizes", () => {
    const model = new DynamicsModel(3, 1, rng(5), { hiddenSizes: [8] });
    const saved = saveDynamicsModel(model);
    const before = tf.memory().numTensors;
    expect(() => loadDynamicsModel({ ...saved, hiddenSizes: [8, 8] })).toThrow(
      /loadDynamicsModel.*saved must hold 6 tensors/,
    );
    expect(() => loadDynamicsModel({ ...saved, hiddenSizes: [9] })).toThrow(
      /loadDynamicsModel.*saved tensor 0 must have shape \[1,4,9\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
