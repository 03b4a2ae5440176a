// Shared helpers for the project's command-line scripts (setup, notebooks, site).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// The tests point these elsewhere to run scratch notebooks without touching the real ones.
export const NOTEBOOKS_DIR = resolve(process.env.MBRL_NOTEBOOKS_DIR ?? join(ROOT, "notebooks"));
export const BUILD_DIR = resolve(process.env.MBRL_BUILD_DIR ?? join(ROOT, "build", "notebooks"));
export const JUPYTER_DIR = join(ROOT, ".jupyter");
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
  return { status: r.error ? -1 : r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error) : "") };
}

/**
 * The Python that has Jupyter's nbclient. Debian's /usr/bin/python3 comes first: the
 * `python3` on PATH may be another install (pyenv) without Jupyter. MBRL_PYTHON overrides.
 */
export function findPython() {
  const candidates = process.env.MBRL_PYTHON ? [process.env.MBRL_PYTHON] : ["/usr/bin/python3", "python3", "python"];
  for (const py of candidates) {
    if (run(py, ["-c", "import nbclient, nbconvert, nbformat"]).status === 0) return py;
  }
  return undefined;
}

/** The environment every Jupyter call gets: our kernelspec first, our node_modules/.bin on PATH. */
export function jupyterEnv() {
  return {
    JUPYTER_PATH: [JUPYTER_DIR, process.env.JUPYTER_PATH].filter(Boolean).join(":"),
    PATH: [join(ROOT, "node_modules", ".bin"), process.env.PATH].join(":"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
}

/** Notebook names (file stems) under notebooks/, sorted. */
export function listNotebooks() {
  return readdirSync(NOTEBOOKS_DIR).filter((f) => f.endsWith(".ipynb")).map((f) => f.slice(0, -6)).sort();
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
    const m = [].concat(cell.source).join("").match(/^#\s+(.+)$/m);
    if (m) return m[1].trim();
  }
  return "Untitled";
}
