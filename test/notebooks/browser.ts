/** Headless Debian Chromium, with every host outside the page's own files unreachable. */
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../../scripts/site/fallbacks.mjs";

/** The site builder's own launcher: the same Chromium and flags for the build and the tests. */
export function launch(): Promise<Browser> {
  return launchBrowser();
}

export interface PageReport {
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Requests for anything outside `root` (other hosts, other local folders); all were blocked. */
  outside: string[];
  /** Local files the page asked for that do not exist. */
  missing: string[];
}

/** Wait until MathJax 2 (if the page loads it) has typeset everything it queued. */
async function mathJaxDone(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      !document.querySelector('script[src*="MathJax.js"]') ||
      (window as unknown as { MathJax?: { Hub?: unknown } }).MathJax?.Hub !== undefined,
    undefined,
    { timeout: 60_000 },
  );
  await page.evaluate(
    () =>
      new Promise<void>((done) => {
        const hub = (window as unknown as { MathJax?: { Hub?: { Queue: (f: () => void) => void } } }).MathJax?.Hub;
        if (hub) hub.Queue(() => done());
        else done();
      }),
  );
}

/**
 * Open a local page, blocking every request outside `root` (a file:// URL prefix), and wait
 * for it to settle.
 */
export async function openPage(
  browser: Browser,
  url: string,
  root: string,
  { javaScript = true } = {},
): Promise<PageReport> {
  const context = await browser.newContext({ javaScriptEnabled: javaScript, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const report: PageReport = { page, errors: [], outside: [], missing: [] };
  page.on("console", (m) => m.type() === "error" && report.errors.push(m.text()));
  page.on("pageerror", (e) => report.errors.push(String(e)));
  page.on("requestfailed", (r) => r.url().startsWith("file:") && report.missing.push(r.url()));
  await page.route(/.*/, (route) => {
    const u = route.request().url();
    if (u.startsWith(root) || u.startsWith("data:")) return route.continue();
    report.outside.push(u);
    return route.abort("blockedbyclient");
  });
  await page.goto(url, { waitUntil: "load" });
  if (javaScript) await mathJaxDone(page);
  // A settle heuristic only: a busy page may never go quiet for 500 ms, and each test waits
  // for what it checks (figures drawn, math typeset) before asserting.
  await page.waitForLoadState("networkidle", { timeout: 10_000 }).catch(() => undefined);
  return report;
}
