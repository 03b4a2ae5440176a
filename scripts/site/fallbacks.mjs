// Static figure fallbacks for the site's pages: draw every figure of an executed notebook in
// headless Chromium and keep an image of each in build/notebooks/NAME.fallbacks.json, beside the
// executed copy. The pages show them inside the figures' divs to readers without JavaScript.
// WebP at Chromium's default quality: a quarter of the PNG's bytes for these line charts, and
// a fallback need not be pixel-exact. The notebook itself stays as the runner wrote it: an
// image in a figure's bundle would make plotly's JupyterLab renderer show the picture instead
// of drawing the chart.
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BUILD_DIR } from "../lib.mjs";

const require = createRequire(import.meta.url);
const IMAGE_WIDTH = 900;
/** The image format of the fallbacks (plotly's toImage draws png, jpeg or webp). */
export const FALLBACK_FORMAT = "webp";
/** plotly.js as the site ships it: the cartesian bundle has every trace type the notebooks draw (scatter, heatmap). */
export const PLOTLY_JS = require.resolve("plotly.js-cartesian-dist-min/plotly-cartesian.min.js");

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

/** Images (base64, FALLBACK_FORMAT) of the given figure outputs, in order, drawn by the site's plotly.js. */
async function renderFigures(browser, figures) {
  const dir = mkdtempSync(join(tmpdir(), "mbrl-fallbacks-"));
  try {
    const page = join(dir, "figures.html");
    const plotly = pathToFileURL(PLOTLY_JS).href;
    const body = figures.map((o) => `<section>${joinLines(o.data["text/html"])}</section>`).join("\n");
    writeFileSync(
      page,
      `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="${plotly}"></script></head><body style="width:${IMAGE_WIDTH}px">${body}</body></html>`,
    );
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const urls = await tab.evaluate(
      async ({ width, format }) => {
        const divs = /** @type {any[]} */ ([...document.querySelectorAll(".mbrl-figure")]);
        return Promise.all(
          divs.map((el) =>
            /** @type {any} */ (window).Plotly.toImage(el, { format, width, height: el._fullLayout.height }),
          ),
        );
      },
      { width: IMAGE_WIDTH, format: FALLBACK_FORMAT },
    );
    await tab.close();
    if (urls.length !== figures.length) throw new Error(`drew ${urls.length} of ${figures.length} figures`);
    const prefix = `data:image/${FALLBACK_FORMAT};base64,`;
    const bad = urls.find((url) => !url.startsWith(prefix));
    if (bad) throw new Error(`plotly drew ${bad.slice(0, 30)}..., not ${FALLBACK_FORMAT}`);
    return urls.map((url) => url.slice(prefix.length));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const fallbacksFile = (name) => join(BUILD_DIR, `${name}.fallbacks.json`);

/** Draw the fallback images of every figure of the executed notebook `name`; returns how many. */
export async function addFallbacks(browser, name) {
  const nb = JSON.parse(readFileSync(join(BUILD_DIR, `${name}.ipynb`), "utf8"));
  const figures = figureOutputs(nb);
  const images = figures.length > 0 ? await renderFigures(browser, figures) : [];
  const file = fallbacksFile(name);
  writeFileSync(`${file}.tmp`, JSON.stringify(images));
  renameSync(`${file}.tmp`, file);
  return figures.length;
}

/** The images (base64, FALLBACK_FORMAT) drawn for `name`'s figures, in order. */
export const readFallbacks = (name) => JSON.parse(readFileSync(fallbacksFile(name), "utf8"));
