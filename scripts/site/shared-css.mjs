// nbconvert inlines JupyterLab's stylesheets (about 570 kB) into every page it writes. The site
// keeps one copy: each <style> block that every page carries unchanged becomes a file in assets/,
// linked from the same place in each page, so the cascade is the same and a reader's browser
// downloads it once.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const STYLE = /<style type="text\/css">([\s\S]*?)<\/style>/g;
/** Smaller blocks are not worth a request. */
const MIN_SHARED_CHARS = 2000;

/**
 * Move the <style> blocks that all `pages` share into assets/notebook-N.css.
 * @param dir the site folder
 * @param pages the page files (relative to `dir`) that nbconvert wrote
 * @returns the number of characters taken out of each page
 */
export function shareStyles(dir, pages) {
  if (pages.length === 0) return 0;
  const htmls = pages.map((p) => readFileSync(join(dir, p), "utf8"));
  const blocksOf = (html) => [...html.matchAll(STYLE)].map((m) => m[1]);
  const shared = blocksOf(htmls[0]).filter(
    (css) => css.length >= MIN_SHARED_CHARS && htmls.every((h) => blocksOf(h).includes(css)),
  );
  const unique = [...new Set(shared)];
  unique.forEach((css, i) => writeFileSync(join(dir, "assets", `notebook-${i}.css`), css));
  htmls.forEach((html, p) => {
    const out = html.replace(STYLE, (block, css) => {
      const i = unique.indexOf(css);
      return i < 0 ? block : `<link rel="stylesheet" href="assets/notebook-${i}.css">`;
    });
    writeFileSync(join(dir, pages[p]), out);
  });
  return unique.reduce((n, css) => n + css.length, 0);
}
