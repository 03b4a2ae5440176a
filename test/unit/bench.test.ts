import { beforeAll, describe, expect, it } from "vitest";
import * as publicApi from "../../src";
import { Normalizer } from "../../src/models/normalizer";
// The benchmark script (npm run bench) and its workloads, run here on src/ in their tiny
// configuration. No timing is asserted: only what runs and what is printed.
import { bench, parseArgs } from "../../scripts/bench.mjs";
import { SIZES } from "../../scripts/bench-workloads.mjs";

/** What scripts/bench.mjs passes its workloads: the public API and the internal Normalizer. */
const lib = { ...publicApi, Normalizer };
let active: publicApi.BackendInfo;
beforeAll(async () => {
  active = await lib.initBackend();
});

/** The library with its planner, BPTT trainer and fitting loop counted as they are called. */
function countingLibrary() {
  const calls = {
    openLoopPlan: [] as unknown[][],
    trainBptt: [] as unknown[][],
    fitDynamics: [] as unknown[][],
    likelihoodRatioGradients: [] as unknown[][],
    trainTruncatedBptt: [] as unknown[][],
  };
  const counted = {
    ...lib,
    openLoopPlan: (...args: Parameters<typeof lib.openLoopPlan>) => (
      calls.openLoopPlan.push(args),
      lib.openLoopPlan(...args)
    ),
    trainBptt: (...args: Parameters<typeof lib.trainBptt>) => (calls.trainBptt.push(args), lib.trainBptt(...args)),
    fitDynamics: (...args: Parameters<typeof lib.fitDynamics>) => (
      calls.fitDynamics.push(args),
      lib.fitDynamics(...args)
    ),
    likelihoodRatioGradients: (...args: Parameters<typeof lib.likelihoodRatioGradients>) => (
      calls.likelihoodRatioGradients.push(args),
      lib.likelihoodRatioGradients(...args)
    ),
    trainTruncatedBptt: (...args: Parameters<typeof lib.trainTruncatedBptt>) => (
      calls.trainTruncatedBptt.push(args),
      lib.trainTruncatedBptt(...args)
    ),
  };
  return { counted, calls };
}

describe("npm run bench", () => {
  it("runs every workload through the library and prints one JSON line per workload with --json", async () => {
    const { counted, calls } = countingLibrary();
    const lines: string[] = [];
    const logged: string[] = [];
    const before = lib.tf.memory().numTensors;
    await bench(
      counted,
      parseArgs(["--quick", "--json"]),
      (line: string) => lines.push(line),
      (line: string) => logged.push(line),
    );
    expect(lib.tf.memory().numTensors).toBe(before);

    expect(lines).toHaveLength(5);
    const records = lines.map((line) => JSON.parse(line));
    expect(records.map((r) => r.workload)).toEqual([
      "mpc-cem",
      "bptt",
      "fit-dynamics",
      "lr-gradient",
      "truncated-bptt",
    ]);
    for (const r of records) {
      expect(Object.keys(r).sort()).toEqual(["impl", "ms", "runs", "workload"]);
      expect(r.ms).toBeGreaterThan(0);
      expect(r.runs).toBe(SIZES.quick[r.workload as keyof typeof SIZES.quick].runs);
      expect(r.impl).toBe(active.name);
    }
    // Each timed unit is a real library call: one CEM plan per run, one trainBptt and one
    // fitDynamics whose iterations or epochs are the runs (warm-ups included).
    const q = SIZES.quick;
    expect(calls.openLoopPlan).toHaveLength(q["mpc-cem"].warmup + q["mpc-cem"].runs);
    expect(calls.openLoopPlan[0][3]).toMatchObject({
      method: "cem",
      samples: q["mpc-cem"].samples,
      horizon: q["mpc-cem"].horizon,
    });
    expect(calls.trainBptt).toHaveLength(1);
    expect(calls.trainBptt[0][4]).toMatchObject({
      iterations: q.bptt.warmup + q.bptt.runs,
      horizon: q.bptt.horizon,
      batchSize: q.bptt.batch,
    });
    expect(calls.fitDynamics).toHaveLength(1);
    expect(calls.fitDynamics[0][3]).toMatchObject({
      epochs: q["fit-dynamics"].warmup + q["fit-dynamics"].runs,
      batchSize: q["fit-dynamics"].batch,
    });
    expect(calls.likelihoodRatioGradients).toHaveLength(q["lr-gradient"].warmup + q["lr-gradient"].runs);
    expect(calls.likelihoodRatioGradients[0][2]).toMatchObject({ batchSize: q["lr-gradient"].batch });
    expect(calls.trainTruncatedBptt).toHaveLength(1);
    expect(calls.trainTruncatedBptt[0][5]).toMatchObject({
      window: q["truncated-bptt"].window,
      iterations: q["truncated-bptt"].warmup + q["truncated-bptt"].runs,
      criticEvery: 0,
    });
    // The two new workloads log the numbers another implementation must reproduce.
    expect(logged.some((l) => /^lr-gradient: J = -?\d+\.\d+ ± \d+\.\d+ \(SE\); ∇_W J = \[/.test(l))).toBe(true);
    expect(logged.some((l) => /^truncated-bptt: first update: J_h = -?\d+\.\d+, ‖∇θ J_h‖ = \d+\.\d+$/.test(l))).toBe(
      true,
    );
  });

  it("prints readable lines on every backend but cpu without --json, the active one last, runs only the workloads named, and rejects unknown arguments", async () => {
    const lines: string[] = [];
    await bench(
      lib,
      parseArgs(["bptt", "--quick"]),
      (line: string) => lines.push(line),
      () => {},
    );
    const fast = active.available.filter((b) => b !== "cpu");
    expect(lines).toHaveLength(fast.length);
    expect(lines.at(-1)).toMatch(new RegExp(`^bptt\\s+\\d+\\.\\d ms {2}\\(median of 2, ${active.name}\\)$`));
    expect(lines.map((l) => l.match(/, (\w+)\)$/)?.[1]).sort()).toEqual([...fast].sort());
    expect(lib.tf.getBackend()).toBe(active.name);
    expect(parseArgs([]).names).toEqual(["mpc-cem", "bptt", "fit-dynamics", "lr-gradient", "truncated-bptt"]);
    expect(() => parseArgs(["--fast"])).toThrow(/unknown option --fast/);
    expect(() => parseArgs(["cem"])).toThrow(/unknown workload cem/);
  });
});
