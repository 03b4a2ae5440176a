import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { Rng } from "../../src/random";
import { mlpPolicy } from "../../src/control/mlpPolicy";

beforeAll(async () => {
  await initBackend();
});

describe("mlpPolicy", () => {
  it("computes maxAction · tanh(net(s)), bounded, with the net's variables", () => {
    const { net, policy, variables } = mlpPolicy(new Rng(1), { maxAction: 2 });
    const s = new Rng(2).normalTensor([5, 3], 0, 3) as tf.Tensor2D;
    const a = Array.from(policy(s).dataSync());
    const byHand = Array.from(tf.tidy(() => tf.tanh(net.forward(s)).mul(2)).dataSync());
    a.forEach((v, i) => expect(v).toBeCloseTo(byHand[i], 6));
    expect(a.every((v) => Math.abs(v) <= 2)).toBe(true);
    expect(variables).toEqual(net.variables());
    tf.dispose([s]);
    net.dispose();
  });

  it("differentiates its bound inside the network's node exactly as autodiff does through tanh and the product", () => {
    const { net, policy, variables } = mlpPolicy(new Rng(5), { maxAction: 2 });
    const s = new Rng(6).normalTensor([7, 3], 0, 2) as tf.Tensor2D;
    const weights = tf.tensor2d([[0.3], [-1.2], [0.7], [2.0], [-0.4], [0.9], [1.5]]);
    const gradients = (act: (s: tf.Tensor2D) => tf.Tensor2D) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(act(s), weights)) as tf.Scalar, variables);
      const all = [value, ...variables.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      return all;
    };
    const onTape = gradients((x) => tf.mul(tf.tanh(net.forward(x)), 2));
    expect(gradients(policy)).toEqual(onTape);
    expect(() => net.forward(s, 0)).toThrow(/MLP.forward: outputBound must be a positive number/);
    tf.dispose([s, weights]);
    net.dispose();
  });

  it("scales the last layer's initial weights by outputScale, so 0.01 gives nearly passive actions", () => {
    const full = mlpPolicy(new Rng(3));
    const quiet = mlpPolicy(new Rng(3), { outputScale: 0.01 });
    const last = (p: typeof full) => Array.from(p.net.weights[p.net.weights.length - 1].dataSync());
    last(quiet).forEach((w, i) => expect(w).toBeCloseTo(0.01 * last(full)[i], 7));
    full.net.dispose();
    quiet.net.dispose();
  });

  it("names a bad argument, and leaks nothing per call", () => {
    expect(() => mlpPolicy(new Rng(1), { maxAction: 0 })).toThrow(/mlpPolicy: option maxAction/);
    expect(() => mlpPolicy(new Rng(1), { hiddenSizes: [0] })).toThrow(/mlpPolicy: option hiddenSizes/);
    const { net, policy } = mlpPolicy(new Rng(4));
    const s = tf.zeros([2, 3]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    policy(s).dispose();
    expect(tf.memory().numTensors).toBe(before);
    s.dispose();
    net.dispose();
  });
});
