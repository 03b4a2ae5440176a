// npm run site [-- --force]: the course site in site/, ready for any static host or file://.
//   1. execute the notebooks whose source, library or data changed (all of them with --force),
//      and draw static fallback images of their figures in headless Chromium (for the pages);
//   2. export every executed notebook with nbconvert and the course template (pages whose
//      notebook and template are unchanged come from the cache of the last build), copy the
//      downloads and the shared assets (plotly.js, MathJax, require.js), and write the index page.
// The site is built in a temporary folder and swapped in, so a failed build keeps the old one.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_JOBS, executeWithProgress, inParallel, prepareRun } from "./notebooks.mjs";
import { ROOT, exitWithError, listNotebooks, parseCommandLine } from "./lib.mjs";
import { SITE_CACHE, inputKey, isLibraryBuilt, isUpToDate, recordKey, recordLibraryBuilt } from "./site/cache.mjs";
import { addFallbacks, launchBrowser } from "./site/fallbacks.mjs";
import { writeSite } from "./site/pages.mjs";

const SITE = join(ROOT, "site");
const USAGE = "usage: npm run site [-- --force]";

/** Execute what changed; returns how many notebooks ran. */
async function executeChanged(names, force) {
  // Keys first, then the build: a key must never describe a newer src/ than the dist/ that ran.
  const keys = new Map(names.map((name) => [name, inputKey(name)]));
  const stale = names.filter((name) => force || !isUpToDate(name, keys.get(name)));
  // dist/ is needed even when nothing runs (the pages use its display helpers); tsc only when it may be stale.
  const python = stale.length > 0 || !isLibraryBuilt() ? prepareRun() : undefined;
  if (python) recordLibraryBuilt();
  const label = (name) => `site: [${names.indexOf(name) + 1}/${names.length}]`;
  for (const name of names) if (!stale.includes(name)) console.log(`${label(name)} ${name} ... up to date`);
  // Kernels in parallel (`npm run notebooks`' --jobs default), then the fallbacks of those that ran,
  // drawn in one browser; a notebook is recorded as built only once both are done.
  const executed = [];
  let failure;
  await inParallel(stale, DEFAULT_JOBS, async (name) => {
    await executeWithProgress(python, name, label(name), undefined, Math.min(DEFAULT_JOBS, stale.length));
    executed.push(name);
  }).catch((e) => {
    failure = e;
  });
  let browser;
  try {
    for (const name of stale.filter((n) => executed.includes(n))) {
      browser ??= await launchBrowser();
      const figures = await addFallbacks(browser, name);
      console.log(`${label(name)} ${name} ... ${figures} figure fallbacks drawn`);
      recordKey(name, keys.get(name));
    }
  } finally {
    await browser?.close();
  }
  if (failure) throw failure;
  return stale.length;
}

/** Replace site/ with the freshly built folder in two renames. */
function swapIn(dir) {
  const old = `${SITE}.old-${process.pid}`;
  if (existsSync(SITE)) renameSync(SITE, old);
  renameSync(dir, SITE);
  rmSync(old, { recursive: true, force: true });
}

async function main(argv) {
  const { values } = parseCommandLine(argv, { force: { type: "boolean" } }, USAGE, { positionals: false });
  const force = Boolean(values.force);
  const started = Date.now();
  if (force) rmSync(SITE_CACHE, { recursive: true, force: true }); // from scratch: no page or model from before
  const names = listNotebooks();
  const executed = await executeChanged(names, force);
  const tmp = `${SITE}.tmp-${process.pid}`;
  const work = join(ROOT, "build", `site-work-${process.pid}`);
  let converted;
  try {
    mkdirSync(tmp, { recursive: true });
    mkdirSync(work, { recursive: true });
    converted = writeSite(names, tmp, work);
    swapIn(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `site: ${names.length} pages (${executed} notebooks executed) in ${seconds} s, ${converted} converted by nbconvert -> ${join(SITE, "index.html")}`,
  );
}

main(process.argv.slice(2)).catch((e) => exitWithError(e, { prefix: "\n" }));
