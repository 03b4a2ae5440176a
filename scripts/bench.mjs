// npm run bench [workload ...] [-- --json] [--quick] [--no-build]
// Builds the library, then times the workloads of ../shared/bench/WORKLOADS.md through it
// (scripts/bench-workloads.mjs) and prints each one's median, on every fast tfjs backend that
// registered (native tensorflow after `npm run setup -- --native`, and wasm).
// --json: one line per workload, {"workload", "ms", "runs", "impl"} (impl = the tfjs backend), on
// the active backend only, as ../shared/bench/compare.sh expects (MBRL_BACKEND picks it).
// --quick: tiny sizes, for smoke tests. --no-build: use dist/ as it is. Progress goes to stderr.
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, UsageError, buildLibrary, exitWithError, parseCommandLine } from "./lib.mjs";
import { SIZES, WORKLOADS, median } from "./bench-workloads.mjs";

const USAGE = `usage: npm run bench [${Object.keys(WORKLOADS).join("|")} ...] [-- --json] [--quick] [--no-build]`;

/** Parse `[names...] [--json] [--quick] [--no-build]`; throws a UsageError on anything else. */
export function parseArgs(argv) {
  const { values, positionals } = parseCommandLine(
    argv,
    { json: { type: "boolean" }, quick: { type: "boolean" }, "no-build": { type: "boolean" } },
    USAGE,
  );
  for (const name of positionals) if (!(name in WORKLOADS)) throw new UsageError(`unknown workload ${name}; ${USAGE}`);
  return {
    names: positionals.length > 0 ? positionals : Object.keys(WORKLOADS),
    json: Boolean(values.json),
    quick: Boolean(values.quick),
    build: !values["no-build"],
    // --json reports the active backend only, as compare.sh expects.
    allBackends: !values.json,
  };
}

/**
 * Run the named workloads on `lib` and report each: a JSON line, or a readable one; with
 * `allBackends`, on each registered backend but cpu (the slow reference), the active one last.
 * @returns the results {workload, ms, runs, impl}
 */
export async function bench(
  lib,
  /** @type {ReturnType<typeof parseArgs>} */ { allBackends, ...options },
  out = (line) => console.log(line),
  log = (line) => console.error(line),
) {
  const active = await lib.initBackend();
  const others = allBackends ? active.available.filter((b) => b !== "cpu" && b !== active.name) : [];
  const results = [];
  for (const name of [...others, active.name])
    results.push(...(await benchOn(lib, await lib.initBackend(name), options, out, log)));
  return results;
}

async function benchOn(lib, backend, { names, json, quick }, out, log) {
  log(lib.describeBackend(backend));
  const results = [];
  for (const name of names) {
    const sizes = SIZES[quick ? "quick" : "full"][name];
    log(`${name}: ${sizes.warmup} warm-up + ${sizes.runs} timed runs ...`);
    const outcome = await WORKLOADS[name](lib, sizes);
    // A workload returns its durations, or {times, check}: a number to compare across implementations.
    const times = Array.isArray(outcome) ? outcome : outcome.times;
    if (!Array.isArray(outcome)) log(`${name}: ${outcome.check}`);
    const result = { workload: name, ms: Number(median(times).toFixed(2)), runs: times.length, impl: backend.name };
    log(`${name}: runs ${times.map((t) => t.toFixed(1)).join(", ")} ms`);
    out(
      json
        ? JSON.stringify(result)
        : `${name.padEnd(14)} ${result.ms.toFixed(1).padStart(9)} ms  (median of ${result.runs}, ${result.impl})`,
    );
    results.push(result);
  }
  return results;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.build) buildLibrary();
  // The public library, and the Normalizer the workloads set on their models (an internal).
  const require = createRequire(import.meta.url);
  const lib = { ...require(join(ROOT, "dist", "index.js")), ...require(join(ROOT, "dist", "models", "normalizer.js")) };
  await bench(lib, options);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => exitWithError(e, { stack: true }));
}
