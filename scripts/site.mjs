// npm run site [-- --force]: the course site in site/, ready for any static host or file://.
//   1. execute the notebooks whose source, library or data changed (all of them with --force),
//      and draw static PNG fallbacks of their figures in headless Chromium (for the pages);
//   2. export every executed notebook with nbconvert and the course template, copy the downloads
//      and the shared assets (plotly.js, MathJax, require.js), and write the index page.
// The site is built in a temporary folder and swapped in, so a failed build keeps the old one.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { executeWithProgress, prepareRun } from "./notebooks.mjs";
import { ROOT, listNotebooks } from "./lib.mjs";
import { inputKey, isUpToDate, recordKey } from "./site/cache.mjs";
import { addFallbacks, launchBrowser } from "./site/fallbacks.mjs";
import { writeSite } from "./site/pages.mjs";

const SITE = join(ROOT, "site");

function parseArgs(argv) {
  for (const a of argv) if (a !== "--force") throw new Error(`unknown option ${a}; usage: npm run site [-- --force]`);
  return { force: argv.includes("--force") };
}

/** Execute what changed; returns how many notebooks ran. */
async function executeChanged(names, force) {
  // Keys first, then the build: a key must never describe a newer src/ than the dist/ that ran.
  const keys = new Map(names.map((name) => [name, inputKey(name)]));
  const python = prepareRun();
  let browser;
  let executed = 0;
  try {
    for (const [i, name] of names.entries()) {
      const label = `site: [${i + 1}/${names.length}]`;
      const key = keys.get(name);
      if (!force && isUpToDate(name, key)) {
        console.log(`${label} ${name} ... up to date`);
        continue;
      }
      await executeWithProgress(python, name, label);
      browser ??= await launchBrowser();
      const figures = await addFallbacks(browser, name);
      console.log(`${label} ${name} ... ${figures} figure fallbacks drawn`);
      recordKey(name, key);
      executed++;
    }
  } finally {
    await browser?.close();
  }
  return executed;
}

/** Replace site/ with the freshly built folder in two renames. */
function swapIn(dir) {
  const old = `${SITE}.old-${process.pid}`;
  if (existsSync(SITE)) renameSync(SITE, old);
  renameSync(dir, SITE);
  rmSync(old, { recursive: true, force: true });
}

async function main(argv) {
  const { force } = parseArgs(argv);
  const started = Date.now();
  const names = listNotebooks();
  const executed = await executeChanged(names, force);
  const tmp = `${SITE}.tmp-${process.pid}`;
  const work = join(ROOT, "build", `site-work-${process.pid}`);
  try {
    mkdirSync(tmp, { recursive: true });
    mkdirSync(work, { recursive: true });
    writeSite(names, tmp, work);
    swapIn(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `site: ${names.length} pages (${executed} notebooks executed) in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${join(SITE, "index.html")}`,
  );
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`\n${e.message}`);
  process.exit(1);
});
