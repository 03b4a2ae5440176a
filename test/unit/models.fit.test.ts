import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import { fitDynamics, type FitProgress } from "../../src/models/fit";
import type { TransitionData } from "../../src/models/data";

/**
 * s' = A s + B a with state dimensions of very different scales, so a mix-up between
 * normalised and state units shows as an error of orders of magnitude.
 */
const A = [
  [1, 0.005],
  [-0.5, 0.9],
];
const B = [[0], [20]];
const truth = (s: number[], a: number[]) => A.map((row, i) => row[0] * s[0] + row[1] * s[1] + B[i][0] * a[0]);

function linearData(rng: Rng, n: number): { states: number[][]; actions: number[][]; nextStates: number[][] } {
  const states = Array.from({ length: n }, () => [rng.uniform() * 2 - 1, rng.uniform() * 40 - 20]);
  const actions = Array.from({ length: n }, () => [rng.uniform() * 4 - 2]);
  return { states, actions, nextStates: states.map((s, i) => truth(s, actions[i])) };
}

/** Mean squared one-step error of the model on the data, in state units and in normalised units. */
function oneStepMSE(model: DynamicsModel, data: ReturnType<typeof linearData>): { state: number; normalized: number } {
  return tf.tidy(() => {
    const s = tf.tensor2d(data.states);
    const err = tf.sub(model.step(s, tf.tensor2d(data.actions)), tf.tensor2d(data.nextStates));
    return {
      state: tf.mean(tf.square(err)).dataSync()[0],
      normalized: tf.mean(tf.square(tf.div(err, model.deltaNormalizer.std))).dataSync()[0],
    };
  });
}

