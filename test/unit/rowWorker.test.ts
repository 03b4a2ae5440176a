/**
 * The row worker (src/models/fast/rowWorker.ts): a second thread computes the last rows of big
 * forward passes. Its results must equal the one-thread path's bit for bit, follow weight
 * changes, and the worker must neither keep Node alive nor hold dropped weights.
 */
import * as tf from "@tensorflow/tfjs";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DynamicsModel } from "../../src/models/dynamicsModel";
import { Normalizer } from "../../src/models/normalizer";
import { ROW_WORKER_DEFAULTS, rowWorkerReady, rowWorkerStatus } from "../../src/models/fast/rowWorker";
import { WORKERS_ENV, describeBackend, rowWorkers } from "../../src/backend";
import { openLoopPlan } from "../../src/planning/openLoopPlan";
import { Rng } from "../../src/random";
import type { RewardFn } from "../../src/envs/types";
import { buildPrivateLibrary, leakedTensors } from "./helpers";

const [S, A, M, HIDDEN] = [5, 2, 3, 128];
/**
 * Rows per member of the tests' model (S + A → HIDDEN → HIDDEN → S): just over the worker's
 * threshold of work, and odd, so that the two threads' shares differ by one.
 */
const ROWS = 2 * Math.ceil(ROW_WORKER_DEFAULTS.minMultiplyAdds / ((S + A + S) * HIDDEN + HIDDEN * HIDDEN) / 2) + 1;
const saved = process.env[WORKERS_ENV];

/** `body` run with MBRL_WORKERS set to `value`. */
function withWorkers<T>(value: "0" | "1", body: () => T): T {
  process.env[WORKERS_ENV] = value;
  try {
    return body();
  } finally {
    process.env[WORKERS_ENV] = saved ?? "";
  }
}

/** A 3-member model with a non-trivial normalisation (all of step's scaling on the path). */
function scaledModel(seed: number, [S, A, hidden] = [5, 2, HIDDEN]): DynamicsModel {
  const rng = new Rng(seed);
  const model = new DynamicsModel(S, A, rng.split(), { hiddenSizes: [hidden, hidden], members: M });
  const stats = (n: number, shift: number) =>
    new Normalizer(
      rng.normalArray(n, shift),
      Array.from(rng.uniformArray(n), (u) => 0.5 + u),
    );
  model.setNormalization(stats(S + A, 1), stats(S, 0));
  return model;
}

/** The forward passes the worker has served so far. */
const served = () => rowWorkerStatus().forwards as number;
const workerModels = () => rowWorkerStatus().models as number;

/** `body`'s result with MBRL_WORKERS=0 and =1, and how many forward passes the worker served in each. */
function bothWays<T>(body: () => T): { off: T; on: T; servedOff: number; servedOn: number } {
  const start = served();
  const off = withWorkers("0", body);
  const between = served();
  const on = withWorkers("1", body);
  return { off, on, servedOff: between - start, servedOn: served() - between };
}

/** Next states of one random batch (`N` rows per member), without and with the worker. */
function stepBothWays(model: DynamicsModel, seed: number, N = ROWS) {
  const [S, A] = [model.stateSize, model.actionSize];
  const rng = new Rng(seed);
  const s = tf.tensor2d(rng.normalArray(M * N * S), [M * N, S]);
  const a = tf.tensor2d(rng.normalArray(M * N * A), [M * N, A]);
  try {
    return bothWays(() => tf.tidy(() => model.step(s, a).dataSync() as Float32Array));
  } finally {
    tf.dispose([s, a]);
  }
}

beforeAll(async () => {
  expect(tf.getBackend()).toBe("wasm"); // the worker only serves the wasm backend
  process.env[WORKERS_ENV] = "1";
  expect(await rowWorkerReady()).toBe(true);
  process.env[WORKERS_ENV] = saved ?? "";
});

afterEach(() => {
  process.env[WORKERS_ENV] = saved ?? "";
});

