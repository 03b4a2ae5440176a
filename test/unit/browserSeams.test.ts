/**
 * The two Node-only reads the library makes, behind seams that also work in a browser bundle
 * (site panels): the environment variable that forces a backend, and the yield between epochs.
 * The browser itself is exercised by test/notebooks/panels.test.ts; here each seam is checked
 * with the Node global present and with it removed, as in a page.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { BACKEND_ENV, forcedBackend, processEnv } from "../../src/backend";
import { yieldToEventLoop } from "../../src/models/fit";

afterEach(() => vi.unstubAllGlobals());

describe("processEnv", () => {
  it("is process.env under Node", () => {
    expect(processEnv()).toBe(process.env);
  });

  it("is empty where there is no process, so no backend is forced", () => {
    vi.stubGlobal("process", undefined);
    let env: Record<string, string | undefined> | undefined;
    let forced: string | undefined = "not called";
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
  it("lets a pending timer-free callback run first under Node (setImmediate)", async () => {
    const order: string[] = [];
    setImmediate(() => order.push("other"));
    await yieldToEventLoop();
    order.push("after yield");
    expect(order).toEqual(["other", "after yield"]);
  });

  it("falls back to setTimeout where setImmediate is missing", async () => {
    vi.stubGlobal("setImmediate", undefined);
    const order: string[] = [];
    setTimeout(() => order.push("earlier timer"), 0);
    await yieldToEventLoop();
    order.push("after yield");
    expect(order).toEqual(["earlier timer", "after yield"]);
  });
});
