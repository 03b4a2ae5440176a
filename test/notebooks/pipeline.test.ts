// The whole pipeline on the real notebooks: `npm run site` executes every notebook through Jupyter
// with the tslab kernel and exports it with nbconvert; then we check the executed notebooks, open
// every page in headless Chromium offline, and re-execute to check the numbers repeat.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import type { Browser } from "playwright-core";
import { launch, openPage } from "./browser";
import { BUILD, SITE, buildSiteOnce, kindOf, notebookNames, outputs, readNotebook, runScript, text, type NbOutput, type Notebook } from "./helpers";

const names = notebookNames();
const executed = new Map<string, Notebook>();

beforeAll(() => {
  buildSiteOnce();
  for (const name of names) executed.set(name, readNotebook(join(BUILD, `${name}.ipynb`)));
}, 30 * 60_000);

describe.each(names)("executed %s", (name) => {
  const nb = () => executed.get(name)!;

  it("ran every code cell without errors or warnings on stderr", () => {
    for (const cell of nb().cells.filter((c) => c.cell_type === "code")) expect(cell.execution_count).toBeGreaterThan(0);
    const bad = outputs(nb()).filter((o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr"));
    expect(bad.map((o) => `${o.ename ?? ""} ${o.evalue ?? ""} ${text(o.text)}`)).toEqual([]);
  });

  it("has each figure as one bundle (text/html + text/plain) and plotly.js embedded exactly once, before them", () => {
    const all = outputs(nb());
    const figures = all.filter((o) => kindOf(o) === "figure");
    for (const f of figures) {
      expect(f.output_type).toBe("display_data");
      expect(Object.keys(f.data!).sort()).toEqual(["text/html", "text/plain"]);
      expect(text(f.data!["text/plain"])).toMatch(/^Figure: /);
    }
    const withBundle = all.filter((o) => /plotly\.js v\d/.test(text(o.data?.["text/html"])));
    expect(withBundle).toHaveLength(figures.length > 0 ? 1 : 0);
    if (figures.length > 0) expect(all.indexOf(withBundle[0])).toBeLessThan(all.indexOf(figures[0]));
  });

  it("shows tables as HTML with a text fallback, and progress bars in their final state", () => {
    for (const o of outputs(nb()).filter((o) => kindOf(o) === "table")) {
      expect(text(o.data!["text/html"])).toMatch(/^<table class="mbrl-table">/);
      expect(text(o.data!["text/plain"]).length).toBeGreaterThan(0);
    }
    for (const o of outputs(nb()).filter((o) => kindOf(o) === "progress")) {
      const [, done, total] = text(o.data!["text/plain"]).match(/\] (\d+)\/(\d+)/)!;
      expect(done).toBe(total);
    }
  });

  it("is trusted, so JupyterLab runs its figures' scripts when this user opens it", () => {
    const r = runPython("import sys, nbformat; from nbformat.sign import NotebookNotary; sys.exit(0 if NotebookNotary().check_signature(nbformat.read(sys.argv[1], as_version=4)) else 1)", join(BUILD, `${name}.ipynb`));
    expect(r.status).toBe(0);
  });
});

it("getting started shows every kind of output", () => {
  const kinds = outputs(executed.get("00_getting_started")!).map(kindOf);
  expect(kinds).toEqual(expect.arrayContaining(["plotly-init", "figure", "table", "progress"]));
});

describe("exported pages in headless Chromium, offline", () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launch(); });
  afterAll(async () => { await browser?.close(); });

  it("index links every page", () => {
    const index = readFileSync(join(SITE, "index.html"), "utf8");
    const links = [...index.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(links.sort()).toEqual(names.map((n) => `${n}.html`).sort());
    for (const l of links) expect(existsSync(join(SITE, l))).toBe(true);
  });

  it.each(names)("%s: every figure drew, math rendered, no errors, no outside requests", async (name) => {
    const report = await openPage(browser, `file://${join(SITE, `${name}.html`)}`);
    const { page } = report;
    const expected = outputs(executed.get(name)!).filter((o) => kindOf(o) === "figure").length;
    await page.waitForFunction((n) => document.querySelectorAll(".mbrl-figure svg.main-svg").length >= n, expected, { timeout: 30_000 });
    const figures = await page.$$eval(".mbrl-figure", (divs) =>
      divs.map((d) => ({
        drew: d.classList.contains("js-plotly-plot") && d.querySelector("svg.main-svg") !== null,
        scatterTraces: ((d as unknown as { data?: { type?: string }[] }).data ?? []).filter((t) => (t.type ?? "scatter") === "scatter").length,
        drawnTraces: d.querySelectorAll(".scatterlayer .trace").length,
        fallbacks: d.querySelectorAll("img.mbrl-fallback").length,
      })),
    );
    expect(figures).toHaveLength(expected);
    for (const f of figures) {
      expect(f.drew).toBe(true);
      expect(f.drawnTraces).toBe(f.scatterTraces);
      expect(f.fallbacks).toBe(0);
    }
    const hasMath = executed.get(name)!.cells.some((c) => c.cell_type === "markdown" && /\$[^$]+\$/.test(text(c.source)));
    if (hasMath) {
      await page.waitForFunction(() => document.querySelectorAll(".MathJax_CHTML").length > 0, undefined, { timeout: 30_000 });
      expect(await page.locator(".MathJax_CHTML").count()).toBeGreaterThan(0);
      expect(await page.locator(".MathJax_Error, merror").count()).toBe(0);
    }
    expect(report.errors).toEqual([]);
    expect(report.outside).toEqual([]);
    expect(report.missing).toEqual([]);
    await page.context().close();
  }, 90_000);
});

describe("determinism", () => {
  it("executing every notebook again gives the same outputs (progress timings aside)", () => {
    const again = mkdtempSync(join(tmpdir(), "mbrl-again-"));
    try {
      const r = runScript("notebooks.mjs", [], { MBRL_BUILD_DIR: again });
      expect(r.status, r.output).toBe(0);
      for (const name of names) {
        const comparable = (nb: Notebook) => outputs(nb).filter((o: NbOutput) => kindOf(o) !== "progress").map((o) => ({ ...o, metadata: o.metadata }));
        expect(comparable(readNotebook(join(again, `${name}.ipynb`))), name).toEqual(comparable(executed.get(name)!));
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  }, 30 * 60_000);
});

function runPython(code: string, ...args: string[]) {
  return require("child_process").spawnSync("/usr/bin/python3", ["-c", code, ...args], { encoding: "utf8" }) as { status: number; stderr: string };
}
