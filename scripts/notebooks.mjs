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
  VENV_JUPYTER,
  findPython,
  jupyterEnv,
  resolveNotebooks,
  run,
} from "./lib.mjs";

// Per-cell lines are printed unless MBRL_QUIET is set (the tests set it).
const QUIET = Boolean(process.env.MBRL_QUIET);

/** Parse `[names...] [--timeout N]`. */
export function parseArgs(argv) {
  const names = [];
  let timeout = 300;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--timeout") timeout = Number(argv[++i]);
    else if (argv[i].startsWith("--"))
      throw new Error(`unknown option ${argv[i]}; usage: npm run notebooks [name ...] [-- --timeout SECONDS]`);
    else names.push(argv[i]);
  }
  if (!(timeout > 0)) throw new Error("--timeout must be a positive number of seconds");
  return { names, timeout };
}

/** Build the library, so notebooks import the current src/ through dist/. */
export function buildLibrary() {
  const r = run("npx", ["tsc", "-p", "tsconfig.json"]);
  if (r.status !== 0) throw new Error(`building dist/ failed:\n${r.stdout}${r.stderr}`);
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
  main(process.argv.slice(2)).catch((e) => {
    console.error(`\n${e.message}`);
    process.exit(1);
  });
}
