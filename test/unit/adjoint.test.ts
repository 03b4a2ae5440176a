// BPTT's adjoint recursion against autodiff's tape: the same loss and gradient, bit for bit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend, type BackendName } from "../../src/backend";
import { adjointLossGradient } from "../../src/control/adjoint";
import { trainBptt, type TrainablePolicy } from "../../src/control/bptt";
import { mlpPolicy } from "../../src/control/mlpPolicy";
import { policyObjective, type RolloutOptions } from "../../src/control/rollout";
import type { RewardFn, System } from "../../src/envs/types";
import { pendulumTask } from "../../src/envs/pendulum";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import { Normalizer } from "../../src/models/normalizer";
import { Rng } from "../../src/random";
import { leakedTensors } from "./helpers";

let before: BackendName;
beforeAll(async () => {
  before = tf.getBackend() as BackendName;
  await initBackend("wasm"); // the recursion's backend (see adjoint.ts)
});
afterAll(async () => {
  await initBackend(before);
});

/** A learned-model stand-in with non-trivial normalisation, and an mlpPolicy, for S = 3, A = 1. */
function setUp(seed: number, members = 1) {
  const rng = new Rng(seed);
  const model = new DynamicsModel(3, 1, rng.split(), { hiddenSizes: [16, 16], members });
  model.setNormalization(
    new Normalizer([0.3, -1, 2, 0.5], [0.5, 2, 1.5, 0.8]),
    new Normalizer([0.01, -0.02, 0.03], [0.2, 0.1, 0.3]),
  );
  const trainable = mlpPolicy(rng.split(), { hiddenSizes: [8, 8], maxAction: 2 });
  const dispose = () => {
    model.dispose();
    trainable.net.dispose();
  };
  return { rng, model, trainable, dispose };
}

const onNext: RewardFn = (_s, a, next) =>
  tf.tidy(() => tf.neg(tf.add(tf.sum(tf.square(next), 1), tf.mul(tf.sum(tf.square(a), 1), 0.001))) as tf.Tensor1D);
/** Every argument, each more than once. */
const onAll: RewardFn = (s, a, next) =>
  tf.tidy(
    () =>
      tf.sub(
        tf.sum(tf.mul(s, next), 1),
        tf.add(tf.sum(tf.square(a), 1), tf.sum(tf.abs(tf.sub(next, s)), 1)),
      ) as tf.Tensor1D,
  );
/** No next state: the last step's model output reaches the loss only through a terminal reward, if any. */
const onStateAndAction: RewardFn = (s, a) =>
  tf.tidy(() => tf.neg(tf.add(tf.sum(tf.square(s), 1), tf.sum(tf.square(a), 1))) as tf.Tensor1D);

/** The loss and gradient on the tape, as trainBptt computes them without the recursion. */
function onTape(system: System, trainable: TrainablePolicy, starts: tf.Tensor2D, options: RolloutOptions) {
  return tf.variableGrads(
    () => tf.neg(policyObjective(system, trainable.policy, starts, undefined, options)),
    trainable.variables,
  );
}

const cases: { name: string; rows: number; reward: RewardFn; options: RolloutOptions }[] = [
  {
    name: "256 rows, H = 20",
    rows: 256,
    reward: onNext,
    options: { horizon: 20, discount: 1, terminalReward: undefined },
  },
  { name: "one step", rows: 8, reward: onNext, options: { horizon: 1, discount: 1, terminalReward: undefined } },
  {
    name: "a reward of s, a and s', discounted",
    rows: 12,
    reward: onAll,
    options: { horizon: 7, discount: 0.9, terminalReward: undefined },
  },
  {
    name: "a reward without s', and a terminal reward",
    rows: 130,
    reward: onStateAndAction,
    options: { horizon: 5, discount: 0.95, terminalReward: (s) => tf.neg(tf.sum(tf.abs(s), 1)) as tf.Tensor1D },
  },
  {
    name: "a reward without s', no terminal reward",
    rows: 10,
    reward: onStateAndAction,
    options: { horizon: 6, discount: 1, terminalReward: undefined },
  },
];

