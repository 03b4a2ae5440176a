// npm run notebooks [name ...] [-- --timeout SECONDS] [--jobs N]
// Executes notebooks in a fresh tslab kernel each, through Jupyter's nbclient from .venv, and writes
// the executed copies to build/notebooks/ (never over the sources), signed as trusted. A copy is
// replaced only when its run succeeded. Exits non-zero naming the notebook, cell and error on failure.
// Kernels compute on one thread, so --jobs (default: 2, or 1 on a one-core machine) runs that many
// notebooks at once, in separate kernels: nothing is shared, so their outputs do not depend on it.
// (A kernel run alone also uses a second thread for big forward passes; see `jupyterEnv`.)
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import {
  BUILD_DIR,
  KERNEL_NAME,
  NOTEBOOKS_DIR,
  ROOT,
  UsageError,
  VENV_JUPYTER,
  buildLibrary,
  exitWithError,
  findPython,
  jupyterEnv,
  parseCommandLine,
  resolveNotebooks,
} from "./lib.mjs";

// Per-cell lines are printed unless MBRL_QUIET is set (the tests set it).
const QUIET = Boolean(process.env.MBRL_QUIET);

const USAGE = "usage: npm run notebooks [name ...] [-- --timeout SECONDS] [--jobs N]";

/** Notebooks run at once by default: one per core, at most two (each kernel's peak is ~0.5 GB). */
export const DEFAULT_JOBS = Math.min(2, availableParallelism());

/** Parse `[names...] [--timeout N] [--jobs N]`; throws a UsageError on anything else. */
export function parseArgs(argv) {
  /** @type {import("node:util").ParseArgsConfig["options"]} */
  const options = { timeout: { type: "string", default: "300" }, jobs: { type: "string", default: `${DEFAULT_JOBS}` } };
  const { values, positionals } = parseCommandLine(argv, options, USAGE);
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds; ${USAGE}`);
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive integer; ${USAGE}`);
  return { names: positionals, timeout, jobs };
}

/**
 * Call `run` on every item, at most `jobs` at a time, in order of the list. After a failure no
 * new item starts; those running finish, and the first failure is thrown.
 */
export async function inParallel(items, jobs, run) {
  let next = 0;
  let failure;
  const lane = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      await run(items[i], i).catch((e) => {
        failure ??= e;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, lane));
  if (failure) throw failure;
}

/** Run a command, streaming its stderr (indented, each line after `tag`) to ours while keeping a copy. */
function runStreaming(cmd, args, env, tag) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const shown = String(chunk).replace(/^PEAK_MEMORY_MB.*\n?/m, "");
      if (!QUIET && shown) process.stderr.write(shown.replace(/^(?=.)/gm, `    ${tag}`));
    });
    child.on("close", (status) => resolvePromise({ status, stderr }));
  });
}

/**
 * Execute one notebook, one of `kernelsAtOnce` running at the same time (see `jupyterEnv`);
 * returns seconds taken and the kernel's peak memory. Throws with notebook, cell and error on failure.
 */
export async function executeNotebook(python, name, timeout, kernelsAtOnce = 1) {
  const source = join(NOTEBOOKS_DIR, `${name}.ipynb`);
  const target = join(BUILD_DIR, `${name}.ipynb`);
  const partial = join(BUILD_DIR, `${name}.partial.ipynb`);
  const started = Date.now();
  const script = join(ROOT, "scripts", "execute_notebook.py");
  const r = await runStreaming(
    python,
    [script, source, partial, "--kernel", KERNEL_NAME, "--timeout", String(timeout)],
    jupyterEnv(kernelsAtOnce),
    `${name}: `,
  );
  const seconds = (Date.now() - started) / 1000;
  if (r.status !== 0) {
    const failure =
      r.stderr.split("\n").find((l) => l.startsWith("FAILED")) ?? r.stderr.trim().split("\n").slice(-5).join("\n");
    throw new Error(
      `notebook ${name} failed after ${seconds.toFixed(1)} s: ${failure}\n(partial outputs: ${partial}; the previous good copy is kept)`,
    );
  }
  renameSync(partial, target);
  const peak = r.stderr.match(/^PEAK_MEMORY_MB (\d+)/m);
  return { seconds, peakMb: peak ? Number(peak[1]) : undefined };
}

/** Check the tools, build the library and make the build folder; returns the Python to use. */
export function prepareRun() {
  const python = findPython();
  if (!python) throw new Error("Jupyter (nbclient and nbconvert in .venv) was not found. Run `npm run setup` first.");
  if (!existsSync(join(VENV_JUPYTER, "kernels", KERNEL_NAME, "kernel.json"))) {
    throw new Error("the tslab kernelspec is missing. Run `npm run setup` first.");
  }
  buildLibrary();
  mkdirSync(BUILD_DIR, { recursive: true });
  return python;
}

/** Print a line as a notebook starts, run it, and print a line with its seconds and memory. */
export async function executeWithProgress(python, name, label, timeout = 300, kernelsAtOnce = 1) {
  console.log(`${label} ${name} ... started`);
  const { seconds, peakMb } = await executeNotebook(python, name, timeout, kernelsAtOnce);
  console.log(`${label} ${name} ... ok in ${seconds.toFixed(1)} s, kernel peak memory ${peakMb ?? "?"} MB`);
  return seconds;
}

export async function main(argv) {
  const { names, timeout, jobs } = parseArgs(argv);
  const selected = resolveNotebooks(names);
  const python = prepareRun();
  const total = Date.now();
  const atOnce = Math.min(jobs, selected.length);
  await inParallel(selected, jobs, (name, i) =>
    executeWithProgress(python, name, `notebooks: [${i + 1}/${selected.length}]`, timeout, atOnce),
  );
  const wall = ((Date.now() - total) / 1000).toFixed(1);
  console.log(`notebooks: ${selected.length} executed in ${wall} s (${jobs} at a time) -> ${BUILD_DIR}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e) => exitWithError(e, { prefix: "\n" }));
}
