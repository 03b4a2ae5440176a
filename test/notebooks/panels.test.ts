// The site's "try it" panels in headless Chromium from file://, every request outside the site
// blocked: at the notebook's own parameters each panel shows the numbers the executed notebook
// printed (read from build/notebooks/, not written here); moving a slider changes the figure's
// data; rapid moves coalesce; with the library bundle blocked the static page stays and each
// panel's place holds a one-line notice. Update times are measured and written to
// build/panels-timings.json (reported, not asserted: the machine is shared).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import { pathToFileURL } from "url";
import type { Browser, Page } from "playwright-core";
import { launch, openPage, type PageReport } from "./browser";
import { BUILD, ROOT, SITE, buildSiteOnce, readNotebook, text } from "./helpers";

const siteUrl = pathToFileURL(SITE).href + "/";
const timings: Record<string, number[]> = {};

let browser: Browser;
beforeAll(async () => {
  buildSiteOnce();
  browser = await launch();
}, 30 * 60_000);
afterAll(async () => {
  await browser?.close();
  mkdirSync(join(ROOT, "build"), { recursive: true });
  writeFileSync(join(ROOT, "build", "panels-timings.json"), JSON.stringify(timings, null, 1));
});

/** The rows of the first HTML table output of the executed notebook's code cell containing `marker`. */
function notebookTable(name: string, marker: string): Record<string, string>[] {
  const nb = readNotebook(join(BUILD, `${name}.ipynb`));
  const code = nb.cells.filter((c) => c.cell_type === "code");
  const at = code.findIndex((c) => text(c.source).includes(marker));
  if (at < 0) throw new Error(`${name}: no code cell contains ${marker}`);
  // The first table printed from that cell on: a notebook may compute in one cell and tabulate in the next.
  const html = code
    .slice(at)
    .flatMap((c) => c.outputs ?? [])
    .map((o) => text(o.data?.["text/html"] as string | string[] | undefined))
    .find((h) => h.includes("<table"));
  if (!html) throw new Error(`${name}: no table printed from the cell with ${marker} on`);
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  const cellsOf = (row: string, tag: string) =>
    [...row.matchAll(new RegExp(`<${tag}>(.*?)</${tag}>`, "g"))].map((m) => unescape(m[1]));
  const columns = cellsOf(html.match(/<thead>(.*?)<\/thead>/s)![1], "th");
  return [...html.matchAll(/<tr>(.*?)<\/tr>/gs)]
    .slice(1)
    .map((m) => Object.fromEntries(cellsOf(m[1], "td").map((v, j) => [columns[j], v])));
}

/** The panel's table as rows keyed by column, its cells' text as displayed. */
async function panelTable(page: Page, panel: string): Promise<Record<string, string>[]> {
  return page.$$eval(`${panel} .mbrl-panel-table tbody tr`, (trs) =>
    trs.map((tr) =>
      Object.fromEntries(
        Array.from(tr.querySelectorAll("td")).map((td) => [(td as HTMLElement).dataset.column!, td.textContent!]),
      ),
    ),
  );
}

async function open(name: string, block?: RegExp): Promise<PageReport> {
  if (!block) return openPage(browser, `${siteUrl}${name}.html`, siteUrl);
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const report: PageReport = { page, errors: [], outside: [], missing: [] };
  page.on("console", (m) => m.type() === "error" && report.errors.push(m.text()));
  page.on("pageerror", (e) => report.errors.push(String(e)));
  await page.route(/.*/, (route) => {
    const u = route.request().url();
    if (block.test(u) || !(u.startsWith(siteUrl) || u.startsWith("data:"))) return route.abort("blockedbyclient");
    return route.continue();
  });
  await page.goto(`${siteUrl}${name}.html`, { waitUntil: "load" });
  return report;
}

/** Wait until the panel has finished updating for the values given (all of its work, `later` included). */
async function ready(page: Page, panel: string, minUpdates = 1) {
  await page.waitForFunction(
    ([sel, n]) => {
      const s = document.querySelector(sel as string) as HTMLElement | null;
      return !!s && s.dataset.state === "ready" && Number(s.dataset.updates) >= (n as number);
    },
    [panel, minUpdates],
    { timeout: 120_000 },
  );
  return Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updates));
}

/** Set sliders as a reader would (value, then an input event each); returns when all are set. */
async function setSliders(page: Page, panel: string, values: Record<string, number>) {
  await page.$eval(
    panel,
    (s, v) => {
      for (const [name, value] of Object.entries(v)) {
        const input = s.querySelector(`input[name="${name}"]`) as HTMLInputElement;
        input.value = String(value);
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
    },
    values,
  );
}

const figureData = (page: Page, panel: string) =>
  page.$eval(`${panel} .mbrl-panel-figure`, (gd) =>
    JSON.stringify(((gd as unknown as { data: { x: number[]; y: number[] }[] }).data ?? []).map((t) => [t.x, t.y])),
  );

async function measureMove(page: Page, panel: string, key: string, values: Record<string, number>) {
  const before = await figureData(page, panel);
  const updates = Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updates));
  const t = Date.now();
  await setSliders(page, panel, values);
  await ready(page, panel, updates + 1);
  (timings[`${key}: first draw (ms)`] ??= []).push(
    Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updateMs)),
  );
  (timings[`${key}: complete, as the test saw it (ms)`] ??= []).push(Date.now() - t);
  expect(await figureData(page, panel)).not.toEqual(before);
}

