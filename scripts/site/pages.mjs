// The site's pages: each executed notebook exported by nbconvert with the course template
// (JupyterLab's look plus navigation and downloads), the downloads themselves, the shared
// assets, and an index page built from the notebooks' own titles and summaries.
import { createRequire } from "node:module";
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD_DIR, NOTEBOOKS_DIR, ROOT, jupyterEnv, notebookTitle, run, venvCommand } from "../lib.mjs";
import { figureOutputs, joinLines, readFallbacks, splitLines } from "./fallbacks.mjs";

const require = createRequire(import.meta.url);
/** The library's display helpers, loaded when first needed: after prepareRun has built dist/. */
const display = () => require(join(ROOT, "dist", "display"));
export const COURSE = "CS285 Lecture 11: Model-based policy learning";
const MATHJAX = join(ROOT, "node_modules", "mathjax");
/** The parts of MathJax 2 that the TeX-AMS_CHTML-full configuration loads. */
const MATHJAX_PARTS = ["MathJax.js", "config", "extensions", "jax/input/TeX", "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff", "localization/en"];
const PLOTLY_URL = "assets/plotly.min.js";
const MATHJAX_URL = "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe";

/** The notebook's one-line summary: the first sentence of the paragraph under its title. */
export function notebookSummary(nb) {
  const first = joinLines(nb.cells.find((c) => c.cell_type === "markdown")?.source);
  const paragraph = first.split(/\n\s*\n/).map((p) => p.trim()).find((p) => p && !p.startsWith("#")) ?? "";
  const sentence = paragraph.replace(/\s+/g, " ").match(/^.*?[.!?](?=\s|$)/)?.[0] ?? paragraph;
  return sentence.replace(/\*\*|`/g, ""); // bold and code marks; math stays for MathJax
}

export function copyAssets(dir) {
  const assets = join(dir, "assets");
  mkdirSync(assets, { recursive: true });
  copyFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), join(assets, "plotly.min.js"));
  copyFileSync(require.resolve("requirejs/require.js"), join(assets, "require.js"));
  copyFileSync(join(ROOT, "scripts", "site", "site.css"), join(assets, "site.css"));
  for (const part of MATHJAX_PARTS) cpSync(join(MATHJAX, part), join(assets, "mathjax", part), { recursive: true });
}

/** Clean sources and executed copies, for the pages' download links. */
function copyDownloads(names, dir) {
  mkdirSync(join(dir, "notebooks"));
  mkdirSync(join(dir, "executed"));
  for (const n of names) {
    copyFileSync(join(NOTEBOOKS_DIR, `${n}.ipynb`), join(dir, "notebooks", `${n}.ipynb`));
    copyFileSync(join(BUILD_DIR, `${n}.ipynb`), join(dir, "executed", `${n}.ipynb`));
  }
}

/**
 * The copy of an executed notebook that nbconvert turns into a page: each figure's HTML with
 * its fallback image, and the metadata carries the page's links and the script that loads
 * plotly.js from the shared asset (the template puts it in the head).
 */
function pageNotebook(name, nb, site) {
  const pngs = readFallbacks(name);
  const figures = figureOutputs(nb);
  if (pngs.length !== figures.length) throw new Error(`${name}: ${figures.length} figures but ${pngs.length} fallback images; rebuild with --force`);
  figures.forEach((output, i) => {
    output.data["text/html"] = splitLines(display().withFallbackImage(joinLines(output.data["text/html"]), pngs[i]));
  });
  nb.metadata.mbrl_site = { ...site, plotly_loader: display().plotlyLoaderHtml(PLOTLY_URL) };
  return nb;
}

function exportPages(entries, dir, work) {
  entries.forEach((e, i) => {
    const site = {
      course: COURSE,
      source: `notebooks/${e.name}.ipynb`,
      executed: `executed/${e.name}.ipynb`,
      prev: i > 0 ? { href: `${entries[i - 1].name}.html`, title: entries[i - 1].title } : null,
      next: i + 1 < entries.length ? { href: `${entries[i + 1].name}.html`, title: entries[i + 1].title } : null,
    };
    writeFileSync(join(work, `${e.name}.ipynb`), JSON.stringify(pageNotebook(e.name, structuredClone(e.nb), site)));
  });
  const r = run(venvCommand("jupyter"), [
    "nbconvert", "--to", "html", "--template", "mbrl",
    `--TemplateExporter.extra_template_basedirs=${join(ROOT, "scripts", "site", "template")}`,
    "--HTMLExporter.require_js_url=assets/require.js",
    `--HTMLExporter.mathjax_url=${MATHJAX_URL}`,
    "--output-dir", dir, ...entries.map((e) => join(work, `${e.name}.ipynb`)),
  ], { env: jupyterEnv() });
  if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
}

function writeIndex(entries, dir) {
  const { escapeHtml } = display();
  const cards = entries.map((e) => `<article class="mbrl-card">
  <h2><a href="${e.name}.html">${escapeHtml(e.title)}</a></h2>
  <p>${escapeHtml(e.summary)}</p>
  <p class="mbrl-downloads"><a href="notebooks/${e.name}.ipynb" download>notebook</a> · <a href="executed/${e.name}.ipynb" download>executed notebook</a></p>
</article>`);
  writeFileSync(join(dir, "index.html"), `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${COURSE}</title><link rel="stylesheet" href="assets/site.css">
<script type="text/x-mathjax-config">MathJax.Hub.Config({ tex2jax: { inlineMath: [["$", "$"]] } });</script>
<script src="${MATHJAX_URL}"></script></head>
<body class="mbrl-index">
<h1>${COURSE}</h1>
<p>Executable notes in TypeScript. Each page is a notebook run end to end; every number and figure on it was computed by the notebook itself, and the figures are interactive.</p>
<ol>
<li><strong>Open loop versus closed loop.</strong> Planning a sequence of actions and replanning (MPC) still ignores that new information will arrive; under stochastic dynamics a feedback policy does better.</li>
<li><strong>The objective is recursive.</strong> Optimising a policy through a model chains every step through the dynamics: the objective is sensitive and ill-conditioned, and LQR's dynamic programming does not carry over to shared policy parameters.</li>
<li><strong>Backpropagation through time.</strong> Differentiating through a learned model multiplies Jacobians, so gradients explode or vanish, and the model's physics, not our choice, decides which.</li>
</ol>
<div class="mbrl-cards">
${cards.join("\n")}
</div>
</body></html>
`);
}

/** Write every page of the site into `dir`, using `work` for intermediate files. */
export function writeSite(names, dir, work) {
  const entries = names.map((name) => {
    const nb = JSON.parse(readFileSync(join(BUILD_DIR, `${name}.ipynb`), "utf8"));
    return { name, nb, title: notebookTitle(nb), summary: notebookSummary(nb) };
  });
  copyAssets(dir);
  copyDownloads(names, dir);
  exportPages(entries, dir, work);
  writeIndex(entries, dir);
}
