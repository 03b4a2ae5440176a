// The library for the site's "try it" panels: src/browser.ts bundled by esbuild into one classic
// script (global `mbrl`), and tfjs's SIMD wasm binary as a data: URL in a second script, because a
// page opened from file:// can neither fetch a .wasm file nor load an ES module (DESIGN.md, "The
// library in a browser"). The panels' own page code and style are copied beside them.
import { createRequire } from "node:module";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildSync } from "esbuild";
import { spawnSync } from "node:child_process";
import { ROOT } from "../lib.mjs";
import { cached, filesKey } from "./cache.mjs";

const require = createRequire(import.meta.url);
/** The files this step writes into the site's assets/, in the order a page loads them. */
export const PANEL_SCRIPTS = ["mbrl.js", "tfjs-wasm-simd.js", "panels.js"];
/** Data scripts only some pages load, before the panels. */
const PAGE_DATA = { "03_bptt": ["pendulum-model.js"] };

/** What the fitted pendulum model depends on: the library, the data, the packages and the fitting script. */
const PENDULUM_INPUTS = ["src", "data", "package-lock.json", "scripts/site/pendulum-model.mjs"];

/**
 * Notebook 03's learned pendulum model as a script, fitted in a fresh node process (its own
 * backend), or the copy fitted by an earlier build from the same inputs (fitting takes 5-10 s).
 */
export function writePendulumModel(file) {
  const key = filesKey(PENDULUM_INPUTS, [process.env.MBRL_BACKEND ?? ""]);
  const model = cached("pendulum-model.js", key, (out) => {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "site", "pendulum-model.mjs"), out], {
      cwd: ROOT,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`exporting the pendulum model for the 03 panel failed:\n${r.stderr}`);
  });
  copyFileSync(model, file);
  return sizes(file);
}

/** Bundle src/browser.ts into `file`; returns its size in bytes (raw and gzipped). */
export function bundleLibrary(file) {
  buildSync({
    entryPoints: [join(ROOT, "src", "browser.ts")],
    outfile: file,
    alias: { "@tensorflow/tfjs": join(ROOT, "scripts", "site", "tfjs-browser.mjs") },
    bundle: true,
    format: "iife",
    globalName: "mbrl",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    logLevel: "warning", // a name the library uses that the tfjs-core alias lacks is a warning
  });
  return sizes(file);
}

/** tfjs's SIMD wasm binary as `mbrl.WASM_SIMD_URL`, a data: URL the backend loads without a request. */
export function writeWasmScript(file) {
  const wasm = readFileSync(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
  writeFileSync(file, `window.MBRL_WASM_SIMD_URL = "data:application/wasm;base64,${wasm.toString("base64")}";\n`);
  return sizes(file);
}

function sizes(file) {
  const bytes = readFileSync(file);
  return { bytes: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
}

/**
 * Write the panels' assets into `<dir>/assets` and load them on every notebook page (after the
 * page's own scripts, so the static page is complete before they run). Returns the sizes.
 */
export function writePanels(names, dir) {
  const assets = join(dir, "assets");
  const library = bundleLibrary(join(assets, "mbrl.js"));
  const wasm = writeWasmScript(join(assets, "tfjs-wasm-simd.js"));
  const pendulumModel = names.includes("03_bptt") ? writePendulumModel(join(assets, "pendulum-model.js")) : undefined;
  for (const f of ["panels.js", "panels.css"]) copyFileSync(join(ROOT, "scripts", "site", f), join(assets, f));
  for (const name of names) {
    const scripts = [...PANEL_SCRIPTS.slice(0, -1), ...(PAGE_DATA[name] ?? []), ...PANEL_SCRIPTS.slice(-1)];
    const tags = `<link rel="stylesheet" href="assets/panels.css">\n${scripts.map((s) => `<script src="assets/${s}" defer></script>`).join("\n")}\n`;
    const page = join(dir, `${name}.html`);
    const html = readFileSync(page, "utf8");
    const at = html.lastIndexOf("</body>");
    if (at < 0) throw new Error(`${page}: no </body> to load the panels before`);
    writeFileSync(page, html.slice(0, at) + tags + html.slice(at));
  }
  return { library, wasm, pendulumModel };
}
