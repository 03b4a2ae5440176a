// The site's pages: each executed notebook exported by nbconvert with the course template
// (JupyterLab's look plus navigation and downloads), the downloads themselves, the shared
// assets, and an index page built from the notebooks' own titles and summaries.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD_DIR, NOTEBOOKS_DIR, ROOT, jupyterEnv, notebookTitle, run, venvCommand } from "../lib.mjs";
import { SCRIPTS_HTML, headHtml, sidebarHtml, topbarHtml } from "./chrome.mjs";
import { FALLBACK_FORMAT, PLOTLY_JS, figureOutputs, joinLines, readFallbacks, splitLines } from "./fallbacks.mjs";
import { writeIndex } from "./index-page.mjs";
import { writeSearchIndex } from "./search.mjs";
import { shareStyles } from "./shared-css.mjs";
import { writePanels } from "./bundle.mjs";
import { SITE_CACHE, cachedFile, filesKey, storeCached } from "./cache.mjs";

const require = createRequire(import.meta.url);
/** The library's display helpers, loaded when first needed: after prepareRun has built dist/. */
const display = () => require(join(ROOT, "dist", "display"));
export const COURSE = "CS285 Lecture 11: Model-based policy learning";
const MATHJAX = join(ROOT, "node_modules", "mathjax");
/** The parts of MathJax 2 that the TeX-AMS_CHTML-full configuration loads (and its menu may). */
const MATHJAX_PARTS = [
  "MathJax.js",
  "config/TeX-AMS_CHTML-full.js",
  "config/Safe.js",
  "extensions",
  "jax/input/TeX",
  "jax/output/CommonHTML",
  "jax/element",
  "fonts/HTML-CSS/TeX/woff",
  "localization/en",
];
const PLOTLY_URL = "assets/plotly.min.js";
const MATHJAX_URL = "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe";

/** A sentence that only recalls another notebook ("Notebook 02 showed ..."): context, not a summary. */
const RECALLS_ANOTHER = /\b(?:notebooks?|NB)\s+\d+\b|\b(?:previous|last|earlier) notebook\b/i;

/**
 * The notebook's one-line summary: the first sentence of the paragraph under its title that
 * speaks about this notebook. Bridge sentences that recall another notebook are skipped, since
 * a card on the index must stand on its own.
 */