describe("fitDynamics", () => {
  it("learns a linear system: validation MSE near zero, one-step map close to the truth, loss falling", async () => {
    const data = linearData(new Rng(1), 2000);
    const model = new DynamicsModel(2, 1, new Rng(2), { hiddenSizes: [32, 32] });
    const seen: FitProgress[] = [];
    // 40 epochs at 6e-3 reach the bounds below as 80 at 3e-3 did, in half the time.
    const history = await fitDynamics(model, data, new Rng(0), {
      epochs: 40,
      batchSize: 64,
      learningRate: 6e-3,
      onProgress: (p) => seen.push(p),
    });
    expect(seen).toEqual(history);
    expect(history.map((h) => h.epoch)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    // Validation error in normalised units: near zero relative to the targets' unit variance.
    const last = history[history.length - 1];
    expect(last.valLoss!).toBeLessThan(5e-4);

    // The learned map on fresh points, against the closed form.
    const test = linearData(new Rng(3), 200);
    const predicted = tf.tidy(() => model.step(tf.tensor2d(test.states), tf.tensor2d(test.actions)).arraySync());
    const deltaStd = model.deltaNormalizer.values().std;
    predicted.forEach((p, i) =>
      p.forEach((v, d) => expect(Math.abs(v - test.nextStates[i][d])).toBeLessThan(0.1 * deltaStd[d])),
    );

    // Validation numbers in both units agree with the same quantities measured on all the data.
    const all = oneStepMSE(model, data);
    expect(last.valLoss! / all.normalized).toBeGreaterThan(0.5);
    expect(last.valLoss! / all.normalized).toBeLessThan(2);
    expect(last.valStateMSE! / all.state).toBeGreaterThan(0.5);
    expect(last.valStateMSE! / all.state).toBeLessThan(2);

    // Non-increasing in trend: each block of 5 epochs averages below the one before, overall 50x.
    const blocks = Array.from(
      { length: 8 },
      (_, b) => history.slice(5 * b, 5 * b + 5).reduce((acc, h) => acc + h.trainLoss, 0) / 5,
    );
    blocks.slice(1).forEach((m, b) => expect(m).toBeLessThan(blocks[b]));
    expect(last.trainLoss).toBeLessThan(history[0].trainLoss / 50);
    model.dispose();
  });

  it("is reproducible: the same seed gives identical fitted weights, another seed different ones", async () => {
    const data = linearData(new Rng(4), 300);
    const fitted = async (seed: number) => {
      const model = new DynamicsModel(2, 1, new Rng(5), { hiddenSizes: [8], members: 2 });
      await fitDynamics(model, data, new Rng(seed), { epochs: 3, batchSize: 32 });
      const flat = model.net.getFlat();
      model.dispose();
      return Array.from(flat);
    };
    const first = await fitted(7);
    expect(await fitted(7)).toEqual(first);
    expect(await fitted(8)).not.toEqual(first);
  });

  it("trains each ensemble member on its own loss: without bootstrap, member 0 replays a one-member fit", async () => {
    // Member m draws its shuffles from the m-th child stream of the rng, so with equal rngs and
    // no bootstrap, member 0 sees exactly the minibatches a one-member model sees. Its loss being
    // its own MSE (not shared with member 1) then makes the two fits agree.
    const data = linearData(new Rng(6), 400);
    const ensemble = new DynamicsModel(2, 1, new Rng(7), { hiddenSizes: [8], members: 2 });
    const single = new DynamicsModel(2, 1, new Rng(8), { hiddenSizes: [8] });
    const P = single.net.memberParameterCount();
    single.net.setFlat(ensemble.net.getFlat().subarray(0, P));
    const options = { epochs: 3, batchSize: 50, bootstrap: false, validationFraction: 0 };
    const historyEnsemble = await fitDynamics(ensemble, data, new Rng(9), options);
    const historySingle = await fitDynamics(single, data, new Rng(9), options);
    const member0 = ensemble.net.getFlat().subarray(0, P);
    const alone = single.net.getFlat();
    for (let i = 0; i < P; i++) expect(Math.abs(member0[i] - alone[i])).toBeLessThan(1e-5);
    expect(historySingle.every((h) => h.valLoss === null && h.valStateMSE === null)).toBe(true);
    expect(historyEnsemble[0].trainLoss).not.toBeCloseTo(historySingle[0].trainLoss, 6); // member 1 counts in the mean
    ensemble.dispose();
    single.dispose();
  });

  it("leaks no tensors across repeated fits, with an ensemble and validation data", async () => {
    const data = linearData(new Rng(10), 200);
    const tensors = {
      states: tf.tensor2d(data.states),
      actions: tf.tensor2d(data.actions),
      nextStates: tf.tensor2d(data.nextStates),
    };
    const model = new DynamicsModel(2, 1, new Rng(11), { hiddenSizes: [8], members: 3 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await fitDynamics(model, tensors, new Rng(i), { epochs: 1, batchSize: 64 });
    expect(tf.memory().numTensors).toBe(before);
    expect(tensors.states.isDisposed).toBe(false); // the caller's data stays the caller's
    tf.dispose(Object.values(tensors));
    model.dispose();
  });

  it("rejects bad options and data, naming the argument, without leaking", async () => {
    const model = new DynamicsModel(2, 1, new Rng(12), { hiddenSizes: [4] });
    const good: TransitionData = linearData(new Rng(13), 20);
    const before = tf.memory().numTensors;
    const cases: [Partial<TransitionData>, object, RegExp][] = [
      [good, { epochs: 0 }, /fitDynamics: option epochs must be a positive integer/],
      [good, { batchSize: 2.5 }, /fitDynamics: option batchSize/],
      [good, { learningRate: -1 }, /fitDynamics: option learningRate/],
      [good, { validationFraction: 0.9 }, /fitDynamics: option validationFraction must be in \[0, 0.5\]/],
      [good, { bootstrap: "yes" }, /fitDynamics: option bootstrap must be a boolean/],
      [good, { epoch: 3 }, /fitDynamics: unknown option "epoch"/],
      [{ ...good, states: good.actions }, {}, /fitDynamics: data.states must have shape \[\*, 2\]/],
      [
        { ...good, actions: [[1]] },
        {},
        /fitDynamics: data.states, data.actions and data.nextStates must have the same number of rows/,
      ],
      [{ ...good, actions: undefined }, {}, /fitDynamics: data.actions is missing/],
      [
        { ...good, nextStates: [[0, NaN], ...(good.nextStates as number[][]).slice(1)] },
        {},
        /fitDynamics: data.nextStates must be finite/,
      ],
      [
        { states: [[0, 0]], actions: [[0]], nextStates: [[0, 0]] },
        { validationFraction: 0.3 },
        /leaves no validation transition/,
      ],
    ];
    for (const [data, options, message] of cases) {
      await expect(fitDynamics(model, data as TransitionData, new Rng(0), options as never)).rejects.toThrow(message);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
