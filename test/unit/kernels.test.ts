// tfjs's kernels called directly (Kernels) compute what the same ops through the engine do, bit for bit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend, type BackendName } from "../../src/backend";
import { Kernels } from "../../src/models/fast/kernels";
import {
  backwardMember,
  engineOps,
  forwardMember,
  memberWeights,
  weightGradients,
  type PassOps,
} from "../../src/models/fast/mlpPasses";
import { Rng } from "../../src/random";

let before: BackendName;
beforeAll(async () => {
  before = tf.getBackend() as BackendName;
  await initBackend("wasm"); // where the library calls kernels directly
});
afterAll(async () => {
  await initBackend(before);
});

/** Every pass of one member of a [4 → 16 → 16 → 3] network with a scaling, its input in blocks of 3 and 1. */
function allPasses(ops: PassOps<tf.TensorInfo>, rng: Rng): tf.TensorInfo[] {
  const sizes = [4, 16, 16, 3];
  const w = sizes.slice(1).map((out, l) => tf.tensor3d(rng.normalArray(sizes[l] * out, 0, 0.5), [1, sizes[l], out]));
  const b = sizes.slice(1).map((out) => tf.tensor3d(rng.normalArray(out, 0, 0.1), [1, 1, out]));
  const scaling = {
    inShift: tf.tensor1d(rng.normalArray(4)),
    inScale: tf.tensor1d([0.5, 2, 1.5, 0.8]),
    outScale: tf.tensor1d([0.2, 0.1, 0.3]),
    outShift: tf.tensor1d([0.01, -0.02, 0.03]),
  };
  const x: tf.TensorInfo = tf.tensor3d(rng.normalArray(40 * 4), [1, 40, 4]);
  const dy: tf.TensorInfo = tf.tensor3d(rng.normalArray(40 * 3), [1, 40, 3]);
  const p = memberWeights(w, b, [3, 1], scaling, ops);
  const { out, inputs } = forwardMember(x, p, ops);
  const { dx, g } = backwardMember(dy, inputs, p.back, ops);
  const { dw, db } = weightGradients(inputs, g, scaling, ops);
  return [...p.a, ...p.c, ...p.back.flat(), out, ...inputs, ...dx, ...g, ...dw, ...db];
}

describe("Kernels", () => {
  it("gives the engine's numbers for every pass of the MLP, and frees all it made", () => {
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    const engine = tf.tidy(() => allPasses(engineOps, new Rng(5)).map((t) => Array.from((t as tf.Tensor).dataSync())));
    const k = new Kernels();
    const direct = tf.tidy(() =>
      allPasses(k, new Rng(5)).map((t) => Array.from(tf.backend().readSync(t.dataId) as Float32Array)),
    );
    k.free();
    expect(direct).toHaveLength(engine.length);
    direct.forEach((values, i) => expect(values).toEqual(engine[i]));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
  });
});
