import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { leakedTensors } from "./helpers";
import type { Dynamics, RewardFn } from "../../src/envs/types";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import { MLP } from "../../src/models/mlp";
import { Normalizer } from "../../src/models/normalizer";
import { policyObjective } from "../../src/control/rollout";
import { referenceForward, referenceStep } from "../../src/models/reference";
import { mseGradients } from "../../src/models/fast";
import { denseKernel, plainKernel } from "../../src/models/fast/simdDense";
import { readFlat } from "../../src/flatAdam";
import { initBackend, registerBackends, type BackendName } from "../../src/backend";

// The library's MLP runs a fused σ-form forward pass and a hand-written backward pass
// (src/models/fast/). The independent answer here is tfjs's own autodiff of the readable
// reference (src/models/reference.ts: tf.tanh layers, per-member slices) on the same variables,
// on every backend that registers here (cpu and wasm; tensorflow where tfjs-node is installed).

const plainForward = referenceForward;

/** The reference delta model as a `Dynamics`. */
function plainDynamics(model: DynamicsModel): Dynamics {
  return {
    stateSize: model.stateSize,
    actionSize: model.actionSize,
    members: model.members,
    step: (s, a) => referenceStep(model, s, a),
  };
}

/** The gradients of f with respect to the variables, as plain arrays by variable name. */
function gradients(f: () => tf.Scalar, variables: tf.Variable[]): Record<string, Float32Array> {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(f, variables);
    return Object.fromEntries(variables.map((v) => [v.name, grads[v.name].dataSync() as Float32Array]));
  });
}

/** Float32 forward and backward: agreement to 1e-4 relative to the gradient's size. */
function expectSameGradients(ours: Record<string, Float32Array>, plain: Record<string, Float32Array>): void {
  expect(Object.keys(ours).sort()).toEqual(Object.keys(plain).sort());
  let compared = 0;
  for (const [name, g] of Object.entries(ours)) {
    const ref = plain[name];
    expect(g.length).toBe(ref.length);
    const scale = 1 + Math.max(...Array.from(ref, Math.abs));
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - ref[i])).toBeLessThanOrEqual(1e-4 * scale);
    compared += g.length;
  }
  expect(compared).toBeGreaterThan(0);
}

function modelWithStats(seed: number, members: number): DynamicsModel {
  const rng = new Rng(seed);
  const model = new DynamicsModel(3, 1, rng, { hiddenSizes: [8, 8], members });
  model.net.setFlat(rng.normalArray(model.net.parameterCount(), 0, 0.5));
  model.setNormalization(
    new Normalizer(rng.normalArray(4, 0, 2), rng.uniformArray(4, 0.5, 2)),
    new Normalizer(rng.normalArray(3, 0, 0.1), rng.uniformArray(3, 0.05, 0.5)),
  );
  return model;
}