function expectRowsMatch(
  panel: Record<string, string>[],
  notebook: Record<string, string>[],
  key: string,
  columns: string[],
) {
  for (const row of panel) {
    const theirs = notebook.find((r) => r[key] === row[key]);
    expect(theirs, `notebook row ${row[key]}`).toBeDefined();
    for (const c of columns) expect(`${row[key]}: ${c} = ${row[c]}`).toBe(`${row[key]}: ${c} = ${theirs![c]}`);
  }
}

describe("01: exam MDP and linear-Gaussian panels", () => {
  const name = "01_open_loop_vs_closed_loop";
  it("run on wasm, show the notebook's numbers at its parameters, and recompute when a slider moves", async () => {
    const report = await open(name);
    const { page } = report;
    await ready(page, "#try-it-1");
    await ready(page, "#try-it-2");
    expect(await page.evaluate(() => document.documentElement.dataset.mbrlBackend)).toBe("wasm");

    const exam = await panelTable(page, "#try-it-1");
    expect(exam.map((r) => r.strategy)).toEqual(notebookTable(name, "mbrl.simulateExam(").map((r) => r.strategy));
    expectRowsMatch(exam, notebookTable(name, "mbrl.simulateExam("), "strategy", [
      "exact value",
      "Monte Carlo mean",
      "95% CI low",
      "95% CI high",
    ]);

    const lg = await panelTable(page, "#try-it-2");
    expect(lg).toHaveLength(2);
    expectRowsMatch(lg, notebookTable(name, "costRow("), "strategy", [
      "exact expected cost",
      "Monte Carlo mean",
      "95% CI low",
      "95% CI high",
      "episodes",
    ]);

    for (const p of [0.7, 0.9, 0.3]) await measureMove(page, "#try-it-1", "01 exam (p)", { p });
    for (const sigma of [2, 0.5, 1.5]) await measureMove(page, "#try-it-2", "01 linear-Gaussian (σ)", { sigma });
    for (const T of [11, 20]) await measureMove(page, "#try-it-2", "01 linear-Gaussian (T, new CEM plan)", { T });
    expect(report.errors).toEqual([]);
    expect(report.outside).toEqual([]);
    await page.context().close();
  }, 300_000);
});

describe("02: shooting panel", () => {
  const name = "02_recursive_objective";
  it("shows the notebook's gradient ratio and κ at λ = 1.2 and 0.8, T = 30; coalesces rapid moves", async () => {
    const report = await open(name);
    const { page } = report;
    const panel = "#try-it-1";
    await ready(page, panel);
    const gradients = notebookTable(name, "tf.grad(shootingReturn");
    const kappas = notebookTable(name, "mbrl.shootingConditionNumber(");
    for (const [lambda, system] of [
      [1.2, "unstable, λ = 1.2"],
      [0.8, "stable, λ = 0.8"],
    ] as const) {
      if (lambda !== 1.2) {
        const updates = Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updates));
        await setSliders(page, panel, { lambda });
        await ready(page, panel, updates + 1);
      }
      const shown = Object.fromEntries((await panelTable(page, panel)).map((r) => [r.quantity, r.value]));
      const theirs = gradients.find((r) => r.system === system)!;
      for (const c of ["|∂J/∂a_0|", "|∂J/∂a_29|", "first / last", "λ^(T−1)"])
        expect(`${system} ${c} = ${shown[c]}`).toBe(`${system} ${c} = ${theirs[c]}`);
      const kappa = kappas.find((r) => r.system === system)!;
      expect(`${system} κ = ${shown["κ of the shooting Hessian at T = 30"]}`).toBe(
        `${system} κ = ${kappa["κ at T = 30"]}`,
      );
      // The κ curve drawn progressively reaches all 60 horizons.
      expect(
        await page.$eval(
          `${panel} .mbrl-panel-figure`,
          (gd) => (gd as unknown as { data: { x: number[] }[] }).data[1].x.length,
        ),
      ).toBe(60);
    }
    for (const lambda of [1, 1.1, 0.9]) await measureMove(page, panel, "02 shooting (λ)", { lambda });
    for (const T of [10, 45, 60]) await measureMove(page, panel, "02 shooting (T)", { T });

    // Ten moves in one burst: at most two updates (the one running and the latest), for the last values.
    const before = Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updates));
    await page.$eval(panel, (s) => {
      const input = s.querySelector('input[name="lambda"]') as HTMLInputElement;
      for (let i = 0; i < 10; i++) {
        input.value = String(0.6 + 0.05 * i);
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
    const after = await ready(page, panel, before + 1);
    expect(after - before).toBeLessThanOrEqual(2);
    expect(JSON.parse(await page.$eval(panel, (s) => (s as HTMLElement).dataset.values!)).lambda).toBe(1.05);
    expect(report.errors).toEqual([]);
    expect(report.outside).toEqual([]);
    await page.context().close();
  }, 300_000);
});

