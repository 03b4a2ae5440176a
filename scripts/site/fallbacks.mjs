// Static figure fallbacks: draw every figure of an executed notebook in headless Chromium,
// take a PNG of it, and put the PNG into the notebook (an <img> inside the figure's div, plus
// image/png), so readers without JavaScript and untrusted notebooks still see the figure.
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BUILD_DIR, ROOT, findPython, run } from "../lib.mjs";

const require = createRequire(import.meta.url);
const PNG_WIDTH = 900;

export const joinLines = (s) => (Array.isArray(s) ? s.join("") : s ?? "");
/** nbformat stores multi-line strings as lists of lines. */
export const splitLines = (s) => s.split(/(?<=\n)/);

/** Launch Debian's Chromium headless, with outside networking off. */
export async function launchBrowser() {
  const { chromium } = require("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
}

const figureOutputs = (nb) => nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.metadata?.mbrl?.kind === "figure");

/** PNGs (base64) of the given figure outputs, in order, drawn by the real plotly.js. */
async function renderFigures(browser, figures) {
  const dir = mkdtempSync(join(tmpdir(), "mbrl-fallbacks-"));
  try {
    const page = join(dir, "figures.html");
    const plotly = pathToFileURL(require.resolve("plotly.js-dist-min/plotly.min.js")).href;
    const body = figures.map((o) => `<section>${joinLines(o.data["text/html"])}</section>`).join("\n");
    writeFileSync(page, `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="${plotly}"></script></head><body style="width:${PNG_WIDTH}px">${body}</body></html>`);
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const pngs = await tab.evaluate(async (width) => {
      const divs = [...document.querySelectorAll(".mbrl-figure")];
      return Promise.all(divs.map((el) => window.Plotly.toImage(el, { format: "png", width, height: el._fullLayout.height })));
    }, PNG_WIDTH);
    await tab.close();
    if (pngs.length !== figures.length) throw new Error(`drew ${pngs.length} of ${figures.length} figures`);
    return pngs.map((url) => url.replace(/^data:image\/png;base64,/, ""));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Add fallback PNGs to every figure of the executed notebook `name`, and trust it again. */
export async function addFallbacks(browser, name) {
  const { withFallbackImage } = require(join(ROOT, "dist", "display"));
  const path = join(BUILD_DIR, `${name}.ipynb`);
  const nb = JSON.parse(readFileSync(path, "utf8"));
  const figures = figureOutputs(nb);
  if (figures.length === 0) return 0;
  const pngs = await renderFigures(browser, figures);
  figures.forEach((output, i) => {
    const data = withFallbackImage({ "text/plain": joinLines(output.data["text/plain"]), "text/html": joinLines(output.data["text/html"]) }, pngs[i]);
    output.data = { "text/html": splitLines(data["text/html"]), "text/plain": splitLines(data["text/plain"]), "image/png": data["image/png"] };
  });
  writeFileSync(`${path}.tmp`, JSON.stringify(nb, null, 1) + "\n");
  const trust = run(findPython(), [join(ROOT, "scripts", "trust_notebook.py"), `${path}.tmp`]);
  if (trust.status !== 0) throw new Error(`trusting ${name} failed: ${trust.stderr}`);
  renameSync(`${path}.tmp`, path);
  return figures.length;
}
