// npm run setup: everything a fresh machine needs, idempotent and quick the second time.
//   1. npm dependencies (skipped when node_modules matches package-lock.json)
//   2. the project's Python environment .venv/: JupyterLab 4, Notebook 7, nbconvert 7, nbclient and
//      plotly, pinned in requirements.txt (skipped when the venv was made from the same file)
//   3. a Chromium for the browser tests and the site's figure fallbacks: CHROMIUM_PATH, or
//      /usr/bin/chromium, installed with apt-get only when it is missing and we are root on Debian
//   4. the tslab kernelspec inside .venv (sys-prefix), starting this project's own node_modules/.bin/tslab
//   5. a git filter that strips outputs from notebooks/*.ipynb on commit (see scripts/clean.mjs)
//   6. the library, built into dist/
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  KERNEL_NAME,
  ROOT,
  VENV,
  VENV_JUPYTER,
  buildLibrary,
  exitWithError,
  findPython,
  parseCommandLine,
  run,
  venvCommand,
} from "./lib.mjs";
import { native } from "./native.mjs";

const REQUIREMENTS = join(ROOT, "requirements.txt");
const STAMP = join(VENV, "mbrl-requirements.sha256");
const USAGE = "usage: npm run setup [-- --native]";
const args = (() => {
  try {
    return parseCommandLine(process.argv.slice(2), { native: { type: "boolean" } }, USAGE, { positionals: false });
  } catch (e) {
    return exitWithError(e, { prefix: "setup: " });
  }
})();
const started = Date.now();
const missing = [];

function step(label, fn) {
  const t = Date.now();
  process.stdout.write(`setup: ${label} ... `);
  const result = fn();
  console.log(`${result} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}

/** @returns {never} */
function fail(message) {
  console.error(`\nsetup failed: ${message}`);
  process.exit(1);
}

const isDebianRoot = () => process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");

function aptInstall(packages) {
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if (run("apt-get", ["update", "-q"], { inherit: true, env }).status !== 0) fail("apt-get update failed");
  if (run("apt-get", ["install", "-y", "-q", ...packages], { inherit: true, env }).status !== 0)
    fail(`apt-get install ${packages.join(" ")} failed`);
}

function npmDependencies() {
  const lock = join(ROOT, "package-lock.json");
  const installed = join(ROOT, "node_modules", ".package-lock.json");
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return "up to date";
  // --ignore-scripts: our own build runs in the last step; no dependency needs its script here
  // (tslab's zeromq ships prebuilt binaries).
  const r = run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { inherit: true });
  if (r.status !== 0) fail("npm ci failed (see above)");
  return "installed";
}

/** The Python that makes the venv: MBRL_SYSTEM_PYTHON, else python3 on PATH. */
function systemPython() {
  const py = process.env.MBRL_SYSTEM_PYTHON ?? "python3";
  const r = run(py, ["-c", "import sys, venv; assert sys.version_info >= (3, 9); print(sys.version.split()[0])"]);
  return r.status === 0 ? { py, version: r.stdout.trim() } : undefined;
}

/** The stamp says which requirements (and which base Python) the venv was made from. */
function requirementsHash(version) {
  return createHash("sha256").update(readFileSync(REQUIREMENTS)).update(`\0${version}`).digest("hex");
}

function pythonEnvironment() {
  const base = systemPython();
  if (!base) {
    if (!isDebianRoot())
      fail(
        "python3 (3.9 or newer, with its venv module) was not found. Install it, e.g. `sudo apt-get install python3 python3-venv`, or set MBRL_SYSTEM_PYTHON to one.",
      );
    aptInstall(["python3", "python3-venv"]);
    return pythonEnvironment();
  }
  const hash = requirementsHash(base.version);
  if (existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === hash && findPython())
    return `up to date (Python ${base.version})`;
  if (run(venvCommand("python"), ["-m", "pip", "--version"]).status !== 0) {
    const r = run(base.py, ["-m", "venv", "--clear", VENV]);
    if (r.status !== 0) {
      // Debian's python3 has the venv module but no ensurepip until python3-venv is installed.
      if (!isDebianRoot())
        fail(
          `\`${base.py} -m venv\` failed; on Debian/Ubuntu install python3-venv (sudo apt-get install python3-venv).\n${r.stderr}`,
        );
      aptInstall(["python3-venv"]);
      if (run(base.py, ["-m", "venv", "--clear", VENV], { inherit: true }).status !== 0)
        fail("creating .venv failed (see above)");
    }
  }
  const pip = run(
    venvCommand("python"),
    ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
    { inherit: true },
  );
  if (pip.status !== 0) fail("pip install -r requirements.txt into .venv failed (see above)");
  if (!findPython()) fail(".venv was made but cannot import nbclient and nbconvert");
  writeFileSync(STAMP, hash + "\n");
  return `installed into .venv (Python ${base.version})`;
}

function chromium() {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (existsSync(path)) return path;
  if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH is ${path}, which does not exist`);
  if (isDebianRoot()) {
    aptInstall(["chromium"]);
    return "installed with apt-get";
  }
  missing.push(
    "a Chromium: `sudo apt-get install chromium`, or set CHROMIUM_PATH to a Chromium or Chrome binary (the browser tests and the site's figure images need it)",
  );
  return "MISSING";
}

/** What `jupyter kernelspec install --sys-prefix` would do, without starting Python. */
function kernelspec() {
  const dir = join(VENV_JUPYTER, "kernels", KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [join(ROOT, "node_modules", ".bin", "tslab"), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript (tslab)",
    language: "typescript",
    // Uncapped, V8 lets the kernel's heap grow far past its live set (tslab's compiler, and the
    // garbage of every op's JS objects) before collecting: 03_bptt peaked at 728 MB of resident
    // memory with about 230 MB live after a collection; with this cap, at 459 MB.
    env: { NODE_OPTIONS: "--max-old-space-size=384" },
  };
  const tmp = join(dir, "kernel.json.tmp");
  writeFileSync(tmp, JSON.stringify(spec, null, 1) + "\n");
  renameSync(tmp, join(dir, "kernel.json"));
  return `written to ${dir}`;
}

/** The clean filter named in .gitattributes; a copy outside git (a tarball) needs none. */
function gitFilter() {
  if (run("git", ["rev-parse", "--git-dir"]).status !== 0) return "skipped (not a git clone)";
  // git runs the filter from the work tree's root.
  if (run("git", ["config", "--local", "filter.mbrl-notebook.clean", "node scripts/clean.mjs --filter"]).status !== 0)
    fail("git config failed");
  return "notebooks/*.ipynb lose their outputs when committed";
}

function build() {
  try {
    buildLibrary();
  } catch (e) {
    fail(/** @type {Error} */ (e).message);
  }
  return "dist/ built";
}

step("npm dependencies", npmDependencies);
step("Python environment", pythonEnvironment);
step("Chromium", chromium);
step("tslab kernelspec", kernelspec);
step("git filter", gitFilter);
step("library", build);
// --native: the tensorflow backend built from npm and PyPI packages (scripts/native.mjs).
if (args.values.native)
  step("native backend", () => {
    try {
      return native();
    } catch (e) {
      fail(/** @type {Error} */ (e).message);
    }
  });
if (missing.length > 0) {
  console.error(`\nsetup: incomplete, still missing:\n${missing.map((m) => `  - ${m}`).join("\n")}`);
  process.exit(1);
}
console.log(`setup: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
