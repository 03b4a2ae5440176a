import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import {
  BACKEND_ENV,
  chooseBackend,
  describeBackend,
  forcedBackend,
  initBackend,
  registerBackends,
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
    expect(registerBackends()).toEqual(REAL_TFJS_NODE ? ["tensorflow", "wasm", "cpu"] : ["wasm", "cpu"]);
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