describe("adjointLossGradient", () => {
  it.each(cases)("equals autodiff's loss and gradient exactly: $name", ({ rows, reward, options }) => {
    const { rng, model, trainable, dispose } = setUp(rows);
    const starts = rng.normalTensor([rows, 3]) as tf.Tensor2D;
    const system = { dynamics: model, reward };
    const ours = adjointLossGradient(system, trainable.squashedMlp!, starts, options)!;
    const tape = onTape(system, trainable, starts, options);
    expect(ours).toBeDefined();
    expect(ours.value.dataSync()[0]).toBe(tape.value.dataSync()[0]);
    for (const v of trainable.variables) {
      const [x, y] = [ours.grads[v.name].dataSync(), tape.grads[v.name].dataSync()];
      expect(Array.from(x)).toEqual(Array.from(y));
      expect(x.some((g) => g !== 0)).toBe(true);
    }
    tf.dispose([ours.value, tape.value, ...Object.values(ours.grads), ...Object.values(tape.grads), starts]);
    dispose();
  });

  it.each([1, 4])("leaves no tensor behind (H = %i; at 1 the start states are the stacked states)", (horizon) => {
    const { rng, model, trainable, dispose } = setUp(1);
    const starts = rng.normalTensor([16, 3]) as tf.Tensor2D;
    const options = { horizon, discount: 1, terminalReward: undefined };
    const buffers = tf.backend().numDataIds();
    const leaked = leakedTensors(() => {
      const r = adjointLossGradient({ dynamics: model, reward: onAll }, trainable.squashedMlp!, starts, options)!;
      tf.dispose([r.value, ...Object.values(r.grads)]);
    });
    expect(leaked).toBe(0);
    expect(tf.backend().numDataIds()).toBe(buffers);
    starts.dispose();
    expect(tf.backend().numDataIds()).toBe(buffers - 1); // and the caller's start states are freed with them
    dispose();
  });

  it("names a reward of the wrong shape as the tape does, and keeps fewer tensors than the tape then does", () => {
    const { rng, model, trainable, dispose } = setUp(4);
    const starts = rng.normalTensor([6, 3]) as tf.Tensor2D;
    const wrong: RewardFn = (s) => tf.sum(s) as unknown as tf.Tensor1D; // a scalar, not one reward per row
    const options = { horizon: 3, discount: 1, terminalReward: undefined };
    const system = { dynamics: model, reward: wrong };
    const count = () => [tf.memory().numTensors, tf.backend().numDataIds()];
    const message = /policyReturns: reward output must have shape \[18\]/;
    const before = count();
    expect(() => onTape(system, trainable, starts, options)).toThrow(message);
    const afterTape = count();
    expect(() => adjointLossGradient(system, trainable.squashedMlp!, starts, options)).toThrow(message);
    const afterOurs = count();
    // tfjs keeps the saved inputs of a gradient whose function threw: the tape's keeps the whole
    // rollout's, ours only the reward's one op (its sum's input).
    const [ours, tape] = [afterOurs.map((n, i) => n - afterTape[i]), afterTape.map((n, i) => n - before[i])];
    expect(ours).toEqual([1, 1]);
    expect(tape[0]).toBeGreaterThan(ours[0]);
    starts.dispose();
    dispose();
  });

  it("declines an ensemble, another model, a J without θ, another backend and a call inside a gradient", async () => {
    const ensemble = setUp(2, 2);
    const single = setUp(3);
    const starts = ensemble.rng.normalTensor([4, 3]) as tf.Tensor2D;
    const options = { horizon: 3, discount: 1, terminalReward: undefined };
    const policy = single.trainable.squashedMlp!;
    expect(adjointLossGradient({ dynamics: ensemble.model, reward: onNext }, policy, starts, options)).toBeUndefined();
    const pendulum = pendulumTask();
    expect(
      adjointLossGradient({ dynamics: pendulum.dynamics, reward: onNext }, policy, starts, options),
    ).toBeUndefined();
    const system = { dynamics: single.model, reward: onNext };
    tf.grad((x: tf.Tensor) => {
      expect(adjointLossGradient(system, policy, starts, options)).toBeUndefined();
      return tf.sum(x);
    })(tf.ones([1])).dispose();
    const stateOnly: RewardFn = (s) => tf.sum(tf.square(s), 1) as tf.Tensor1D; // J(θ) of one step is r(s_0): no θ
    const oneStep = { horizon: 1, discount: 1, terminalReward: undefined };
    expect(adjointLossGradient({ dynamics: single.model, reward: stateOnly }, policy, starts, oneStep)).toBeUndefined();
    await initBackend("cpu");
    try {
      expect(adjointLossGradient(system, policy, starts, options)).toBeUndefined();
    } finally {
      await initBackend("wasm");
    }
    starts.dispose();
    ensemble.dispose();
    single.dispose();
  });
});

describe("trainBptt with the adjoint recursion", () => {
  it("takes the same steps as on the tape: losses, gradient norms and weights", () => {
    const run = (withAdjoint: boolean) => {
      const { model, trainable, dispose } = setUp(7);
      const chosen = withAdjoint ? trainable : { ...trainable, squashedMlp: undefined };
      const starts = (rng: Rng, n: number) => rng.normalTensor([n, 3]) as tf.Tensor2D;
      const result = trainBptt({ dynamics: model, reward: onNext }, chosen, starts, new Rng(0), {
        horizon: 10,
        batchSize: 32,
        iterations: 4,
        learningRate: 0.01,
        maxGradNorm: 5,
      });
      const weights = trainable.variables.map((v) => Array.from(v.dataSync()));
      dispose();
      return { history: result.history, weights };
    };
    const [ours, tape] = [run(true), run(false)];
    expect(ours.history).toEqual(tape.history);
    expect(ours.weights).toEqual(tape.weights);
    expect(ours.history).toHaveLength(4);
  });
});
