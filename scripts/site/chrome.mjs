// The parts every page of the site shares, as HTML strings: the head (theme chosen before the
// first paint, the site's CSS), the top bar (contents button, search, hide-code and dark-mode
// toggles) and the contents sidebar. The index page and the notebook pages (through the
// nbconvert template, which prints what the builder puts in the notebook's metadata) use the
// same strings, so the markup lives in one place. assets/site.js makes them work.

/**
 * Runs in <head> before anything is drawn, so a dark page never flashes white: the reader's
 * stored choice, or else the system's colour scheme; and whether code was hidden last time.
 */
const THEME_INIT = `<script>(function () {
  var d = document.documentElement, theme, hide;
  if (!d.lang) d.lang = "en"; // nbconvert's pages do not say their language
  d.classList.add("mbrl-js"); // the controls below work: show them
  try { theme = localStorage.getItem("mbrl-theme"); hide = localStorage.getItem("mbrl-hide-code"); } catch (e) { /* storage blocked */ }
  if (theme !== "dark" && theme !== "light") theme = window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  d.setAttribute("data-theme", theme);
  if (hide === "1") d.classList.add("mbrl-hide-code");
})();</script>`;

/** What goes into <head>: the theme set before paint, and the site's stylesheet. */
export function headHtml() {
  return `${THEME_INIT}\n<link rel="stylesheet" href="assets/site.css">`;
}

/**
 * The top bar: a skip link, the contents button (narrow screens), search, and the toggles.
 * @param withCode whether the page has code cells to hide (not the index)
 */
export function topbarHtml(escapeHtml, course, withCode) {
  const codeToggle = withCode
    ? `\n  <button type="button" class="mbrl-button mbrl-code-toggle" aria-pressed="false">Hide code</button>`
    : "";
  return `<a class="mbrl-skip" href="#mbrl-content">Skip to content</a>
<header class="mbrl-topbar">
  <button type="button" class="mbrl-button mbrl-menu" aria-controls="mbrl-sidebar" aria-expanded="false">Contents</button>
  <span class="mbrl-brand">${escapeHtml(course)}</span>
  <div class="mbrl-search" role="search">
    <label class="mbrl-sr-only" for="mbrl-search-input">Search the notes</label>
    <input id="mbrl-search-input" class="mbrl-search-input" type="search" placeholder="Search the notes" autocomplete="off" spellcheck="false" aria-controls="mbrl-search-results">
    <div id="mbrl-search-results" class="mbrl-search-results" hidden></div>
  </div>${codeToggle}
  <button type="button" class="mbrl-button mbrl-theme-toggle" aria-pressed="false">Dark mode</button>
</header>`;
}

/**
 * The contents sidebar: the overview and every notebook, the current one marked; site.js
 * adds the current page's sections (its h2 and h3 headings) under it.
 * @param pages [{href, title}] in reading order
 * @param current the href of this page
 */
export function sidebarHtml(escapeHtml, pages, current) {
  const item = (p) => {
    const here = p.href === current;
    return `<li${here ? ' class="mbrl-current"' : ""}><a href="${p.href}"${here ? ' aria-current="page"' : ""}>${escapeHtml(p.title)}</a>${here ? '<ul class="mbrl-sections"></ul>' : ""}</li>`;
  };
  return `<nav id="mbrl-sidebar" class="mbrl-sidebar" aria-label="Contents">
<p class="mbrl-sidebar-title">Contents</p>
<ol class="mbrl-pages">
${pages.map(item).join("\n")}
</ol>
</nav>`;
}

/** The end of every page: the behaviour script. */
export const SCRIPTS_HTML = `<script src="assets/site.js"></script>`;
