/**
 * Plotly figures as self-contained notebook outputs that draw in JupyterLab (trusted),
 * classic Notebook 6 and nbconvert's HTML, offline.
 *
 * plotly.js is embedded once per kernel, in its own output, ahead of the first figure.
 * Each figure is one output: a div plus a script holding the figure JSON, which draws at
 * once when Plotly is loaded, or queues itself until the embedded bundle has run.
 * We emit neither `application/vnd.plotly.v1+json` (nbconvert drops it) nor
 * `text/javascript` (Notebook 6 and nbconvert ignore it).
 */
import * as fs from "fs";
import { createHash } from "crypto";
import type { MimeBundle, Output } from "./output";
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

/** Make text safe inside an inline <script>: nothing in it may close or comment out the tag. */
function scriptSafe(js: string): string {
  return js.replace(/<\/script/gi, "<\\/script").replace(/<!--/g, "<\\!--");
}

/** JSON that is safe inside a <script>: `<` and the JS line separators escaped. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

let bundleSource: string | undefined;

/** The minified plotly.js bundle shipped with the `plotly.js-dist-min` package. */
export function plotlyBundle(): string {
  bundleSource ??= fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
  return bundleSource;
}

/**
 * The output that loads plotly.js into the page and draws any queued figures.
 * `define`, `module` and `exports` are shadowed while the bundle runs, so pages that load
 * require.js (Notebook 6, nbconvert) still get a global `window.Plotly`.
 */
export function plotlyInitOutput(bundle: string = plotlyBundle()): Output {
  const html = `<script>
if (!window.Plotly) { (function (define, module, exports, require) {
${scriptSafe(bundle)}
}).call(window); }
(function () { var q = window.${QUEUE} || []; window.${QUEUE} = []; q.forEach(function (draw) { draw(); }); })();
</script>`;
  return { data: { "text/html": html, "text/plain": "plotly.js loaded" }, metadata: { [OUTPUT_KIND]: { kind: "plotly-init" } } };
}

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
 * @param ordinal the figure's position in this kernel's session, which keeps ids unique
 */
export function figureOutput(figure: Figure, ordinal: number): Output {
  const id = figureId(figure, ordinal);
  const height = Number(figure.layout.height ?? 420);
  const html = `<div id="${id}" class="mbrl-figure" title="${escapeHtml(describeFigure(figure))}" style="width:100%;min-height:${height}px"></div>
<script>(function () {
  var spec = ${scriptJson({ data: figure.data, layout: figure.layout, config: figure.config ?? {} })};
  function draw() {
    var el = document.getElementById("${id}");
    if (!el) return;
    el.innerHTML = "";
    window.Plotly.newPlot(el, spec.data, spec.layout, spec.config);
  }
  if (window.Plotly) draw(); else (window.${QUEUE} = window.${QUEUE} || []).push(draw);
})();</script>`;
  return { data: { "text/html": html, "text/plain": describeFigure(figure) }, metadata: { [OUTPUT_KIND]: { kind: "figure", traces: figure.data.length } } };
}

const EMPTY_FIGURE_DIV = /(<div id="[^"]+" class="mbrl-figure" title="([^"]*)"[^>]*>)(<\/div>)/;

/**
 * Add a static PNG of a drawn figure to its bundle, for readers without JavaScript and
 * for untrusted notebooks: an <img> inside the figure's div (the figure's script clears
 * the div before drawing) and an `image/png` entry.
 * @param png base64-encoded PNG
 */
export function withFallbackImage(data: MimeBundle, png: string): MimeBundle {
  const html = data["text/html"] ?? "";
  if (!EMPTY_FIGURE_DIV.test(html)) throw new Error("withFallbackImage: not a figure output, or it already has a fallback");
  const img = `<img class="mbrl-fallback" alt="$2" src="data:image/png;base64,${png}" style="max-width:100%">`;
  return { ...data, "text/html": html.replace(EMPTY_FIGURE_DIV, `$1${img}$3`), "image/png": png };
}

/**
 * What replaces the embedded bundle on a web site: plotly.js loaded from one shared file,
 * then the queued figures drawn. Without JavaScript the figures' fallback images remain.
 * @param src the bundle's URL, relative to the page
 */
export function plotlyLoaderHtml(src: string): string {
  return `<script>window._mbrlDefine = window.define; window.define = undefined;</script>
<script src="${escapeHtml(src)}"></script>
<script>window.define = window._mbrlDefine;
(function () { var q = window.${QUEUE} || []; window.${QUEUE} = []; q.forEach(function (draw) { draw(); }); })();</script>`;
}
