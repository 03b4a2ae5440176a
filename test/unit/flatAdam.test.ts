import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { FlatAdam } from "../../src/flatAdam";
import { Rng } from "../../src/random";

describe("FlatAdam", () => {
  /** Two variables of different shapes and a loss whose gradients differ in scale by 100x. */
  function problem(seed: number) {
    const rng = new Rng(seed);
    const a = tf.variable(tf.tensor2d(rng.normalArray(6), [2, 3]));
    const b = tf.variable(tf.tensor1d(rng.normalArray(4)));
    const [ta, tb] = [tf.tensor2d(rng.normalArray(6), [2, 3]), tf.tensor1d(rng.normalArray(4))];
    const loss = () =>
      tf.add(tf.sum(tf.square(tf.sub(a, ta))), tf.mul(100, tf.sum(tf.square(tf.sub(b, tb))))) as tf.Scalar;
    return { variables: [a, b], loss, dispose: () => tf.dispose([a, b, ta, tb]) };
  }

  it("takes the same steps as tf.train.adam", () => {
    const ours = problem(1);
    const theirs = problem(1);
    const initial = ours.variables.map((v) => Array.from(v.dataSync()));
    const [flat, adam] = [new FlatAdam(0.05), tf.train.adam(0.05)];
    for (let step = 0; step < 8; step++) {
      tf.tidy(() => {
        flat.minimize(ours.loss, false, ours.variables);
      });
      tf.tidy(() => {
        adam.minimize(theirs.loss, false, theirs.variables);
      });
    }
    ours.variables.forEach((v, i) => {
      const [x, y] = [v.dataSync(), theirs.variables[i].dataSync()];
      expect(Array.from(x)).not.toEqual(initial[i]); // it moved
      x.forEach((xi, j) => expect(Math.abs(xi - y[j])).toBeLessThanOrEqual(1e-5));
    });
    flat.dispose();
    adam.dispose();
    ours.dispose();
    theirs.dispose();
  });

  it("computes in float32 exactly what the same formulas give as tfjs kernels", () => {
    const ours = problem(3);
    const kernels = problem(3);
    const [lr, b1, b2] = [0.05, 0.9, 0.999];
    const eps = tf.backend().epsilon();
    const moments: { m: tf.Tensor; v: tf.Tensor }[] = kernels.variables.map((v) => ({
      m: tf.zerosLike(v),
      v: tf.zerosLike(v),
    }));
    const flat = new FlatAdam(lr);
    for (let t = 1; t <= 8; t++) {
      tf.tidy(() => {
        flat.minimize(ours.loss, false, ours.variables);
      });
      tf.tidy(() => {
        const { grads } = tf.variableGrads(kernels.loss, kernels.variables);
        kernels.variables.forEach((x, i) => {
          const g = grads[x.name];
          const m = tf.add(tf.mul(moments[i].m, b1), tf.mul(g, 1 - b1));
          const v = tf.add(tf.mul(moments[i].v, b2), tf.mul(tf.square(g), 1 - b2));
          const mHat = tf.div(m, 1 - b1 ** t);
          const vHat = tf.div(v, 1 - b2 ** t);
          x.assign(tf.add(x, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), eps)), -lr)));
          tf.dispose([moments[i].m, moments[i].v]);
          moments[i] = { m: tf.keep(m), v: tf.keep(v) };
        });
      });
    }
    ours.variables.forEach((v, i) =>
      expect(Array.from(v.dataSync())).toEqual(Array.from(kernels.variables[i].dataSync())),
    );
    flat.dispose();
    tf.dispose(moments.flatMap((x) => [x.m, x.v]));
    ours.dispose();
    kernels.dispose();
  });

  it("holds no tensors of its own, and rejects a step on other variables", () => {
    const p = problem(2);
    const before = tf.memory().numTensors;
    const flat = new FlatAdam(0.01);
    tf.tidy(() => {
      flat.minimize(p.loss, false, p.variables);
    });
    expect(tf.memory().numTensors).toBe(before); // its moments are plain arrays
    expect(() =>
      tf.tidy(() => {
        flat.minimize(p.loss, false, [p.variables[0]]);
      }),
    ).toThrow(/FlatAdam: every step must update the same variables/);
    flat.dispose();
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });
});