describe("row worker", () => {
  it("reads MBRL_WORKERS (0 or 1; by default on with two cores) and names the variable on a bad value", () => {
    expect(rowWorkers({ [WORKERS_ENV]: "0" })).toBe(false);
    expect(rowWorkers({ [WORKERS_ENV]: " 1 " })).toBe(true);
    expect(rowWorkers({})).toBe(os.availableParallelism() >= 2);
    expect(() => rowWorkers({ [WORKERS_ENV]: "2" })).toThrow(/MBRL_WORKERS="2" must be 0 or 1/);
    const info = { name: "wasm" as const, reason: "test", available: [] };
    expect(withWorkers("1", () => describeBackend(info))).toMatch(/wasm backend and a second thread for big forward/);
    expect(withWorkers("0", () => describeBackend(info))).not.toMatch(/second thread/);
  });

  it("gives DynamicsModel.step the same numbers, bit for bit, with and without it (scaled, residual)", () => {
    const model = scaledModel(1);
    try {
      const before = workerModels();
      const { off, on, servedOff, servedOn } = stepBothWays(model, 2);
      expect([servedOff, servedOn]).toEqual([0, 1]);
      expect(workerModels()).toBe(before + 1); // it holds this model's weights
      expect(off).toHaveLength(M * ROWS * S);
      expect(new Set(off).size).toBeGreaterThan(0.99 * off.length); // a real output
      expect(on).toEqual(off);
      const [s, a] = [tf.ones([M * ROWS, S]) as tf.Tensor2D, tf.ones([M * ROWS, A]) as tf.Tensor2D];
      expect(withWorkers("1", () => leakedTensors(() => model.step(s, a).dispose()))).toBe(0);
      tf.dispose([s, a]);
    } finally {
      model.dispose();
    }
  });

  it("gives the same numbers at the mpc-cem benchmark's sizes (23 → 250 → 250 → 17, 1001 rows per member)", () => {
    const model = scaledModel(13, [17, 6, 250]);
    try {
      const { off, on, servedOff, servedOn } = stepBothWays(model, 14, 1001);
      expect([servedOff, servedOn]).toEqual([0, 1]);
      expect(on).toEqual(off);
    } finally {
      model.dispose();
    }
  });

  it("follows a change of the model's weights", () => {
    const model = scaledModel(3);
    try {
      const rng = new Rng(4);
      const first = stepBothWays(model, 5);
      const flat = model.net.getFlat().map((w) => w + 0.1 * rng.normal());
      model.net.setFlat(flat);
      const second = stepBothWays(model, 5);
      expect([second.servedOff, second.servedOn]).toEqual([0, 1]);
      expect(second.on).toEqual(second.off);
      expect(second.on).not.toEqual(first.on);
    } finally {
      model.dispose();
    }
  });

  it("is not used below its threshold of work", () => {
    const model = scaledModel(15);
    try {
      const { on, off, servedOn } = stepBothWays(model, 16, (ROWS - 1) / 2);
      expect(servedOn).toBe(0);
      expect(on).toEqual(off);
    } finally {
      model.dispose();
    }
  });

  it("is not used while a gradient is recorded, and the gradient is the one-thread one", () => {
    const model = scaledModel(6);
    try {
      const rng = new Rng(7);
      const s = tf.tensor2d(rng.normalArray(M * ROWS * S), [M * ROWS, S]);
      const a = tf.tensor2d(rng.normalArray(M * ROWS * A), [M * ROWS, A]);
      const loss = (x: tf.Tensor) =>
        model
          .step(x as tf.Tensor2D, a)
          .square()
          .sum();
      const grad = () => tf.tidy(() => tf.grad(loss)(s).dataSync());
      const before = workerModels();
      const { off, on, servedOff, servedOn } = bothWays(grad);
      expect([servedOff, servedOn]).toEqual([0, 0]); // the taped path stays on this thread
      expect(workerModels()).toBe(before); // and the weights were never sent
      expect(on).toEqual(off);
      tf.dispose([s, a]);
    } finally {
      model.dispose();
    }
  });

  it("serves again after a gradient whose function threw (tfjs then leaves its tape behind)", () => {
    const model = scaledModel(9);
    try {
      expect(() => tf.grad(() => tf.sum(tf.ones([2])).reshape([3]) as tf.Scalar)(tf.ones([1]))).toThrow();
      const { off, on, servedOn } = stepBothWays(model, 10);
      expect(servedOn).toBe(1);
      expect(on).toEqual(off);
    } finally {
      model.dispose();
    }
  });

  it("drops a model's weights when the model is disposed", () => {
    const model = scaledModel(8);
    stepBothWays(model, 9);
    const held = workerModels();
    model.dispose();
    expect(workerModels()).toBe(held - 1);
  });

  it("gives a CEM plan the same actions with and without it", () => {
    const model = scaledModel(10);
    try {
      const reward: RewardFn = (_s, act, next) =>
        tf.tidy(() => tf.sub(next.slice([0, 0], [-1, 1]).reshape([-1]), tf.sum(tf.square(act), 1).mul(0.1)));
      const task = { dynamics: model, reward, bounds: { low: [-1, -1], high: [1, 1] } };
      const [horizon, iterations] = [3, 2];
      const plan = () => {
        const start = tf.tensor2d(new Rng(11).normalArray(S), [1, S]);
        try {
          return openLoopPlan(task, start, new Rng(12), {
            method: "cem",
            samples: ROWS,
            horizon: 3,
            iterations: 2,
            elites: 5,
          });
        } finally {
          start.dispose();
        }
      };
      const { off, on, servedOff, servedOn } = bothWays(plan);
      expect(servedOff).toBe(0);
      expect(servedOn).toBe(iterations * horizon); // every model step of the plan
      expect(on).toEqual(off);
    } finally {
      model.dispose();
    }
  });
});

