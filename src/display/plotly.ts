/**
 * Plotly figures as notebook outputs that draw everywhere, offline, trusted or not.
 *
 * Each figure is ONE output bundle:
 * - `application/vnd.plotly.v1+json` (`{data, layout, config}`): JupyterLab 4 and Notebook 7
 *   draw it with the renderer that the `plotly` Python package installs (it ranks above HTML
 *   and is declared safe, so it draws in untrusted notebooks too), and so does VS Code;
 * - `text/html`: a div and a script with the same figure, for nbconvert's HTML (the site's
 *   pages). The script draws when the page has plotly.js, or queues itself until the page
 *   loads it (`plotlyLoaderHtml`); the notebook never carries plotly.js itself;
 * - `text/plain`: a one-line summary.
 * Numbers are rounded to FIGURE_DIGITS significant digits, which halves large figures.
 * No `image/png` in the bundle: plotly's renderer shows a bundled PNG instead of drawing the
 * chart. Static images for readers without JavaScript live in the site's pages only.
 * We never emit `text/javascript` (nbconvert ignores it).
 */
import { createHash } from "crypto";
import type { Output } from "./output";
import { escapeHtml } from "./output";

/** A Plotly figure: traces, layout and config, as plain JSON. */
export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Metadata key under which our outputs say what they are (read by the tests and the site build). */
export const OUTPUT_KIND = "mbrl";

const QUEUE = "_mbrlPlotQueue";

/** JSON that is safe inside a <script>: `<` and the JS line separators escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Significant digits kept in a figure's numbers: far below a pixel, and the outputs stay small. */
const FIGURE_DIGITS = 6;

/** The figure's JSON with every non-integer number rounded to FIGURE_DIGITS significant digits. */
function compactSpec(figure: Figure): Required<Figure> {
  const spec = { data: figure.data, layout: figure.layout, config: figure.config ?? {} };
  return JSON.parse(
    JSON.stringify(spec, (_key, v) =>
      typeof v === "number" && !Number.isInteger(v) && Number.isFinite(v) ? Number(v.toPrecision(FIGURE_DIGITS)) : v,
    ),
  );
}

/** The mime type of plotly's own renderers (JupyterLab, Notebook 7, VS Code). */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A short stable id from the figure's content and its position in the notebook. */
function figureId(figure: Figure, ordinal: number): string {
  return `mbrl-fig-${createHash("sha1").update(JSON.stringify(figure)).digest("hex").slice(0, 10)}-${ordinal}`;
}

/** One line describing a figure, for `text/plain` and logs. */
export function describeFigure(figure: Figure): string {
  const title = (figure.layout.title as { text?: string } | undefined)?.text ?? "untitled";
  return `Figure: ${title} (${figure.data.length} trace${figure.data.length === 1 ? "" : "s"})`;
}

/**
 * The output bundle for one figure.
 * @param ordinal the figure's position in this kernel's session, which keeps the HTML ids of
 *   figures with the same content distinct on one page
 */
export function figureOutput(figure: Figure, ordinal: number): Output {
  const id = figureId(figure, ordinal);
  const height = Number(figure.layout.height ?? 420);
  const spec = compactSpec(figure);
  const summary = describeFigure(figure);
  const html = `<div id="${id}" class="mbrl-figure" title="${escapeHtml(summary)}" style="width:100%;min-height:${height}px">${placeholder(summary)}</div>
<script>(function () {
  var spec = ${scriptJson(spec)};
  function draw() {
    var el = document.getElementById("${id}");
    if (!el) return;
    el.innerHTML = "";
    window.Plotly.newPlot(el, spec.data, spec.layout, spec.config);
  }
  if (window.Plotly) draw(); else (window.${QUEUE} = window.${QUEUE} || []).push(draw);
})();</script>`;
  return {
    data: { [PLOTLY_MIME]: spec, "text/html": html, "text/plain": summary },
    metadata: { [OUTPUT_KIND]: { kind: "figure", traces: figure.data.length } },
  };
}

/** What the figure's div shows until plotly.js draws it: on a page without plotly.js, a line that says so. */
function placeholder(summary: string): string {
  return `<p class="mbrl-placeholder">${escapeHtml(summary)}: drawn by plotly.js, which this page has not loaded.</p>`;
}

const FIGURE_DIV =
  /(<div id="[^"]+" class="mbrl-figure" title="([^"]*)"[^>]*>)<p class="mbrl-placeholder">[^<]*<\/p>(<\/div>)/;

/**
 * The figure's HTML with a static PNG in place of its placeholder, for web pages read
 * without JavaScript (the figure's script clears the div before drawing). Only for pages:
 * a notebook's bundle carries no PNG, because plotly's JupyterLab renderer would show the
 * PNG instead of drawing the chart.
 * @param html the `text/html` of a figure output
 * @param png base64-encoded PNG
 */
export function withFallbackImage(html: string, png: string): string {
  if (!FIGURE_DIV.test(html))
    throw new Error("withFallbackImage: html is not a figure output, or it already has a fallback");
  const img = `<img class="mbrl-fallback" alt="$2" src="data:image/png;base64,${png}" style="max-width:100%">`;
  return html.replace(FIGURE_DIV, `$1${img}$3`);
}

/**
 * The script a web page needs to draw the figures' HTML: plotly.js from one shared file, then
 * the figures that queued before it loaded. `define` is hidden while the bundle runs, so pages
 * that load require.js (nbconvert's) still get a global `window.Plotly`.
 * @param src the bundle's URL, relative to the page
 */
export function plotlyLoaderHtml(src: string): string {
  return `<script>window._mbrlDefine = window.define; window.define = undefined;</script>
<script src="${escapeHtml(src)}"></script>
<script>window.define = window._mbrlDefine;
(function () { var q = window.${QUEUE} || []; window.${QUEUE} = []; q.forEach(function (draw) { draw(); }); })();</script>`;
}
