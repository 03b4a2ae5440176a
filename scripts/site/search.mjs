// The site's search index, built once at site-build time with MiniSearch and written as a classic
// script (assets/search-index.js) next to MiniSearch itself (assets/minisearch.js). Why
// MiniSearch: pages opened from file:// cannot fetch() or XHR other files in Chromium, and
// pagefind loads its index and WebAssembly with fetch; a prebuilt MiniSearch index is plain JSON
// that a <script src> can carry, and the library is one 86 kB file with no dependencies.
// One document per section (a heading of level 1 to 3 and what follows it up to the next one),
// holding the section's prose and code, so a hit links straight to its section.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { joinLines } from "./fallbacks.mjs";

const require = createRequire(import.meta.url);
/** Shared by the builder and the page (site.js reads them from the index file). */
export const SEARCH_OPTIONS = {
  fields: ["title", "heading", "text", "code"],
  storeFields: ["href", "title", "heading", "excerpt"],
};
const EXCERPT_CHARS = 160;

/** Markdown as plain words: links, emphasis, code marks and HTML tags removed; TeX kept. */
function plainText(markdown) {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, " ")
    .replace(/[*_`>#|]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Markdown headings `# ...` in order, with their level, skipping fenced code blocks. */
function markdownLines(source) {
  let fenced = false;
  return joinLines(source)
    .split("\n")
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      const m = !fenced && line.match(/^(#{1,6})\s+(.*)$/);
      return m ? { level: m[1].length, heading: m[2].trim() } : { line };
    });
}

/** The ids nbconvert gave the page's headings, in document order. */
function headingIds(html) {
  return [...html.matchAll(/<h[1-6][^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
}

/**
 * The search documents of one notebook page.
 * @param {{name: string, title: string, nb: any}} entry the executed notebook
 * @param html the page nbconvert wrote, whose heading ids the sections link to
 * @returns {{id: string, href: string, title: string, heading: string, text: string, code: string, excerpt: string}[]}
 */
export function pageDocuments(entry, html) {
  const ids = headingIds(html);
  const page = `${entry.name}.html`;
  const sections = [];
  /** @type {{heading: string, anchor: string, text: string[], code: string[]}} */
  let section = { heading: entry.title, anchor: "", text: [], code: [] };
  let nth = 0; // headings seen, to pair each with its id in the page
  for (const cell of entry.nb.cells) {
    if (cell.cell_type === "code") section.code.push(joinLines(cell.source));
    if (cell.cell_type !== "markdown") continue;
    for (const part of markdownLines(cell.source)) {
      if (part.line !== undefined) {
        section.text.push(part.line);
        continue;
      }
      const id = ids[nth++] ?? "";
      if (part.level > 3) {
        section.text.push(part.heading);
        continue;
      }
      sections.push(section);
      section = { heading: plainText(part.heading), anchor: id, text: [], code: [] };
    }
  }
  sections.push(section);
  // Headings in outputs (or a parser that disagrees with nbconvert) would shift the pairing: then
  // link every section to the top of its page rather than to the wrong place.
  const paired = nth === ids.length;
  return sections
    .filter((s) => s.text.join("").trim() || s.code.length)
    .map((s, i) => {
      const text = plainText(s.text.join("\n"));
      return {
        id: `${entry.name}#${i}`,
        href: paired && s.anchor ? `${page}#${s.anchor}` : page,
        title: entry.title,
        heading: s.heading,
        text,
        code: s.code.join("\n"),
        excerpt: text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS).replace(/\s\S*$/, "")} …` : text,
      };
    });
}

/**
 * Write assets/minisearch.js and assets/search-index.js for the exported pages in `dir`.
 * @param entries [{name, title, nb}] in reading order
 * @returns the number of documents indexed
 */
export function writeSearchIndex(entries, dir) {
  const MiniSearch = /** @type {any} */ (require("minisearch"));
  const docs = entries.flatMap((e) => pageDocuments(e, readFileSync(join(dir, `${e.name}.html`), "utf8")));
  const index = new MiniSearch(SEARCH_OPTIONS);
  index.addAll(docs);
  writeFileSync(
    join(dir, "assets", "search-index.js"),
    `window.MBRL_SEARCH = ${JSON.stringify({ options: SEARCH_OPTIONS, index })};\n`,
  );
  // MiniSearch's UMD build registers with require.js when a page has it (nbconvert pages do);
  // hiding `define` makes it set window.MiniSearch instead, as the site's script expects.
  const umd = readFileSync(join(dirname(require.resolve("minisearch")), "..", "umd", "index.js"), "utf8");
  writeFileSync(
    join(dir, "assets", "minisearch.js"),
    `(function (define, module, exports) {\n${umd}\n}).call(window);\n`,
  );
  return docs.length;
}
