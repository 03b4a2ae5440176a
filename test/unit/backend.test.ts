import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import ts from "typescript";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  BACKEND_ENV,
  WASM_THREADS_ENV,
  chooseBackend,
  describeBackend,
  forcedBackend,
  initBackend,
  registerBackends,
  wasmThreads,
} from "../../src/backend";

/** Whether node_modules holds the real tfjs-node (setup --native) rather than danfo's plain tfjs. */
const REAL_TFJS_NODE = require("@tensorflow/tfjs-node/package.json").name === "@tensorflow/tfjs-node";

describe("backend choice", () => {
  it("prefers native tensorflow, then wasm, then cpu", () => {
    expect(chooseBackend(["cpu", "wasm", "tensorflow"])).toBe("tensorflow");
    expect(chooseBackend(["cpu", "wasm"])).toBe("wasm");
    expect(chooseBackend(["cpu"])).toBe("cpu");
  });

  it("honours a forced backend and refuses one that did not register", () => {
    expect(chooseBackend(["cpu", "wasm"], "cpu")).toBe("cpu");
    expect(() => chooseBackend(["cpu", "wasm"], "tensorflow")).toThrow(/MBRL_BACKEND=tensorflow.*available: cpu, wasm/);
    expect(() => chooseBackend([])).toThrow(/no tfjs backend/);
  });

  it("reads MBRL_BACKEND, case-insensitively, and names the variable on a bad value", () => {
    expect(forcedBackend({})).toBeUndefined();
    expect(forcedBackend({ [BACKEND_ENV]: " CPU " })).toBe("cpu");
    expect(() => forcedBackend({ [BACKEND_ENV]: "gpu" })).toThrow(/MBRL_BACKEND="gpu" is not a backend/);
  });

  it("detects tfjs-node by its backend registering, not by require succeeding", () => {
    // danfojs-node's override installs plain tfjs under the tfjs-node name: it loads, registers
    // nothing. `npm run setup -- --native` puts the real one there, which registers tensorflow.
    expect(() => require("@tensorflow/tfjs-node")).not.toThrow();
    expect(registerBackends(true)).toEqual(REAL_TFJS_NODE ? ["tensorflow", "wasm", "cpu"] : ["wasm", "cpu"]);
  });

  it("initialises the preferred backend by default here and can switch on request", async () => {
    const expected = forcedBackend() ?? (REAL_TFJS_NODE ? "tensorflow" : "wasm");
    const info = await initBackend();
    expect(info.name).toBe(expected);
    expect(tf.getBackend()).toBe(expected);
    expect(describeBackend(info)).toMatch(new RegExp(`${expected} backend`));
    const cpu = await initBackend("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(cpu.reason).toBe("requested");
    await initBackend(expected);
    expect(tf.getBackend()).toBe(expected);
  });
});

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Run `script` in a fresh Node process with src/backend.ts (which imports nothing of the library)
 * compiled next to it as ./backend.js; the process's own backend choice is the point, so it
 * cannot share this one. Returns what the script printed, parsed as JSON.
 */
function inFreshNode(script: string, env: Record<string, string>): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backend-test-"));
  try {
    const source = fs.readFileSync(path.join(ROOT, "src", "backend.ts"), "utf8");
    const compiled = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    });
    fs.writeFileSync(path.join(dir, "backend.js"), compiled.outputText);
    fs.writeFileSync(path.join(dir, "main.js"), script);
    const out = execFileSync(process.execPath, [path.join(dir, "main.js")], {
      env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    return JSON.parse(out.toString().trim().split("\n").pop() as string);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("wasm threads", () => {
  it("reads MBRL_WASM_THREADS (default 1) and names the variable on a bad value", () => {
    expect(wasmThreads({})).toBe(1);
    expect(wasmThreads({ [WASM_THREADS_ENV]: " 2 " })).toBe(2);
    for (const bad of ["0", "9", "1.5", "two"]) {
      expect(() => wasmThreads({ [WASM_THREADS_ENV]: bad })).toThrow(new RegExp(`MBRL_WASM_THREADS="${bad}"`));
    }
  });

  // A two-layer tanh-free MLP on 1000 rows (sizes of the mpc-cem workload), its output's bytes,
  // the thread pool's size, and whether TensorFlow's native library was loaded.
  const script = `
    const b = require("./backend.js");
    const tf = require("@tensorflow/tfjs");
    b.initBackend().then((info) => {
      const w = (shape, seed) => tf.randomUniform(shape, -0.2, 0.2, "float32", seed);
      const x = w([1, 1000, 23], 1);
      const h = tf.sigmoid(tf.matMul(x, w([1, 23, 250], 2)).add(w([250], 3)));
      const y = tf.matMul(tf.sigmoid(tf.matMul(h, w([1, 250, 250], 4))), w([1, 250, 17], 5));
      console.log(JSON.stringify({
        line: b.describeBackend(info),
        threads: require("@tensorflow/tfjs-backend-wasm").getThreadsCount(),
        y: Array.from(y.dataSync()),
        native: Object.keys(require.cache).some((k) => k.includes("tfjs-node")),
      }));
    });`;

  it("gives the same numbers, bit for bit, on 1 and 2 threads, and does not load native TensorFlow", () => {
    const one = inFreshNode(script, { [BACKEND_ENV]: "wasm", [WASM_THREADS_ENV]: "1" });
    const two = inFreshNode(script, { [BACKEND_ENV]: "wasm", [WASM_THREADS_ENV]: "2" });
    expect([one.threads, two.threads]).toEqual([1, 2]);
    expect(two.line).toMatch(/wasm backend with 2 threads/);
    expect(one.line).not.toMatch(/threads/);
    const y = one.y as number[];
    expect(y).toHaveLength(17_000);
    expect(new Set(y).size).toBeGreaterThan(16_000); // a real output, not a constant
    expect(two.y).toEqual(y);
    // Forced to wasm, the process never required tfjs-node (real or not).
    expect([one.native, two.native]).toEqual([false, false]);
  });
});

describe("Identity on wasm", () => {
  it("shares the input's data, as tfjs's CPU backend does: a clone adds no buffer and outlives its source", async () => {
    await initBackend("wasm");
    try {
      const x = tf.tensor([1.5, -2, 3]);
      const buffers = tf.memory().numDataBuffers;
      const y = tf.clone(x);
      expect(y.dataId).toBe(x.dataId);
      expect(tf.memory().numDataBuffers).toBe(buffers);
      x.dispose();
      expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3]);
      y.dispose();
      // What autodiff saves for the backward pass is such a clone: gradients are unchanged.
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), v)))(tf.tensor([1, 2, -3]));
      expect(Array.from(g.dataSync())).toEqual([3, 12, 27]);
      g.dispose();
    } finally {
      await initBackend();
    }
  });
});
