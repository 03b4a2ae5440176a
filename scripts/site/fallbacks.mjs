// Static figure fallbacks for the site's pages: draw every figure of an executed notebook in
// headless Chromium and keep a PNG of each in build/notebooks/NAME.fallbacks.json, beside the
// executed copy. The pages put them inside the figures' divs for readers without JavaScript.
// The notebook itself stays as the runner wrote it: a PNG in a figure's bundle would make
// plotly's JupyterLab renderer show the picture instead of drawing the chart.
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BUILD_DIR } from "../lib.mjs";

const require = createRequire(import.meta.url);
const PNG_WIDTH = 900;

export const joinLines = (s) => (Array.isArray(s) ? s.join("") : (s ?? ""));
/** nbformat stores multi-line strings as lists of lines. */
export const splitLines = (s) => s.split(/(?<=\n)/);

/** Launch Debian's Chromium headless, with outside networking off. */
export async function launchBrowser() {
  const { chromium } = require("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}

export const figureOutputs = (nb) =>
  nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.metadata?.mbrl?.kind === "figure");

/** PNGs (base64) of the given figure outputs, in order, drawn by the real plotly.js. */
async function renderFigures(browser, figures) {
  const dir = mkdtempSync(join(tmpdir(), "mbrl-fallbacks-"));
  try {
    const page = join(dir, "figures.html");
    const plotly = pathToFileURL(require.resolve("plotly.js-dist-min/plotly.min.js")).href;
    const body = figures.map((o) => `<section>${joinLines(o.data["text/html"])}</section>`).join("\n");
    writeFileSync(
      page,
      `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="${plotly}"></script></head><body style="width:${PNG_WIDTH}px">${body}</body></html>`,
    );
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const pngs = await tab.evaluate(async (width) => {
      const divs = /** @type {any[]} */ ([...document.querySelectorAll(".mbrl-figure")]);
      return Promise.all(
        divs.map((el) =>
          /** @type {any} */ (window).Plotly.toImage(el, { format: "png", width, height: el._fullLayout.height }),
        ),
      );
    }, PNG_WIDTH);
    await tab.close();
    if (pngs.length !== figures.length) throw new Error(`drew ${pngs.length} of ${figures.length} figures`);
    return pngs.map((url) => url.replace(/^data:image\/png;base64,/, ""));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const fallbacksFile = (name) => join(BUILD_DIR, `${name}.fallbacks.json`);

/** Draw the PNG fallbacks of every figure of the executed notebook `name`; returns how many. */
export async function addFallbacks(browser, name) {
  const nb = JSON.parse(readFileSync(join(BUILD_DIR, `${name}.ipynb`), "utf8"));
  const figures = figureOutputs(nb);
  const pngs = figures.length > 0 ? await renderFigures(browser, figures) : [];
  const file = fallbacksFile(name);
  writeFileSync(`${file}.tmp`, JSON.stringify(pngs));
  renameSync(`${file}.tmp`, file);
  return figures.length;
}

/** The PNGs (base64) drawn for `name`'s figures, in order. */
export const readFallbacks = (name) => JSON.parse(readFileSync(fallbacksFile(name), "utf8"));