describe.each(registerBackends())("the MLP's fast path against the reference, on %s", (backend) => {
  let previous: BackendName;
  beforeAll(async () => {
    previous = tf.getBackend() as BackendName;
    await initBackend(backend);
  });
  afterAll(async () => {
    await initBackend(previous);
  });

  it("computes the same values as the reference forward pass and delta-model step", () => {
    const model = modelWithStats(11, 3);
    const rng = new Rng(12);
    const s = rng.normalTensor([6, 3]) as tf.Tensor2D;
    const a = rng.normalTensor([6, 1]) as tf.Tensor2D;
    const x = rng.normalTensor([6, 4]) as tf.Tensor2D;
    const pairs = [
      [model.net.forward(x), referenceForward(model.net, x)],
      [model.step(s, a), referenceStep(model, s, a)],
    ];
    for (const [fast, plain] of pairs) {
      const [f, p] = [fast.dataSync(), plain.dataSync()];
      expect(f.length).toBe(p.length);
      for (let i = 0; i < f.length; i++) expect(Math.abs(f[i] - p[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(p[i])));
    }
    tf.dispose([s, a, x, ...pairs.flat()]);
    model.dispose();
  });

  it.each([1, 3])(
    "equals autodiff of the plain formula, for the input and every weight, before and after the weights change (members = %i)",
    (members) => {
      const rng = new Rng(20 + members);
      const net = new MLP([3, 6, 5, 2], rng, { members });
      const x = tf.variable(tf.tensor2d(rng.normalArray(members * 4 * 3), [members * 4, 3]));
      const c = tf.tensor2d(rng.normalArray(members * 4 * 2), [members * 4, 2]); // J = Σ c ⊙ y
      const variables = [x, ...net.variables()];
      for (let round = 0; round < 2; round++) {
        net.setFlat(rng.normalArray(net.parameterCount(), 0, 0.7));
        const ours = gradients(() => tf.sum(tf.mul(c, net.forward(x))), variables);
        const plain = gradients(() => tf.sum(tf.mul(c, plainForward(net, x))), variables);
        expectSameGradients(ours, plain);
      }
      tf.dispose([x, c]);
      net.dispose();
    },
  );

  it("is right through a rollout that calls one policy at every step, with the model frozen, the policy frozen, or neither", () => {
    const rng = new Rng(30);
    const model = modelWithStats(31, 1);
    const policyNet = new MLP([3, 8, 8, 1], rng);
    policyNet.setFlat(rng.normalArray(policyNet.parameterCount(), 0, 0.5));
    const starts = tf.tensor2d(rng.normalArray(6 * 3), [6, 3]);
    const reward: RewardFn = (_s, a, next) =>
      tf.tidy(() => tf.neg(tf.add(tf.sum(tf.square(next), 1), tf.sum(tf.square(a), 1))) as tf.Tensor1D);
    const ours = () =>
      policyObjective({ dynamics: model, reward }, (s) => policyNet.forward(s), starts, undefined, { horizon: 4 });
    const plain = () =>
      policyObjective(
        { dynamics: plainDynamics(model), reward },
        (s) => plainForward(policyNet, s),
        starts,
        undefined,
        { horizon: 4 },
      );
    for (const variables of [
      policyNet.variables(),
      model.net.variables(),
      [...policyNet.variables(), ...model.net.variables()],
    ]) {
      expectSameGradients(gradients(ours, variables), gradients(plain, variables));
    }
    starts.dispose();
    policyNet.dispose();
    model.dispose();
  });

  it("is right for an ensemble dynamics model's step, with respect to states, actions and weights", () => {
    const rng = new Rng(40);
    const model = modelWithStats(41, 2);
    const s = tf.variable(tf.tensor2d(rng.normalArray(2 * 5 * 3), [10, 3]));
    const a = tf.variable(tf.tensor2d(rng.normalArray(2 * 5), [10, 1]));
    const c = tf.tensor2d(rng.normalArray(10 * 3), [10, 3]);
    const variables = [s, a, ...model.net.variables()];
    const ours = gradients(() => tf.sum(tf.mul(c, model.step(s, a))), variables);
    const plain = gradients(() => tf.sum(tf.mul(c, plainDynamics(model).step(s, a))), variables);
    expectSameGradients(ours, plain);
    tf.dispose([s, a, c]);
    model.dispose();
  });

  it("is right when the weights change inside the function being differentiated", () => {
    const rng = new Rng(45);
    const net = new MLP([3, 5, 2], rng, { members: 2 });
    const [first, second] = [
      rng.normalArray(net.parameterCount(), 0, 0.5),
      rng.normalArray(net.parameterCount(), 0, 0.5),
    ];
    const x = tf.variable(tf.tensor2d(rng.normalArray(4 * 3), [4, 3]));
    const twice = (forward: (x: tf.Tensor2D) => tf.Tensor2D) => () => {
      net.setFlat(first);
      const y1 = forward(x);
      net.setFlat(second);
      return tf.sum(tf.mul(y1, forward(x))) as tf.Scalar;
    };
    const variables = [x, ...net.variables()];
    expectSameGradients(
      gradients(
        twice((v) => net.forward(v)),
        variables,
      ),
      gradients(
        twice((v) => plainForward(net, v)),
        variables,
      ),
    );
    x.dispose();
    net.dispose();
  });

  // Networks of widths that the kernel pads (inputs not a multiple of 4, widths not of 8, rows
  // not of 4), one member or several, on simdDense's kernel and on its plain-loop stand-in.
  const fitCases = [
    { sizes: [4, 8, 8, 3], members: 1, N: 5 },
    { sizes: [4, 8, 8, 3], members: 3, N: 5 },
    { sizes: [5, 10, 7, 2], members: 2, N: 9 },
    { sizes: [3, 12, 1], members: 1, N: 6 },
  ];
  const kernels = { exact: () => denseKernel("exact"), fused: () => denseKernel("fastest"), plain: plainKernel };
  it.each(fitCases.flatMap((c) => (["exact", "fused", "plain"] as const).map((kernel) => ({ ...c, kernel }))))(
    "gives model fitting's loss and gradients off the tape (mseGradients): $members × $sizes, N = $N, $kernel kernel",
    ({ sizes, members, N, kernel }) => {
      const rng = new Rng(60 + members + sizes.length);
      const net = new MLP(sizes, rng, { members });
      net.setFlat(rng.normalArray(net.parameterCount(), 0, 0.5));
      const [inW, outW] = [sizes[0], sizes[sizes.length - 1]];
      const xs = Float32Array.from(rng.normalArray(members * N * inW));
      const ys = Float32Array.from(rng.normalArray(members * N * outW));
      const [x, y] = [tf.tensor2d(xs, [members * N, inW]), tf.tensor2d(ys, [members * N, outW])];
      // The plain loss: Σ_m mean over member m's rows and outputs of the squared error.
      const plainLoss = () =>
        tf.tidy(() => tf.mul(tf.mean(tf.square(tf.sub(plainForward(net, x), y))), members) as tf.Scalar);
      const variables = net.variables();
      const theta = readFlat(variables);
      const ours = mseGradients(sizes, members, theta, xs, ys, kernels[kernel]() ?? undefined);
      let offset = 0;
      const byName = Object.fromEntries(variables.map((v) => [v.name, ours.grad.subarray(offset, (offset += v.size))]));
      const plainValue = tf.tidy(() => plainLoss().dataSync()[0]);
      expect(Math.abs(ours.loss - plainValue)).toBeLessThanOrEqual(1e-5 * (1 + plainValue));
      expectSameGradients(byName, gradients(plainLoss, variables));
      // And one entry of each layer's W against a central finite difference of the plain loss.
      const flat = net.getFlat();
      const P = net.memberParameterCount();
      const last = members - 1;
      offset = 0;
      for (let l = 0; l + 1 < sizes.length; l++) {
        const [i, o] = [sizes[l], sizes[l + 1]];
        const k = last * P + offset + i * o - 1; // member `last`, W_l's last entry
        const h = 1e-2;
        const at = (d: number) => {
          net.setFlat(flat.map((v, j) => (j === k ? v + d : v)));
          return tf.tidy(() => plainLoss().dataSync()[0]);
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        net.setFlat(flat);
        const analytic = byName[net.weights[l].name][last * i * o + i * o - 1];
        expect(Math.abs(analytic - fd)).toBeLessThanOrEqual(2e-3 * (1 + Math.abs(fd)));
        offset += (i + 1) * o;
      }
      tf.dispose([x, y]);
      net.dispose();
    },
  );

  it("mseGradients refuses arrays that do not fit the network", () => {
    const theta = new Float32Array(4 * 8 + 8 + 8 * 3 + 3);
    expect(() => mseGradients([4, 8, 3], 1, theta, new Float32Array(10), new Float32Array(6))).toThrow(
      /67 parameters, 10 inputs and 6 targets do not fit 1 member\(s\) of \[4,8,3\]/,
    );
    expect(() => mseGradients([4, 8, 3], 1, theta.subarray(1), new Float32Array(8), new Float32Array(6))).toThrow(
      /do not fit 1 member\(s\) of \[4,8,3\]/,
    );
  });

  it("leaks no tensors across repeated gradients and weight changes", () => {
    const rng = new Rng(50);
    const model = modelWithStats(51, 2);
    const s = tf.tensor2d(rng.normalArray(4 * 3), [4, 3]);
    const a = tf.tensor2d(rng.normalArray(4), [4, 1]);
    const once = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(model.step(model.step(s, a), a)), model.net.variables());
      tf.dispose([value, ...Object.values(grads)]);
      model.step(s, a).dispose();
      model.net.setFlat(model.net.getFlat().map((v) => v * 0.9));
    };
    expect(leakedTensors(once)).toBe(0);
    tf.dispose([s, a]);
    model.dispose();
  });

  it("leaks no kept weights after a gradient whose function threw (tfjs then leaves its tape behind)", () => {
    const rng = new Rng(52);
    const model = modelWithStats(53, 2);
    const s = tf.tensor2d(rng.normalArray(4 * 3), [4, 3]);
    const a = tf.tensor2d(rng.normalArray(4), [4, 1]);
    expect(() => tf.grad(() => tf.sum(tf.ones([2])).reshape([3]) as tf.Scalar)(tf.ones([1]))).toThrow();
    const once = () => {
      model.step(s, a).dispose();
      model.net.setFlat(model.net.getFlat().map((v) => v * 0.9));
    };
    expect(leakedTensors(once)).toBe(0);
    tf.dispose([s, a]);
    model.dispose();
  });
});
