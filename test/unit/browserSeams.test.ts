/**
 * The two Node-only reads the library makes, behind seams that also work in a browser bundle
 * (site panels): the environment variable that forces a backend, and the yield between epochs.
 * The browser itself is exercised by test/notebooks/panels.test.ts; here each seam is checked
 * with the Node global present and with it removed, as in a page.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { BACKEND_ENV, forcedBackend, processEnv } from "../../src/backend";
import { yieldToEventLoop } from "../../src/models/fit";
import { initBrowserBackend } from "../../src/browser";
import { initBackend } from "../../src/backend";
import * as tf from "@tensorflow/tfjs";

afterEach(() => vi.unstubAllGlobals());

describe("processEnv", () => {
  it("is process.env under Node", () => {
    expect(processEnv()).toBe(process.env);
  });

  it("is empty where there is no process, so no backend is forced", () => {
    vi.stubGlobal("process", undefined);
    let env: Record<string, string | undefined> | undefined;
    let forced: string | undefined;
    try {
      env = processEnv();
      forced = forcedBackend();
    } finally {
      vi.unstubAllGlobals();
    }
    expect(env).toEqual({});
    expect(forced).toBeUndefined();
    expect(forcedBackend({ [BACKEND_ENV]: "cpu" })).toBe("cpu");
  });
});

describe("yieldToEventLoop", () => {
  afterEach(() => vi.restoreAllMocks());

  it("yields through setImmediate under Node (no timer clamp), after callbacks queued before it", async () => {
    const immediate = vi.spyOn(globalThis, "setImmediate");
    const order: string[] = [];
    setImmediate(() => order.push("queued before"));
    await yieldToEventLoop();
    order.push("after yield");
    expect(immediate).toHaveBeenCalledTimes(2); // ours and the one above
    expect(order).toEqual(["queued before", "after yield"]);
  });

  it("falls back to setTimeout where setImmediate is missing (a browser)", async () => {
    vi.stubGlobal("setImmediate", undefined);
    const timeout = vi.spyOn(globalThis, "setTimeout");
    const order: string[] = [];
    setTimeout(() => order.push("earlier timer"), 0);
    await yieldToEventLoop();
    order.push("after yield");
    expect(timeout).toHaveBeenCalledTimes(2);
    expect(order).toEqual(["earlier timer", "after yield"]);
  });
});

describe("initBrowserBackend", () => {
  it("without a wasm binary runs on cpu rather than letting tfjs look for one", async () => {
    try {
      const info = await initBrowserBackend();
      expect(info.name).toBe("cpu");
      expect(tf.getBackend()).toBe("cpu");
      expect(tf.tidy(() => tf.tensor1d([1, 2, 3]).sum().dataSync()[0])).toBe(6);
    } finally {
      await initBackend("wasm");
    }
    expect(tf.getBackend()).toBe("wasm");
  });
});
