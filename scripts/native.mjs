// npm run setup -- --native: the native `tensorflow` backend, built from registry packages only.
//
// tfjs-node's own install script downloads libtensorflow from a host outside npm and PyPI. Instead:
//   1. npm:  @tensorflow/tfjs-node (its JS and the addon's C++ source), installed without scripts
//            into .native/, without its own copy of tfjs so that it registers in the project's tfjs;
//   2. PyPI: the tensorflow-cpu wheel, whose libtensorflow_cc.so.2 exports TensorFlow's C and eager
//            C APIs (TF_*, TFE_*), the symbols the addon calls; with libtensorflow_framework.so.2 and
//            the C headers it goes into the addon's deps/ as its binding.gyp expects;
//   3. node-gyp (npm's own) compiles the addon against Node's installed headers (no header download);
//   4. node_modules/@tensorflow/tfjs-node becomes a link to the built package (it held plain tfjs,
//      put there by danfojs-node's override), so `require("@tensorflow/tfjs-node")` is the real one.
// Idempotent: a second run only checks that the addon loads and the link is in place.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { ROOT, run } from "./lib.mjs";

export const TFJS_NODE_VERSION = "4.22.0";
export const TENSORFLOW_WHEEL = {
  name: "tensorflow-cpu",
  version: "2.21.0",
  python: "3.11",
  platform: "manylinux_2_27_x86_64",
};

const NATIVE_DIR = join(ROOT, ".native");
const PACKAGE_DIR = join(NATIVE_DIR, "node_modules", "@tensorflow", "tfjs-node");
const LINK = join(ROOT, "node_modules", "@tensorflow", "tfjs-node");
const STAMP = join(PACKAGE_DIR, "deps", "built-from.json");
// The wheel's paths the addon needs: the two shared libraries, and the headers that
// tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h include (checked by compiling).
const WHEEL_LIBS = ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"];
const WHEEL_HEADERS = ["tensorflow/c/", "tensorflow/core/platform/", "xla/tsl/c/", "xla/tsl/platform/", "tsl/"];

/** @returns {never} */
function fail(message) {
  throw new Error(`native backend: ${message}`);
}

/** What this build is made of; a different stamp means rebuild. */
function wanted() {
  return {
    tfjsNode: TFJS_NODE_VERSION,
    wheel: TENSORFLOW_WHEEL,
    node: process.versions.node,
    abi: process.versions.modules,
  };
}

/** The addon's path as tfjs-node itself will look it up (node-pre-gyp's napi-v* folder). */
function addonPath() {
  const r = run(
    process.execPath,
    [
      "-e",
      `process.stdout.write(require("@mapbox/node-pre-gyp").find(${JSON.stringify(join(PACKAGE_DIR, "package.json"))}))`,
    ],
    { cwd: PACKAGE_DIR },
  );
  if (r.status !== 0) fail(`cannot locate the addon path with node-pre-gyp:\n${r.stderr}`);
  return r.stdout;
}

/** npm: tfjs-node and its runtime dependencies, minus the tfjs packages the project already has. */
function installPackage() {
  mkdirSync(NATIVE_DIR, { recursive: true });
  writeFileSync(
    join(NATIVE_DIR, "package.json"),
    JSON.stringify({ private: true, dependencies: { "@tensorflow/tfjs-node": TFJS_NODE_VERSION } }, null, 1) + "\n",
  );
  const r = run("npm", ["install", "--ignore-scripts", "--omit=dev", "--no-package-lock", "--no-audit", "--no-fund"], {
    cwd: NATIVE_DIR,
    inherit: true,
  });
  if (r.status !== 0) fail("npm install @tensorflow/tfjs-node failed (see above)");
  // A second tfjs would be a second set of kernels and backends; tfjs-node must find the project's.
  const scope = join(NATIVE_DIR, "node_modules", "@tensorflow");
  for (const name of readdirSync(scope))
    if (name !== "tfjs-node") rmSync(join(scope, name), { recursive: true, force: true });
}

/** A Python with pip (only to download the wheel; no Python package is installed). */
function findPip() {
  for (const py of [process.env.MBRL_PYTHON, "python3", "/usr/bin/python3"].filter(Boolean)) {
    if (run(py, ["-m", "pip", "--version"]).status === 0) return py;
  }
  fail("no python3 with pip to download the tensorflow-cpu wheel (apt-get install python3-pip)");
}

/** PyPI: the wheel (its libraries do not depend on the Python version it is tagged for). */
function downloadWheel(dir) {
  const { name, version, python, platform } = TENSORFLOW_WHEEL;
  const r = run(
    findPip(),
    [
      "-m",
      "pip",
      "download",
      "--no-deps",
      "--only-binary=:all:",
      "--platform",
      platform,
      "--python-version",
      python,
      "--dest",
      dir,
      `${name}==${version}`,
    ],
    { inherit: true },
  );
  if (r.status !== 0) fail(`pip download ${name}==${version} failed (see above)`);
  const wheel = readdirSync(dir).find(
    (f) => f.startsWith(`${name.replace("-", "_")}-${version}-`) && f.endsWith(".whl"),
  );
  if (!wheel) fail(`pip download left no ${name} wheel in ${dir}`);
  return join(dir, wheel);
}

