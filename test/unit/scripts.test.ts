// The scripts' shared command-line handling (scripts/lib.mjs): node:util parseArgs, a usage line
// on every error, exit status 2 for a bad command line.
import { describe, expect, it } from "vitest";
import { spawnSync } from "child_process";
import { join, resolve } from "path";
import { UsageError, jupyterEnv, parseCommandLine } from "../../scripts/lib.mjs";
import { inParallel } from "../../scripts/notebooks.mjs";

const ROOT = resolve(__dirname, "..", "..");
const USAGE = "usage: x [name ...] [--timeout SECONDS] [--json]";
const OPTIONS = { timeout: { type: "string" as const }, json: { type: "boolean" as const } };

describe("parseCommandLine", () => {
  it("returns options and positionals", () => {
    const { values, positionals } = parseCommandLine(["a", "--timeout", "5", "b", "--json"], OPTIONS, USAGE);
    expect(values).toEqual({ timeout: "5", json: true });
    expect(positionals).toEqual(["a", "b"]);
  });

  it("names the bad argument and appends the usage line", () => {
    const bad = (argv: string[], rules?: { positionals?: boolean }) => {
      try {
        parseCommandLine(argv, OPTIONS, USAGE, rules);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`${argv.join(" ")} was accepted`);
    };
    expect(bad(["--fast"])).toBe(`unknown option --fast; ${USAGE}`);
    expect(bad(["--timeout"])).toBe(`Option '--timeout <value>' argument missing; ${USAGE}`);
    expect(bad(["--json=yes"])).toBe(`Option '--json' does not take an argument; ${USAGE}`);
    expect(bad(["extra"], { positionals: false })).toBe(`Unexpected argument 'extra'; ${USAGE}`);
  });
});

describe("jupyterEnv", () => {
  it("turns the kernels' row workers off when several kernels run at once, and only then", () => {
    expect(jupyterEnv(2).MBRL_WORKERS).toBe("0");
    expect(jupyterEnv(1)).not.toHaveProperty("MBRL_WORKERS");
    expect(jupyterEnv()).not.toHaveProperty("MBRL_WORKERS");
  });
});

describe("inParallel (the runner's --jobs)", () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));

  it("runs every item, at most `jobs` at once, starting them in list order", async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await inParallel([10, 11, 12, 13, 14], 2, async (item: number) => {
      started.push(item);
      most = Math.max(most, ++running);
      await tick();
      running--;
    });
    expect(started).toEqual([10, 11, 12, 13, 14]);
    expect(most).toBe(2);
  });

  it("starts nothing after a failure, lets the running one finish, and throws the failure", async () => {
    const finished: number[] = [];
    const run = inParallel([0, 1, 2, 3], 2, async (item: number) => {
      if (item === 0) throw new Error("notebook 0 failed");
      await tick();
      finished.push(item);
    });
    await expect(run).rejects.toThrow("notebook 0 failed");
    expect(finished).toEqual([1]);
  });
});

describe("scripts on a bad command line", () => {
  // Those that parse before doing anything else, so the test starts no build or kernel.
  it.each([
    ["clean.mjs", ["--bogus"], "clean: unknown option --bogus; usage: npm run clean"],
    ["bench.mjs", ["--fast"], "unknown option --fast; usage: npm run bench"],
    ["bench.mjs", ["cem"], "unknown workload cem; usage: npm run bench"],
    ["notebooks.mjs", ["--timeout", "0"], "--timeout must be a positive number of seconds; usage: npm run notebooks"],
    ["notebooks.mjs", ["--jobs", "1.5"], "--jobs must be a positive integer; usage: npm run notebooks"],
    ["site.mjs", ["--force=1"], "Option '--force' does not take an argument; usage: npm run site"],
    ["setup.mjs", ["extra"], "setup: Unexpected argument 'extra'; usage: npm run setup"],
    ["make-pendulum-data.js", ["--out"], "make-pendulum-data: Option '--out <value>' argument missing; usage:"],
  ])("%s %j exits 2 with its usage line", (script, argv, message) => {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", script), ...argv], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
  });
});
