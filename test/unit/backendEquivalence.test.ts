import { afterAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as lib from "../../src";
import { initBackend, registerBackends, type BackendName } from "../../src/backend";

// Every fast backend that registered here (wasm always; native tensorflow after
// `npm run setup -- --native`) must compute what tfjs's plain-JS cpu backend computes, on the
// library's own model, planner, BPTT trainer and fitting loop, and must not leak tensors.
const FAST = registerBackends(true).filter((b) => b !== "cpu"); // all of them, whatever MBRL_BACKEND forces

/** Largest |a − b| / max(1, |b|) over two equally long lists. */
function maxRelDiff(a: number[], b: number[]): number {
  expect(a).toHaveLength(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.max(1, Math.abs(b[i]))));
}

/** An ensemble's one-step prediction (3 rows per member, member-major) from seeded weights and inputs. */
function ensembleStep(): number[] {
  const rng = new lib.Rng(11);
  const model = new lib.DynamicsModel(5, 2, rng.split(), { hiddenSizes: [16, 16], members: 3 });
  const [s, a] = [tf.tensor2d(rng.normalArray(9 * 5), [9, 5]), tf.tensor2d(rng.normalArray(9 * 2), [9, 2])];
  const next = model.step(s, a);
  const out = Array.from(next.dataSync());
  tf.dispose([s, a, next]);
  model.dispose();
  return out;
}

/** CEM's predicted return of its plan through a seeded ensemble. */
function cemReturn(): number[] {
  const rng = new lib.Rng(12);
  const model = new lib.DynamicsModel(4, 2, rng.split(), { hiddenSizes: [16], members: 2 });
  const reward = (_s: tf.Tensor2D, act: tf.Tensor2D, next: tf.Tensor2D) =>
    tf.tidy(() => tf.sub(tf.sum(next, 1), tf.sum(tf.square(act), 1).mul(0.1))) as tf.Tensor1D;
  const start = tf.tensor2d(rng.normalArray(4), [1, 4]);
  const task = { dynamics: model, reward, bounds: { low: [-1, -1], high: [1, 1] } };
  const plan = lib.openLoopPlan(task, start, rng, {
    method: "cem",
    samples: 64,
    horizon: 5,
    iterations: 3,
    elites: 6,
    alpha: 1,
  });
  start.dispose();
  model.dispose();
  return [...plan.predictedReturns, ...plan.actions.flat(2)];
}

/** Losses and gradient norms of three BPTT steps through a seeded model. */
function bpttHistory(): number[] {
  const rng = new lib.Rng(13);
  const model = new lib.DynamicsModel(3, 1, rng.split(), { hiddenSizes: [16, 16] });
  const net = new lib.MLP([3, 8, 1], rng.split());
  const policy = (s: tf.Tensor2D) => tf.tidy(() => tf.mul(tf.tanh(net.forward(s)), 2)) as tf.Tensor2D;
  const reward = (_s: tf.Tensor2D, _a: tf.Tensor2D, next: tf.Tensor2D) =>
    tf.tidy(() => tf.neg(tf.sum(tf.square(next), 1))) as tf.Tensor1D;
  const startStates = (r: lib.Rng, n: number) => tf.tensor2d(r.normalArray(n * 3), [n, 3]);
  const result = lib.trainBptt(
    { dynamics: model, reward },
    { policy, variables: net.variables() },
    startStates,
    new lib.Rng(0),
    {
      horizon: 10,
      batchSize: 16,
      iterations: 3,
      learningRate: 1e-2,
    },
  );
  net.dispose();
  model.dispose();
  return result.history.flatMap((h) => [h.loss, h.gradNorm]);
}

/** Training losses of two epochs of fitting a seeded model to seeded pairs. */
async function fitLosses(): Promise<number[]> {
  const rng = new lib.Rng(14);
  const model = new lib.DynamicsModel(3, 1, rng.split(), { hiddenSizes: [16] });
  const data = {
    states: tf.tensor2d(rng.normalArray(200 * 3), [200, 3]),
    actions: tf.tensor2d(rng.normalArray(200), [200, 1]),
    nextStates: tf.tensor2d(rng.normalArray(200 * 3), [200, 3]),
  };
  const history = await lib.fitDynamics(model, data, new lib.Rng(0), {
    epochs: 2,
    batchSize: 32,
    validationFraction: 0,
    bootstrap: false,
  });
  tf.dispose(Object.values(data));
  model.dispose();
  return history.map((h) => h.trainLoss);
}

const CASES: [string, () => number[] | Promise<number[]>, number][] = [
  ["an ensemble's one-step prediction", ensembleStep, 1e-5],
  ["a CEM plan and its predicted return", cemReturn, 1e-4],
  ["BPTT losses and gradient norms", bpttHistory, 1e-4],
  ["fitting losses", fitLosses, 1e-4],
];

/** Run a case on a backend: its numbers, and how many tensors it left behind. */
async function runOn(backend: BackendName, fn: () => number[] | Promise<number[]>) {
  await initBackend(backend);
  const before = tf.memory().numTensors;
  const out = await fn();
  return { out, leaked: tf.memory().numTensors - before };
}

afterAll(async () => {
  await initBackend(FAST[0]);
});

describe("every fast backend computes what the cpu backend computes", () => {
  it("registers wasm here, and native tensorflow exactly when the real tfjs-node is installed", () => {
    const real = require("@tensorflow/tfjs-node/package.json").name === "@tensorflow/tfjs-node";
    expect(FAST).toEqual(real ? ["tensorflow", "wasm"] : ["wasm"]);
  });

  for (const backend of FAST) {
    for (const [what, fn, tol] of CASES) {
      it(`${backend}: ${what}`, async () => {
        const ref = await runOn("cpu", fn);
        const got = await runOn(backend, fn);
        expect(ref.out.every(Number.isFinite)).toBe(true);
        expect(maxRelDiff(got.out, ref.out)).toBeLessThan(tol);
        expect([ref.leaked, got.leaked]).toEqual([0, 0]);
      });
    }
    it(`${backend}: the same seeds give the same numbers, bit for bit, when run again`, async () => {
      // Notebooks must give identical outputs when re-executed, whatever the backend's threads do.
      for (const [, fn] of CASES) expect((await runOn(backend, fn)).out).toEqual((await runOn(backend, fn)).out);
    });
  }
});
