import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { Rng } from "../../src/random";
import { DynamicsModel, fitDynamics, type FitProgress, type TransitionData } from "../../src/models";

beforeAll(async () => {
  await initBackend();
});

/**
 * s' = A s + B a with state dimensions of very different scales, so a mix-up between
 * normalised and state units shows as an error of orders of magnitude.
 */
const A = [[1, 0.005], [-0.5, 0.9]];
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
    const history = await fitDynamics(model, data, { epochs: 80, batchSize: 64, learningRate: 3e-3 }, (p) => seen.push(p));
    console.log(JSON.stringify(history.filter((h,i)=>i%10==9)));
    const all0 = oneStepMSE(model, data); console.log(all0, model.deltaNormalizer.values());
    expect(seen).toEqual(history);
    expect(history.map((h) => h.epoch)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));

    // Validation error in normalised units: near zero relative to the targets' unit variance.
    const last = history[history.length - 1];
    expect(last.valLoss!).toBeLessThan(5e-4);

    // The learned map on fresh points, against the closed form.
    const test = linearData(new Rng(3), 200);
    const predicted = tf.tidy(() => model.step(tf.tensor2d(test.states), tf.tensor2d(test.actions)).arraySync());
    const deltaStd = model.deltaNormalizer.values().std;
    predicted.forEach((p, i) => p.forEach((v, d) => expect(Math.abs(v - test.nextStates[i][d])).toBeLessThan(0.1 * deltaStd[d])));

    // Validation numbers in both units agree with the same quantities measured on all the data.
    const all = oneStepMSE(model, data);
    expect(last.valLoss! / all.normalized).toBeGreaterThan(0.5);
    expect(last.valLoss! / all.normalized).toBeLessThan(2);
    expect(last.valStateMSE! / all.state).toBeGreaterThan(0.5);
    expect(last.valStateMSE! / all.state).toBeLessThan(2);

    // Non-increasing in trend: each block of 10 epochs averages below the one before, overall 50x.
    const blocks = Array.from({ length: 8 }, (_, b) => history.slice(10 * b, 10 * b + 10).reduce((acc, h) => acc + h.trainLoss, 0) / 10);
    blocks.slice(1).forEach((m, b) => expect(m).toBeLessThan(blocks[b]));
    expect(last.trainLoss).toBeLessThan(history[0].trainLoss / 50);
    model.dispose();
  });
});