export function notebookSummary(nb) {
  const first = joinLines(nb.cells.find((c) => c.cell_type === "markdown")?.source);
  const paragraph =
    first
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .find((p) => p && !p.startsWith("#")) ?? "";
  const sentences = paragraph.replace(/\s+/g, " ").match(/\S.*?[.!?](?=\s|$)|\S.*$/g) ?? [];
  const own = sentences.map((s) => s.trim()).find((s) => s && !RECALLS_ANOTHER.test(s)) ?? sentences[0]?.trim() ?? "";
  return own.replace(/\*\*|`/g, ""); // bold and code marks; math stays for MathJax
}

/**
 * Files of the MathJax parts that the site leaves out: the accessibility explorer's speech maps
 * for Internet Explorer (mathmaps_ie.js, 1.4 MB, a repeat of the others) and for the languages
 * the site is not written in (Spanish, German, French: 0.8 MB). English speech and Nemeth
 * Braille stay, so the explorer works as before for this English text.
 */
const MATHJAX_LEFT_OUT = /\/mathmaps(_ie\.js|\/(es|de|fr)\.js)$/;
const isMathJaxNeeded = (src) => !MATHJAX_LEFT_OUT.test(src);

export function copyAssets(dir) {
  const assets = join(dir, "assets");
  mkdirSync(assets, { recursive: true });
  copyFileSync(PLOTLY_JS, join(assets, "plotly.min.js"));
  copyFileSync(require.resolve("requirejs/require.js"), join(assets, "require.js"));
  copyFileSync(join(ROOT, "scripts", "site", "site.css"), join(assets, "site.css"));
  copyFileSync(join(ROOT, "scripts", "site", "site.js"), join(assets, "site.js"));
  for (const part of MATHJAX_PARTS)
    cpSync(join(MATHJAX, part), join(assets, "mathjax", part), { recursive: true, filter: isMathJaxNeeded });
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

/** Where a page's fallback image of figure `i` lives, relative to the site. */
export const fallbackPath = (name, i) => `assets/figures/${name}-${i}.${FALLBACK_FORMAT}`;

/**
 * A figure's HTML with its fallback image as a file of the site, loaded only when it scrolls
 * into view: files, not data: URLs in the page, since base64 is a third larger and every reader
 * with JavaScript would download images that plotly.js replaces. (withFallbackImage writes a
 * PNG data: URL; its src is swapped for the file.)
 */
function withFallbackFile(html, src) {
  const marker = "MBRL_FALLBACK_FILE";
  const img = display().withFallbackImage(html, marker);
  return img.replace(`src="data:image/png;base64,${marker}"`, `src="${src}" loading="lazy"`);
}

/**
 * The copy of an executed notebook that nbconvert turns into a page: each figure's HTML with
 * its fallback image (written into `dir`), and the metadata carries the page's links and the
 * script that loads plotly.js from the shared asset (the template puts it in the head).
 */
function pageNotebook(name, nb, site, dir) {
  const images = readFallbacks(name);
  const figures = figureOutputs(nb);
  if (images.length !== figures.length)
    throw new Error(`${name}: ${figures.length} figures but ${images.length} fallback images; rebuild with --force`);
  mkdirSync(join(dir, "assets", "figures"), { recursive: true });
  figures.forEach((output, i) => {
    writeFileSync(join(dir, fallbackPath(name, i)), Buffer.from(images[i], "base64"));
    output.data["text/html"] = splitLines(withFallbackFile(joinLines(output.data["text/html"]), fallbackPath(name, i)));
  });
  nb.metadata.mbrl_site = { ...site, plotly_loader: display().plotlyLoaderHtml(PLOTLY_URL) };
  return nb;
}

/** The sidebar's list: the overview, then every notebook in reading order. */
const sitePages = (entries) => [
  { href: "index.html", title: "Overview" },
  ...entries.map((e) => ({ href: `${e.name}.html`, title: e.title })),
];

/** The shared chrome (scripts/site/chrome.mjs) for one notebook's page, for the template to print. */
function pageChrome(entries, e) {
  const { escapeHtml } = display();
  return {
    head: headHtml(),
    topbar: topbarHtml(escapeHtml, COURSE, true),
    sidebar: sidebarHtml(escapeHtml, sitePages(entries), `${e.name}.html`),
    scripts: SCRIPTS_HTML,
  };
}

/** What nbconvert's page depends on besides the page's notebook: the template and nbconvert's version. */
const PAGE_INPUTS = ["scripts/site/template", "requirements.txt"];
const TEMPLATE_DIR = join(ROOT, "scripts", "site", "template");
/** nbconvert's options for every page (they are part of each cached page's key). */
const NBCONVERT_OPTIONS = [
  "--to",
  "html",
  "--template",
  "mbrl",
  `--TemplateExporter.extra_template_basedirs=${TEMPLATE_DIR}`,
  "--HTMLExporter.require_js_url=assets/require.js",
  `--HTMLExporter.mathjax_url=${MATHJAX_URL}`,
];

/**
 * Export every notebook's page into `dir` with nbconvert, which takes 10-30 s even for one page
 * (it starts Python and re-parses every page it writes): only pages whose notebook, chrome or
 * template changed go through it; the others come from the cache of earlier builds.
 */
function exportPages(entries, dir, work) {
  const template = filesKey(PAGE_INPUTS, NBCONVERT_OPTIONS);
  const pages = entries.map((e, i) => {
    const site = {
      ...pageChrome(entries, e),
      course: COURSE,
      source: `notebooks/${e.name}.ipynb`,
      executed: `executed/${e.name}.ipynb`,
      prev: i > 0 ? { href: `${entries[i - 1].name}.html`, title: entries[i - 1].title } : null,
      next: i + 1 < entries.length ? { href: `${entries[i + 1].name}.html`, title: entries[i + 1].title } : null,
    };
    const json = JSON.stringify(pageNotebook(e.name, structuredClone(e.nb), site, dir));
    return {
      id: `${e.name}.html`,
      name: e.name,
      json,
      key: createHash("sha256").update(template).update(json).digest("hex"),
    };
  });
  const stale = pages.filter((p) => !cachedFile(p.id, p.key));
  for (const p of stale) writeFileSync(join(work, `${p.name}.ipynb`), p.json);
  if (stale.length > 0)
    nbconvert(
      stale.map((p) => join(work, `${p.name}.ipynb`)),
      work,
    );
  for (const p of stale) storeCached(p.id, p.key, join(work, p.id));
  for (const p of pages) copyFileSync(join(SITE_CACHE, p.id), join(dir, p.id));
  return stale.length;
}

/** Convert the page notebooks `files` into HTML pages in `outDir`. */
function nbconvert(files, outDir) {
  const r = run(venvCommand("jupyter"), ["nbconvert", ...NBCONVERT_OPTIONS, "--output-dir", outDir, ...files], {
    env: jupyterEnv(),
  });
  if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
}

/**
 * Write every page of the site into `dir`, using `work` for intermediate files.
 * @returns how many pages nbconvert converted (the others were unchanged)
 */
export function writeSite(names, dir, work) {
  const entries = names.map((name) => {
    const nb = JSON.parse(readFileSync(join(BUILD_DIR, `${name}.ipynb`), "utf8"));
    return { name, nb, title: notebookTitle(nb), summary: notebookSummary(nb) };
  });
  copyAssets(dir);
  copyDownloads(names, dir);
  const converted = exportPages(entries, dir, work);
  shareStyles(
    dir,
    entries.map((e) => `${e.name}.html`),
  );
  writePanels(names, dir); // the library bundle and the live "try it" panels
  writeSearchIndex(entries, dir);
  writeIndex(entries, sitePages(entries), dir, {
    course: COURSE,
    mathjaxUrl: MATHJAX_URL,
    escapeHtml: display().escapeHtml,
  });
  return converted;
}
