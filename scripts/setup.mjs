// npm run setup [-- --user]: everything a fresh machine needs, idempotent and quick the second time.
//   1. npm dependencies (skipped when node_modules matches package-lock.json)
//   2. Jupyter (nbclient, nbconvert, notebook) and Chromium, via apt-get as root on Debian/Ubuntu,
//      otherwise the exact commands to run are printed
//   3. a tslab kernelspec in .jupyter/ that starts this project's own node_modules/.bin/tslab
//      (--user also registers it in your own Jupyter, for JupyterLab)
//   4. the library, built into dist/
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JUPYTER_DIR, KERNEL_NAME, ROOT, findPython, jupyterEnv, run } from "./lib.mjs";
import { native } from "./native.mjs";

const APT_PACKAGES = ["jupyter-nbconvert", "python3-nbclient", "jupyter-notebook", "chromium"];
const args = new Set(process.argv.slice(2));
const started = Date.now();

function step(label, fn) {
  const t = Date.now();
  process.stdout.write(`setup: ${label} ... `);
  const result = fn();
  console.log(`${result} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}

function fail(message) {
  console.error(`\nsetup failed: ${message}`);
  process.exit(1);
}

function npmDependencies() {
  const lock = join(ROOT, "package-lock.json");
  const installed = join(ROOT, "node_modules", ".package-lock.json");
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return "up to date";
  // --ignore-scripts: our own `prepare` build runs in step 4; no dependency needs its script here
  // (tslab's zeromq ships prebuilt binaries).
  const r = run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { inherit: true });
  if (r.status !== 0) fail("npm ci failed (see above)");
  return "installed";
}

function isDebianRoot() {
  return process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
}

function jupyterTools() {
  const missing = [];
  if (!findPython()) missing.push("jupyter-nbconvert", "python3-nbclient", "jupyter-notebook");
  if (!existsSync("/usr/bin/chromium") && !process.env.CHROMIUM_PATH) missing.push("chromium");
  if (missing.length === 0) return "present";
  if (!isDebianRoot()) {
    console.log("\n  Jupyter or Chromium is missing. Install them with one of:");
    console.log(`    sudo apt-get install -y ${APT_PACKAGES.join(" ")}`);
    console.log("    python3 -m pip install nbclient nbconvert notebook   # and a Chromium; set CHROMIUM_PATH to it");
    return "MISSING (see the commands above)";
  }
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if (run("apt-get", ["update", "-q"], { inherit: true, env }).status !== 0) fail("apt-get update failed");
  if (run("apt-get", ["install", "-y", "-q", ...APT_PACKAGES], { inherit: true, env }).status !== 0) {
    fail(`apt-get install ${APT_PACKAGES.join(" ")} failed`);
  }
  return "installed with apt-get";
}

/** The kernelspec that starts this project's own tslab (found by Jupyter through JUPYTER_PATH). */
function kernelspec() {
  const dir = join(JUPYTER_DIR, "kernels", KERNEL_NAME);
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
  if (!args.has("--user")) return `written to ${dir}`;
  const r = run("jupyter", ["kernelspec", "install", "--user", "--replace", "--name", KERNEL_NAME, dir], { env: jupyterEnv() });
  if (r.status !== 0) fail(`jupyter kernelspec install --user failed:\n${r.stderr}`);
  return `written to ${dir} and registered for your user's Jupyter`;
}

function build() {
  const r = run("npx", ["tsc", "-p", "tsconfig.json"]);
  if (r.status !== 0) fail(`building dist/ failed:\n${r.stdout}${r.stderr}`);
  return "dist/ built";
}

step("npm dependencies", npmDependencies);
step("Jupyter and Chromium", jupyterTools);
step("tslab kernelspec", kernelspec);
step("library", build);
// --native: the tensorflow backend built from npm and PyPI packages (scripts/native.mjs).
if (args.has("--native")) step("native backend", () => { try { return native(); } catch (e) { fail(e.message); } });
console.log(`setup: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
