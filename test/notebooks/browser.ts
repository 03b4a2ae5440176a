/** Headless Debian Chromium, with every host outside the page's own files unreachable. */
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
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

/**
 * Open a local page, blocking every request outside `root` (a file:// URL prefix), and wait
 * for it to settle.
 */
export async function openPage(browser: Browser, url: string, root: string, { javaScript = true } = {}): Promise<PageReport> {
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
  await page.waitForLoadState("networkidle");
  return report;
}
