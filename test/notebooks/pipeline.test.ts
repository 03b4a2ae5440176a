// The whole pipeline on the real notebooks: `npm run site` executes every notebook through Jupyter
// 7 (from .venv) with the tslab kernel, draws fallback images, and exports the pages with nbconvert;
// then we check the executed notebooks, open every page in headless Chromium offline (with and
// without JavaScript), rebuild incrementally, and re-execute to check that the numbers repeat.
// JupyterLab itself (live, trusted and untrusted) is covered by jupyterlab.test.ts.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";
import { pathToFileURL } from "url";
import type { Browser } from "playwright-core";
import { launch, openPage } from "./browser";
import {
  BUILD,
  ROOT,
  SITE,
  buildSiteOnce,
  kindOf,
  notebookNames,
  outputs,
  readNotebook,
  runScript,
  text,
  type Notebook,
} from "./helpers";
import { PLOTLY_MIME } from "./lab";

const names = notebookNames();
const executed = new Map<string, Notebook>();
const siteUrl = pathToFileURL(SITE).href + "/";
const figuresIn = (name: string) => outputs(executed.get(name)!).filter((o) => kindOf(o) === "figure");

beforeAll(() => {
  buildSiteOnce();
  for (const name of names) executed.set(name, readNotebook(join(BUILD, `${name}.ipynb`)));
}, 30 * 60_000);