describe("row worker in a fresh process", () => {
  // Plans once (3 members x 1000 rows through 128-unit layers), awaiting the worker first, and prints its state; the
  // process must then exit by itself: the worker is unref'd.
  const script = `
    const lib = require("./index.js");
    const rows = require("./models/fast/rowWorker.js");
    const { tf } = lib;
    (async () => {
      await lib.initBackend();
      const ready = await rows.rowWorkerReady();
      const rng = new lib.Rng(1);
      const model = new lib.DynamicsModel(5, 2, rng.split(), { hiddenSizes: [128, 128], members: 3 });
      const reward = (_s, a, next) => tf.tidy(() => tf.sub(next.slice([0, 0], [-1, 1]).reshape([-1]), tf.sum(a, 1)));
      const start = tf.tensor2d(rng.normalArray(5), [1, 5]);
      const task = { dynamics: model, reward, bounds: { low: [-1, -1], high: [1, 1] } };
      const { actions } = lib.openLoopPlan(task, start, rng, { method: "cem", samples: 1000, horizon: 2, iterations: 2, elites: 5 });
      console.log(JSON.stringify({ ready, status: rows.rowWorkerStatus(), actions }));
    })();`;
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "row-worker-test-"));
    buildPrivateLibrary(dir, ["index.ts"]);
    fs.writeFileSync(path.join(dir, "main.js"), script);
    return () => fs.rmSync(dir, { recursive: true, force: true });
  });

  function run(
    workers: "0" | "1",
    nodeOptions: string[] = [],
  ): { ready: boolean; status: { state: string }; actions: number[][][] } {
    const out = execFileSync(process.execPath, [...nodeOptions, path.join(dir, "main.js")], {
      env: { ...process.env, NODE_PATH: path.join(__dirname, "..", "..", "node_modules"), [WORKERS_ENV]: workers },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 10_000, // a process the worker kept alive would be killed here, and the test fail
    });
    return JSON.parse(out.toString().trim().split("\n").pop() as string);
  }

  it("exits by itself after planning with the worker, and MBRL_WORKERS=0 starts none (same plan)", () => {
    const on = run("1");
    expect(on.ready).toBe(true);
    expect(on.status).toEqual({ state: "ready", models: 1, forwards: 4 }); // iterations x horizon
    const off = run("0");
    expect(off.ready).toBe(false);
    expect(off.status).toEqual({ state: "off" });
    expect(off.actions).toEqual(on.actions);
  });

  it("falls back to one thread, with the same plan, where no worker can start", () => {
    // Node's permission model, reading allowed but no --allow-worker: creating a Worker throws.
    const permission = process.allowedNodeEnvironmentFlags.has("--permission")
      ? "--permission"
      : "--experimental-permission";
    const denied = run("1", [permission, "--allow-fs-read=*"]);
    expect(denied.ready).toBe(false);
    expect(denied.status).toEqual({ state: "failed" });
    expect(denied.actions).toEqual(run("0").actions);
  });
});
