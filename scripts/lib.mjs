// Shared helpers for the project's command-line scripts (setup, notebooks, site, bench, clean).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// The tests point these elsewhere to run scratch notebooks without touching the real ones.
export const NOTEBOOKS_DIR = resolve(process.env.MBRL_NOTEBOOKS_DIR ?? join(ROOT, "notebooks"));
export const BUILD_DIR = resolve(process.env.MBRL_BUILD_DIR ?? join(ROOT, "build", "notebooks"));
/** The project's Python environment, made by `npm run setup` from requirements.txt. */
export const VENV = join(ROOT, ".venv");
export const VENV_BIN = join(VENV, "bin");
/** Where Jupyter in the venv keeps its data (kernelspecs, lab extensions): its sys-prefix. */
export const VENV_JUPYTER = join(VENV, "share", "jupyter");
export const KERNEL_NAME = "tslab";

/** Run a command; returns {status, stdout, stderr}. `inherit` streams its output to ours. */
export function run(cmd, args, { inherit = false, env = {}, cwd = ROOT } = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    stdio: inherit ? "inherit" : "pipe",
    maxBuffer: 1 << 28,
  });
  return {
    status: r.error ? -1 : r.status,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? (r.error ? String(r.error) : ""),
  };
}

/**
 * The project's TypeScript compiler. Not `npx tsc`: tslab's own TypeScript (5.0) also installs a
 * `tsc`, and npm may link node_modules/.bin/tsc to either.
 */
export const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** Compile src/ into dist/ (the one build every script uses); throws with tsc's output on failure. */
export function buildLibrary() {
  const r = run(process.execPath, [TSC, "-p", "tsconfig.json"]);
  if (r.status !== 0) throw new Error(`building dist/ failed:\n${r.stdout}${r.stderr}`);
}

/** A bad command line: the script prints the message (which ends with its usage line) and exits 2. */
export class UsageError extends Error {}

/**
 * A script's command line, parsed by node:util's parseArgs (strict: unknown options are errors).
 * @param {string[]} argv the arguments after the script's name
 * @param {import("node:util").ParseArgsConfig["options"]} options as parseArgs takes them
 * @param {string} usage the script's usage line, appended to every error
 * @param {{ positionals?: boolean }} [rules] whether arguments other than options are allowed (default yes)
 * @returns {{ values: Record<string, any>, positionals: string[] }}
 */
export function parseCommandLine(argv, options, usage, { positionals = true } = {}) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
  } catch (e) {
    const error = /** @type {Error & { code?: string }} */ (e);
    if (!error.code?.startsWith("ERR_PARSE_ARGS")) throw e;
    // parseArgs' own message is a paragraph; name the argument in a few words instead.
    const argument = error.message.match(/'(-[^' ]*)/)?.[1];
    const why =
      error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? `unknown option ${argument}` : error.message.split(".")[0];
    throw new UsageError(`${why}; ${usage}`);
  }
}

/**
 * End a failed script: a usage error exits 2, anything else 1. `prefix` names the script;
 * `stack` prints the stack of an unexpected error rather than its message.
 * @returns {never}
 */
export function exitWithError(/** @type {unknown} */ e, { prefix = "", stack = false } = {}) {
  const error = /** @type {Error} */ (e);
  const usage = error instanceof UsageError;
  console.error(`${prefix}${stack && !usage ? (error.stack ?? String(error)) : error.message}`);
  process.exit(usage ? 2 : 1);
}

/**
 * The venv's Python, which has Jupyter's nbclient and nbconvert; undefined when it is missing
 * or broken. MBRL_PYTHON overrides it (the tests use that to simulate a missing environment).
 */
export function findPython() {
  const py = process.env.MBRL_PYTHON ?? join(VENV_BIN, "python");
  return run(py, ["-c", "import nbclient, nbconvert, nbformat"]).status === 0 ? py : undefined;
}

/** A command from the venv (jupyter, pip): never the system's. */
export const venvCommand = (name) => join(VENV_BIN, name);

/**
 * The environment every Jupyter call gets: the venv and our node_modules/.bin first on PATH,
 * and the venv's data first on JUPYTER_PATH, so its tslab kernelspec wins over one that a user
 * may have registered in their own Jupyter. With `kernelsAtOnce` > 1 the kernels' row workers
 * (src/models/fast/rowWorker.ts) are off, MBRL_WORKERS=0: two kernels already fill two cores, and
 * a second thread in each would only oversubscribe them.
 */
export function jupyterEnv(kernelsAtOnce = 1) {
  return {
    ...(kernelsAtOnce > 1 ? { MBRL_WORKERS: "0" } : {}),
    JUPYTER_PATH: [VENV_JUPYTER, process.env.JUPYTER_PATH].filter(Boolean).join(":"),
    PATH: [join(ROOT, "node_modules", ".bin"), VENV_BIN, process.env.PATH].join(":"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
}

/** Notebook names (file stems) under notebooks/, sorted. */
export function listNotebooks() {
  return readdirSync(NOTEBOOKS_DIR)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => f.slice(0, -6))
    .sort();
}

/**
 * Resolve names given on the command line: a full stem, or a unique prefix such as "01".
 * Throws with the list of available notebooks on an unknown name.
 */
export function resolveNotebooks(names) {
  const all = listNotebooks();
  if (names.length === 0) return all;
  return names.map((name) => {
    const stem = name.replace(/^notebooks\//, "").replace(/\.ipynb$/, "");
    const matches = all.includes(stem) ? [stem] : all.filter((n) => n.startsWith(stem));
    if (matches.length !== 1) {
      const why = matches.length === 0 ? "no notebook is called" : "more than one notebook matches";
      throw new Error(`${why} "${name}". Available notebooks:\n${all.map((n) => `  ${n}`).join("\n")}`);
    }
    return matches[0];
  });
}

/** The notebook's title: the text of its first markdown heading. */
export function notebookTitle(nb) {
  for (const cell of nb.cells) {
    if (cell.cell_type !== "markdown") continue;
    const m = []
      .concat(cell.source)
      .join("")
      .match(/^#\s+(.+)$/m);
    if (m) return m[1].trim();
  }
  return "Untitled";
}