/** Unpack the libraries and headers into deps/, named as binding.gyp links them (-ltensorflow). */
function unpackWheel(wheel) {
  const deps = join(PACKAGE_DIR, "deps");
  rmSync(deps, { recursive: true, force: true });
  const script = `
import os, sys, zipfile
wheel, deps, libs, headers = sys.argv[1], sys.argv[2], sys.argv[3].split(","), tuple(sys.argv[4].split(","))
z = zipfile.ZipFile(wheel)
for info in z.infolist():
    name = info.filename
    if name.startswith("tensorflow/include/") and name[19:].startswith(headers) and not info.is_dir():
        out = os.path.join(deps, "include", name[19:])
    elif name.startswith("tensorflow/") and name[11:] in libs:
        out = os.path.join(deps, "lib", name[11:])
    else:
        continue
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with z.open(info) as src, open(out + ".part", "wb") as dst:
        while chunk := src.read(1 << 24):
            dst.write(chunk)
    os.replace(out + ".part", out)
`;
  const r = run(findPip(), ["-c", script, wheel, deps, WHEEL_LIBS.join(","), WHEEL_HEADERS.join(",")]);
  if (r.status !== 0) fail(`unpacking ${wheel} failed:\n${r.stderr}`);
  const lib = join(deps, "lib");
  for (const file of WHEEL_LIBS) if (!existsSync(join(lib, file))) fail(`${file} is not in ${wheel}`);
  // Symbol tables the dynamic linker never reads: about 200 MB of libtensorflow_cc's 790 MB.
  run("strip", ["--strip-unneeded", join(lib, WHEEL_LIBS[0])]);
  symlinkSync(WHEEL_LIBS[0], join(lib, "libtensorflow.so"));
  symlinkSync(WHEEL_LIBS[1], join(lib, "libtensorflow_framework.so"));
}

/** node-gyp, with Node's installed headers (--nodedir) so that nothing is downloaded. */
function compileAddon(target) {
  const nodeDir = join(dirname(process.execPath), "..");
  if (!existsSync(join(nodeDir, "include", "node", "node_api.h")))
    fail(`Node's headers are not in ${nodeDir}/include/node`);
  const npmCli = process.env.npm_execpath ?? "/usr/lib/node_modules/npm/bin/npm-cli.js";
  const nodeGyp =
    process.env.npm_config_node_gyp ?? join(dirname(npmCli), "..", "node_modules", "node-gyp", "bin", "node-gyp.js");
  if (!existsSync(nodeGyp)) fail(`npm's node-gyp is not at ${nodeGyp}`);
  const napi = target.match(/napi-v(\d+)/)?.[1] ?? fail(`unexpected addon path ${target}`);
  const r = run(
    process.execPath,
    [
      nodeGyp,
      "rebuild",
      `--nodedir=${nodeDir}`,
      "--",
      `-Dnapi_build_version=${napi}`,
      "-Dmodule_name=tfjs_binding",
      `-Dmodule_path=${dirname(target)}`,
    ],
    { cwd: PACKAGE_DIR },
  );
  if (r.status !== 0 || !existsSync(target))
    fail(`node-gyp could not build the addon:\n${(r.stdout + r.stderr).slice(-4000)}`);
  rmSync(join(PACKAGE_DIR, "build"), { recursive: true, force: true });
}

/** Point node_modules/@tensorflow/tfjs-node at the built package (replacing danfo's plain tfjs). */
function link() {
  const target = relative(dirname(LINK), PACKAGE_DIR);
  if (existsSync(LINK) && lstatSync(LINK).isSymbolicLink()) return;
  if (existsSync(LINK)) renameSync(LINK, `${LINK}.plain-tfjs`);
  symlinkSync(target, LINK, "dir");
  rmSync(`${LINK}.plain-tfjs`, { recursive: true, force: true });
}

/** Load it as the library will, in a fresh process: the backend registers and computes. */
function check() {
  const probe = `process.env.TF_CPP_MIN_LOG_LEVEL = "2";
const tf = require("@tensorflow/tfjs"); const node = require("@tensorflow/tfjs-node");
const y = tf.tensor2d([[1, 2], [3, 4]]).matMul(tf.tensor2d([[5], [6]])).dataSync();
if (tf.getBackend() !== "tensorflow" || y[0] !== 17 || y[1] !== 39) throw new Error("wrong backend or result: " + tf.getBackend() + " " + y);
process.stdout.write(node.version["tfjs-node"]);`;
  return run(process.execPath, ["-e", probe]);
}

/** Build (or confirm) the native backend; returns a one-line summary for setup. */
export function native() {
  let built = false;
  const stamp = existsSync(STAMP) ? readFileSync(STAMP, "utf8") : "";
  if (stamp !== JSON.stringify(wanted())) {
    rmSync(NATIVE_DIR, { recursive: true, force: true });
    installPackage();
    const target = addonPath();
    const wheels = join(NATIVE_DIR, "wheels");
    unpackWheel(downloadWheel(wheels));
    rmSync(wheels, { recursive: true, force: true });
    compileAddon(target);
    writeFileSync(STAMP, JSON.stringify(wanted()));
    built = true;
  }
  link();
  const r = check();
  if (r.status !== 0) fail(`the built addon does not work:\n${r.stderr.slice(-4000)}`);
  const { name, version } = TENSORFLOW_WHEEL;
  return `tfjs-node ${r.stdout} on ${name} ${version} ${built ? "built" : "up to date"}`;
}