describe.each(names)("executed %s", (name) => {
  const nb = () => executed.get(name)!;

  it("ran every code cell without errors or output on stderr", () => {
    for (const cell of nb().cells.filter((c) => c.cell_type === "code"))
      expect(cell.execution_count).toBeGreaterThan(0);
    const bad = outputs(nb()).filter(
      (o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr"),
    );
    expect(bad.map((o) => `${o.ename ?? ""} ${o.evalue ?? ""} ${text(o.text)}`)).toEqual([]);
  });

  it("has each figure as one bundle (Plotly JSON, HTML, text) and no plotly.js or PNG inside, so it stays small", () => {
    for (const f of figuresIn(name)) {
      expect(f.output_type).toBe("display_data");
      expect(Object.keys(f.data!).sort()).toEqual([PLOTLY_MIME, "text/html", "text/plain"]);
      expect(text(f.data!["text/plain"])).toMatch(/^Figure: /);
      const spec = f.data![PLOTLY_MIME] as unknown as { data: unknown[]; layout: unknown };
      expect(spec.data.length).toBe(f.metadata!.mbrl!.traces);
      // The HTML's script draws the very same figure (the notebook stores the JSON with sorted keys).
      expect(JSON.parse(text(f.data!["text/html"]).match(/var spec = (.*);\n/)![1])).toEqual(spec);
    }
    expect(outputs(nb()).filter((o) => /plotly\.js v\d/.test(JSON.stringify(o)))).toEqual([]);
    expect(statSync(join(BUILD, `${name}.ipynb`)).size).toBeLessThan(2_000_000);
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

  it("is signed for this user, so JupyterLab shows its other HTML outputs unsanitised", () => {
    const r = runPython(
      "import sys, nbformat; from nbformat.sign import NotebookNotary; sys.exit(0 if NotebookNotary().check_signature(nbformat.read(sys.argv[1], as_version=4)) else 1)",
      join(BUILD, `${name}.ipynb`),
    );
    expect(r.status).toBe(0);
  });
});

it("getting started shows every kind of output", () => {
  const kinds = outputs(executed.get("00_getting_started")!).map(kindOf);
  expect(kinds).toEqual(expect.arrayContaining(["figure", "table", "progress"]));
});

describe("the site in headless Chromium, offline", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("has an index with a card for every notebook, its title and summary taken from the notebook", async () => {
    const { page, errors, outside } = await openPage(browser, siteUrl + "index.html", siteUrl);
    const hrefs = await page.$$eval(".mbrl-card h2 a", (as) => as.map((a) => a.getAttribute("href")));
    expect(hrefs).toEqual(names.map((n) => `${n}.html`));
    // Titles and summaries come from the notebooks' first cells (summaries may hold math, so compare the HTML source).
    const index = readFileSync(join(SITE, "index.html"), "utf8");
    const cards = [...index.matchAll(/<h2><a href="[^"]+">([^<]+)<\/a><\/h2>\s*<p>([^<]+)<\/p>/g)].map((m) => ({
      title: unescape(m[1]),
      summary: unescape(m[2]),
    }));
    expect(cards).toHaveLength(names.length);
    cards.forEach((c, i) => {
      const first = text(executed.get(names[i])!.cells[0].source);
      expect(first).toContain(`# ${c.title}`);
      expect(c.summary.length).toBeGreaterThan(20);
      expect(first.replace(/\*\*|`/g, "").replace(/\s+/g, " ")).toContain(c.summary);
    });
    expect([errors, outside]).toEqual([[], []]);
    await page.context().close();
  });

  it("resolves every link of every page to a file inside the site, with relative URLs only", () => {
    for (const page of ["index.html", ...names.map((n) => `${n}.html`)]) {
      const html = readFileSync(join(SITE, page), "utf8");
      const urls = [...html.matchAll(/\s(?:href|src)="([^"#]+)(?:#[^"]*)?"/g)]
        .map((m) => m[1])
        .filter((u) => !u.startsWith("data:"));
      for (const u of urls) {
        expect(u, `${page} links ${u}`).not.toMatch(/^(\/|[a-z]+:)/i);
        const target = resolve(SITE, u.split("?")[0]);
        expect(target.startsWith(SITE), `${page} links outside the site: ${u}`).toBe(true);
        expect(existsSync(target), `${page} links a missing file: ${u}`).toBe(true);
      }
    }
  });

  it("loads plotly.js from one shared file instead of inlining it", () => {
    expect(existsSync(join(SITE, "assets", "plotly.min.js"))).toBe(true);
    for (const n of names) expect(readFileSync(join(SITE, `${n}.html`), "utf8")).not.toMatch(/plotly\.js v\d/);
  });

  it.each(names)(
    "%s: navigation, downloads, every figure drawn, math rendered, no errors, nothing fetched outside",
    async (name) => {
      const report = await openPage(browser, `${siteUrl}${name}.html`, siteUrl);
      const { page } = report;
      const expected = figuresIn(name).length;
      await page.waitForFunction((n) => document.querySelectorAll(".mbrl-figure svg.main-svg").length >= n, expected, {
        timeout: 30_000,
      });
      const figures = await page.$$eval(".mbrl-figure", (divs) =>
        divs.map((d) => ({
          drew: d.classList.contains("js-plotly-plot") && d.querySelector("svg.main-svg") !== null,
          scatterTraces: ((d as unknown as { data?: { type?: string }[] }).data ?? []).filter(
            (t) => (t.type ?? "scatter") === "scatter",
          ).length,
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
      const i = names.indexOf(name);
      const nav = await page.$$eval(".mbrl-nav-top a", (as) => as.map((a) => a.getAttribute("href")));
      expect(nav).toEqual([
        "index.html",
        ...(i > 0 ? [`${names[i - 1]}.html`] : []),
        ...(i + 1 < names.length ? [`${names[i + 1]}.html`] : []),
      ]);
      const downloads = await page.$$eval(".mbrl-downloads a", (as) => as.map((a) => a.getAttribute("href")));
      expect(downloads).toEqual([`notebooks/${name}.ipynb`, `executed/${name}.ipynb`]);
      expect(readFileSync(join(SITE, "notebooks", `${name}.ipynb`))).toEqual(
        readFileSync(join("notebooks", `${name}.ipynb`)),
      );
      const hasMath = executed
        .get(name)!
        .cells.some((c) => c.cell_type === "markdown" && /\$[^$]+\$/.test(text(c.source)));
      if (hasMath) {
        await page.waitForFunction(() => document.querySelectorAll(".MathJax_CHTML").length > 0, undefined, {
          timeout: 30_000,
        });
        expect(await page.locator(".MathJax_Error, merror").count()).toBe(0);
      }
      expect(report.errors).toEqual([]);
      expect(report.outside).toEqual([]);
      expect(report.missing).toEqual([]);
      await page.context().close();
    },
    90_000,
  );

  it.each(names)("%s: without JavaScript, every figure's fallback image shows", async (name) => {
    const { page, outside } = await openPage(browser, `${siteUrl}${name}.html`, siteUrl, { javaScript: false });
    const widths = await page.$$eval(".mbrl-figure img.mbrl-fallback", (imgs) =>
      imgs.map((img) => (img as HTMLImageElement).naturalWidth),
    );
    expect(widths).toHaveLength(figuresIn(name).length);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    expect(outside).toEqual([]);
    await page.context().close();
  });
});

describe("rebuilding the site", () => {
  it(
    "re-executes nothing when nothing changed",
    () => {
      const stamps = names.map((n) => statSync(join(BUILD, `${n}.ipynb`)).mtimeMs);
      const second = runScript("site.mjs");
      expect(second.status, second.output).toBe(0);
      expect(second.stdout).toMatch(/\(0 notebooks executed\)/);
      for (const n of names) expect(second.stdout).toContain(`${n} ... up to date`);
      expect(names.map((n) => statSync(join(BUILD, `${n}.ipynb`)).mtimeMs)).toEqual(stamps);
    },
    10 * 60_000,
  );

  it(
    "re-executes a notebook whose executed copy changed since its fallbacks were drawn (as `npm run notebooks` does), and only that one",
    () => {
      const first = names[0];
      const copy = join(BUILD, `${first}.ipynb`);
      const fallbacks = join(BUILD, `${first}.fallbacks.json`);
      writeFileSync(copy, readFileSync(copy, "utf8") + "\n");
      const drawnBefore = statSync(fallbacks).mtimeMs;
      const r = runScript("site.mjs");
      expect(r.status, r.output).toBe(0);
      expect(r.stdout).toMatch(/\(1 notebooks executed\)/);
      for (const n of names.slice(1)) expect(r.stdout).toContain(`${n} ... up to date`);
      expect(statSync(fallbacks).mtimeMs).toBeGreaterThan(drawnBefore);
      const images = JSON.parse(readFileSync(fallbacks, "utf8")) as string[];
      expect(images.length).toBe(outputs(readNotebook(copy)).filter((o) => kindOf(o) === "figure").length);
      for (const image of images) expect(Buffer.from(image, "base64").subarray(8, 12).toString()).toBe("WEBP");
    },
    10 * 60_000,
  );

  it("stops on a failing notebook with its name, cell and error, and keeps the previous site", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbrl-site-fail-"));
    try {
      mkdirSync(join(dir, "src"));
      writeFileSync(
        join(dir, "src", "bad.ipynb"),
        JSON.stringify({
          cells: [
            {
              cell_type: "code",
              id: "x1",
              metadata: {},
              source: 'throw new Error("no site today")',
              outputs: [],
              execution_count: null,
            },
          ],
          metadata: { kernelspec: { name: "tslab", display_name: "TypeScript" } },
          nbformat: 4,
          nbformat_minor: 5,
        }),
      );
      const before = readFileSync(join(SITE, "index.html"), "utf8");
      const r = runScript("site.mjs", [], { MBRL_NOTEBOOKS_DIR: join(dir, "src"), MBRL_BUILD_DIR: join(dir, "out") });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/notebook bad failed .*FAILED cell 0 \(id x1\): Error: no site today/);
      expect(readFileSync(join(SITE, "index.html"), "utf8")).toBe(before);
      expect(existsSync(dirname(SITE))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

function unescape(html: string): string {
  return html
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** Run Python code with the project's .venv, which has nbformat. */
function runPython(code: string, ...args: string[]) {
  return spawnSync(join(ROOT, ".venv", "bin", "python"), ["-c", code, ...args], { encoding: "utf8" });
}
