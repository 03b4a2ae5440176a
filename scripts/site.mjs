// npm run site: execute every notebook, export each executed copy to HTML with nbconvert, and
// write site/ with an index page. The pages work offline: require.js and MathJax are local
// copies under site/assets/, and plotly.js travels inside each page's first figure output.
// The new site is built in a temporary folder and swapped in, so a failed build keeps the old one.
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main as runNotebooks } from "./notebooks.mjs";
import { BUILD_DIR, ROOT, jupyterEnv, listNotebooks, notebookTitle, readJson, run } from "./lib.mjs";

const SITE = join(ROOT, "site");
const MATHJAX = join(ROOT, "node_modules", "mathjax");
/** The parts of MathJax 2 that the TeX-AMS_CHTML-full configuration loads. */
const MATHJAX_PARTS = ["MathJax.js", "config", "extensions", "jax/input/TeX", "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff", "localization/en"];
export const MATHJAX_URL = "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe";
export const REQUIRE_URL = "assets/require.js";

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function copyAssets(dir) {
  const assets = join(dir, "assets");
  mkdirSync(assets, { recursive: true });
  cpSync(join(ROOT, "node_modules", "requirejs", "require.js"), join(assets, "require.js"));
  for (const part of MATHJAX_PARTS) cpSync(join(MATHJAX, part), join(assets, "mathjax", part), { recursive: true });
}

function exportPages(names, dir) {
  const r = run("jupyter", [
    "nbconvert", "--to", "html", "--template", "lab",
    `--HTMLExporter.require_js_url=${REQUIRE_URL}`, `--HTMLExporter.mathjax_url=${MATHJAX_URL}`,
    "--output-dir", dir, ...names.map((n) => join(BUILD_DIR, `${n}.ipynb`)),
  ], { env: jupyterEnv() });
  if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
}

function writeIndex(names, dir) {
  const items = names.map((n) => {
    const title = notebookTitle(readJson(join(BUILD_DIR, `${n}.ipynb`)));
    return `  <li><a href="${n}.html">${escapeHtml(title)}</a></li>`;
  });
  writeFileSync(join(dir, "index.html"), `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Model-based policy learning</title></head>
<body>
<h1>CS285 Lecture 11: model-based policy learning</h1>
<ul>
${items.join("\n")}
</ul>
</body></html>
`);
}

/** Replace site/ with the freshly built folder in two renames. */
function swapIn(dir) {
  const old = `${SITE}.old-${process.pid}`;
  if (existsSync(SITE)) renameSync(SITE, old);
  renameSync(dir, SITE);
  rmSync(old, { recursive: true, force: true });
}

async function main() {
  const started = Date.now();
  await runNotebooks([]);
  const names = listNotebooks();
  const tmp = `${SITE}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    copyAssets(tmp);
    exportPages(names, tmp);
    writeIndex(names, tmp);
    swapIn(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`site: ${names.length} pages in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${join(SITE, "index.html")}`);
}

main().catch((e) => {
  console.error(`\n${e.message}`);
  process.exit(1);
});
