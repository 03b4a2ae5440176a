// npm run notebooks [name ...] [-- --timeout SECONDS]
// Executes notebooks in a fresh tslab kernel each, through Jupyter's nbclient from .venv, and writes
// the executed copies to build/notebooks/ (never over the sources), signed as trusted. A copy is
// replaced only when its run succeeded. Exits non-zero naming the notebook, cell and error on failure.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
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

const USAGE = "usage: npm run notebooks [name ...] [-- --timeout SECONDS]";

/** Parse `[names...] [--timeout N]`; throws a UsageError on anything else. */
export function parseArgs(argv) {
  const { values, positionals } = parseCommandLine(argv, { timeout: { type: "string", default: "300" } }, USAGE);
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds; ${USAGE}`);
  return { names: positionals, timeout };
}

/** Run a command, streaming its stderr (indented) to ours while keeping a copy. */
function runStreaming(cmd, args, env) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const shown = String(chunk).replace(/^PEAK_MEMORY_MB.*\n?/m, "");
      if (!QUIET && shown) process.stderr.write(shown.replace(/^(?=.)/gm, "    "));
    });
    child.on("close", (status) => resolvePromise({ status, stderr }));
  });
}

/**
 * Execute one notebook; returns seconds taken and the kernel's peak memory.
 * Throws with notebook, cell and error on failure.
 */
export async function executeNotebook(python, name, timeout) {
  const source = join(NOTEBOOKS_DIR, `${name}.ipynb`);
  const target = join(BUILD_DIR, `${name}.ipynb`);
  const partial = join(BUILD_DIR, `${name}.partial.ipynb`);
  const started = Date.now();
  const script = join(ROOT, "scripts", "execute_notebook.py");
  const r = await runStreaming(
    python,
    [script, source, partial, "--kernel", KERNEL_NAME, "--timeout", String(timeout)],
    jupyterEnv(),
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

/** Print one notebook's line as it starts, run it, and finish the line with seconds and memory. */
export async function executeWithProgress(python, name, label, timeout = 300) {
  process.stdout.write(`${label} ${name} ... `);
  if (!QUIET) console.log("");
  const { seconds, peakMb } = await executeNotebook(python, name, timeout);
  console.log(`ok in ${seconds.toFixed(1)} s, kernel peak memory ${peakMb ?? "?"} MB`);
  return seconds;
}

export async function main(argv) {
  const { names, timeout } = parseArgs(argv);
  const selected = resolveNotebooks(names);
  const python = prepareRun();
  const total = Date.now();
  for (const [i, name] of selected.entries()) {
    await executeWithProgress(python, name, `notebooks: [${i + 1}/${selected.length}]`, timeout);
  }
  console.log(
    `notebooks: ${selected.length} executed in ${((Date.now() - total) / 1000).toFixed(1)} s -> ${BUILD_DIR}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e) => exitWithError(e, { prefix: "\n" }));
}