describe("03: gradient norm panel", () => {
  const name = "03_bptt";
  it("shows the notebook's ‖∇J‖ through the exported learned model for seeds 0 and 1; a move interrupts the running sweep", async () => {
    const report = await open(name);
    const { page } = report;
    const panel = "#try-it-1";
    const notebook = notebookTable(name, "growth of ln‖∇J‖ per step");
    const columns = ["‖∇J‖ at H = 10", "‖∇J‖ at H = 30", "‖∇J‖ at H = 100", "‖∇J‖(100) / ‖∇J‖(50)"];
    await ready(page, panel);
    for (const seed of [0, 1]) {
      if (seed !== 0) {
        const updates = Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updates));
        const t = Date.now();
        await setSliders(page, panel, { seed });
        await ready(page, panel, updates + 1);
        (timings["03 seed move: whole sweep of 14 gradient norms (ms)"] ??= []).push(Date.now() - t);
        (timings["03 seed move: first draw (ms)"] ??= []).push(
          Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updateMs)),
        );
      }
      const shown = await panelTable(page, panel);
      expect(shown.map((r) => r.regime)).toEqual(["near upright, learned model", "hanging, damped true pendulum"]);
      for (const row of shown) {
        const theirs = notebook.find((r) => r.regime === row.regime && r.seed === String(seed))!;
        for (const c of columns)
          expect(`${row.regime}, seed ${seed}: ${c} = ${row[c]}`).toBe(
            `${row.regime}, seed ${seed}: ${c} = ${theirs[c]}`,
          );
      }
    }
    // Move while the sweep runs: the old sweep stops, the panel ends on the latest values.
    const updates = Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updates));
    await setSliders(page, panel, { damping: 3 });
    await page.waitForFunction(
      (sel) => /gradients: [1-9]/.test(document.querySelector(`${sel} .mbrl-panel-status`)!.textContent!),
      panel,
      { timeout: 60_000 },
    );
    await setSliders(page, panel, { seed: 2 });
    await ready(page, panel, updates + 2);
    expect(Number(await page.$eval(panel, (s) => (s as HTMLElement).dataset.updates))).toBe(updates + 2);
    expect(JSON.parse(await page.$eval(panel, (s) => (s as HTMLElement).dataset.values!))).toEqual({
      seed: 2,
      damping: 3,
    });
    expect(
      await page.$eval(`${panel} .mbrl-panel-figure`, (gd) =>
        (gd as unknown as { data: { x: number[] }[] }).data.map((t) => t.x.length),
      ),
    ).toEqual([7, 7]);
    expect(report.errors).toEqual([]);
    expect(report.outside).toEqual([]);
    await page.context().close();
  }, 600_000);
});

describe("failure-safe", () => {
  it.each([
    ["the library bundle", /assets\/mbrl\.js$/],
    ["the wasm binary", /assets\/tfjs-wasm-simd\.js$/],
  ])(
    "with %s blocked the static figures stay and the page throws nothing",
    async (what, block) => {
      const report = await open("01_open_loop_vs_closed_loop", block);
      const { page } = report;
      await page.waitForFunction(() => document.querySelectorAll(".mbrl-panel").length === 2, undefined, {
        timeout: 60_000,
      });
      await page.waitForFunction(
        () => document.querySelectorAll(".js-plotly-plot svg.main-svg").length > 0,
        undefined,
        { timeout: 60_000 },
      );
      if (what === "the library bundle") {
        expect(await page.$$eval(".mbrl-panel-notice", (ps) => ps.length)).toBe(2);
        expect(await page.$$eval(".mbrl-panel input", (is) => is.length)).toBe(0);
      } else {
        // No binary: tfjs cannot start wasm and the panels run on the cpu backend instead.
        await ready(page, "#try-it-1");
        expect(await page.evaluate(() => document.documentElement.dataset.mbrlBackend)).toBe("cpu");
      }
      // Only the browser's own note about the blocked file; nothing thrown by the page's code.
      expect(report.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
      await page.context().close();
    },
    120_000,
  );
});

describe("bundle", () => {
  it("is under 1.5 MB gzipped beyond tfjs-wasm's own binary, and has no display/ code", () => {
    const size = (f: string) => {
      const bytes = readFileSync(join(SITE, "assets", f));
      return { bytes: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
    };
    const sizes = { library: size("mbrl.js"), panels: size("panels.js"), wasm: size("tfjs-wasm-simd.js") };
    timings["bundle sizes (bytes)"] = [
      sizes.library.bytes,
      sizes.library.gzipped,
      sizes.panels.gzipped,
      sizes.wasm.bytes,
      sizes.wasm.gzipped,
    ];
    expect(sizes.library.gzipped + sizes.panels.gzipped).toBeLessThan(1.5e6);
    const library = readFileSync(join(SITE, "assets", "mbrl.js"), "utf8");
    expect(library).not.toMatch(/mbrl-table|plotly-init/); // strings only display/ has
    expect(library).toContain("initBrowserBackend");
  });
});
