// The site's front page: the lecture's overview and a card per notebook with the notebook's own
// title and summary, and its key figure as a thumbnail with a line saying what it shows.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SCRIPTS_HTML, headHtml, sidebarHtml, topbarHtml } from "./chrome.mjs";
import { joinLines } from "./fallbacks.mjs";

/** Cells tagged with this (cell metadata `tags`) hold the notebook's key figure; else its first figure. */
export const KEY_FIGURE_TAG = "key-figure";

const isFigure = (o) => o.metadata?.mbrl?.kind === "figure";

/** A figure output's title: from its Plotly JSON if it has one, else from its text ("Figure: T (n traces)"). */
function figureTitle(output) {
  const title = output.data?.["application/vnd.plotly.v1+json"]?.layout?.title;
  const text = typeof title === "string" ? title : title?.text;
  if (text)
    return text
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
  return joinLines(output.data?.["text/plain"])
    .replace(/^Figure:\s*/, "")
    .replace(/\s*\(\d+ traces?\)\s*$/, "")
    .trim();
}

/**
 * The notebook's key figure: the first figure of a cell tagged `key-figure`, else its first figure.
 * @returns {{title: string, index: number} | undefined} the title, and its position among the notebook's figures
 */
export function keyFigure(nb) {
  const figures = nb.cells.flatMap((c) => c.outputs ?? []).filter(isFigure);
  const tagged = nb.cells
    .filter((c) => (c.metadata?.tags ?? []).includes(KEY_FIGURE_TAG))
    .flatMap((c) => c.outputs ?? [])
    .find(isFigure);
  const output = tagged ?? figures[0];
  return output && { title: figureTitle(output), index: figures.indexOf(output) };
}

/**
 * The image of the page's figure number `index`: the src of the fallback image the site's page
 * carries inside each figure (in order), which the card shows as its thumbnail.
 */
export function fallbackSrc(html, index) {
  const fallbacks = [...html.matchAll(/<img\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => /\bclass="mbrl-fallback"/.test(tag));
  return fallbacks[index]?.match(/\bsrc="([^"]+)"/)?.[1]; // attributes in any order (nbconvert 7 sorts them)
}

function card(e, escapeHtml, thumbSrc) {
  const figure = keyFigure(e.nb);
  const thumb =
    thumbSrc && figure
      ? `\n  <img class="mbrl-thumb" src="${escapeHtml(thumbSrc)}" alt="${escapeHtml(`Key figure: ${figure.title}`)}" loading="lazy">`
      : "";
  const sees = figure ? `\n  <p class="mbrl-sees">You will see: ${escapeHtml(figure.title)}.</p>` : "";
  return `<article class="mbrl-card">
  <h2><a href="${e.name}.html">${escapeHtml(e.title)}</a></h2>
  <p>${escapeHtml(e.summary)}</p>${thumb}${sees}
  <p class="mbrl-downloads"><a href="notebooks/${e.name}.ipynb" download>notebook</a> · <a href="executed/${e.name}.ipynb" download>executed notebook</a></p>
</article>`;
}

/** The thumbnails: each notebook's key figure, the fallback image its page shows (no copy); undefined where none. */
function thumbnails(entries, dir) {
  return entries.map((e) => {
    const figure = keyFigure(e.nb);
    return figure && fallbackSrc(readFileSync(join(dir, `${e.name}.html`), "utf8"), figure.index);
  });
}

/**
 * Write index.html into `dir`.
 * @param entries [{name, title, summary, nb}] in reading order
 * @param pages [{href, title}] the sidebar's list, the overview first
 */
export function writeIndex(entries, pages, dir, { course, mathjaxUrl, escapeHtml }) {
  const thumbs = thumbnails(entries, dir);
  writeFileSync(
    join(dir, "index.html"),
    `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${course}</title>
${headHtml()}
<script type="text/x-mathjax-config">MathJax.Hub.Config({ tex2jax: { inlineMath: [["$", "$"]] } });</script>
<script src="${mathjaxUrl}"></script></head>
<body class="mbrl-index">
${topbarHtml(escapeHtml, course, false)}
${sidebarHtml(escapeHtml, pages, "index.html")}
<main id="mbrl-content" tabindex="-1">
<h1>${course}</h1>
<p>Executable notes in TypeScript. Each page is a notebook run end to end; every number and figure on it was computed by the notebook itself, and the figures are interactive.</p>
<ol>
<li><strong>Open loop versus closed loop.</strong> Planning a sequence of actions and replanning (MPC) still ignores that new information will arrive; under stochastic dynamics a feedback policy does better.</li>
<li><strong>The objective is recursive.</strong> Optimising a policy through a model chains every step through the dynamics: the objective is sensitive and ill-conditioned, and LQR's dynamic programming does not carry over to shared policy parameters.</li>
<li><strong>Backpropagation through time.</strong> Differentiating through a learned model multiplies Jacobians, so gradients explode or vanish, and the model's physics, not our choice, decides which.</li>
</ol>
<div class="mbrl-cards">
${entries.map((e, i) => card(e, escapeHtml, thumbs[i])).join("\n")}
</div>
</main>
${SCRIPTS_HTML}
</body></html>
`,
  );
}
