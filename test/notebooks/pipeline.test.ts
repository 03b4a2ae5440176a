// The whole pipeline on the real notebooks: `npm run site` executes every notebook through Jupyter
// with the tslab kernel, draws fallback images, and exports the pages with nbconvert; then we check
// the executed notebooks, open every page in headless Chromium offline (with and without
// JavaScript), rebuild incrementally, and re-execute to check that the numbers repeat.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";
import { pathToFileURL } from "url";
import type { Browser } from "playwright-core";
import { launch, openPage } from "./browser";
import { BUILD, SITE, buildSiteOnce, kindOf, notebookNames, outputs, readNotebook, runScript, text, type NbOutput, type Notebook } from "./helpers";

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
    for (const cell of nb().cells.filter((c) => c.cell_type === "code")) expect(cell.execution_count).toBeGreaterThan(0);
    const bad = outputs(nb()).filter((o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr"));
    expect(bad.map((o) => `${o.ename ?? ""} ${o.evalue ?? ""} ${text(o.text)}`)).toEqual([]);
  });

  it("has each figure as one bundle (HTML, text, fallback PNG) and plotly.js embedded once, before them", () => {
    const all = outputs(nb());
    const figures = figuresIn(name);
    for (const f of figures) {
      expect(f.output_type).toBe("display_data");
      expect(Object.keys(f.data!).sort()).toEqual(["image/png", "text/html", "text/plain"]);
      expect(text(f.data!["text/plain"])).toMatch(/^Figure: /);
      expect(text(f.data!["text/html"])).toContain('<img class="mbrl-fallback"');
      expect(Buffer.from(text(f.data!["image/png"]), "base64").subarray(1, 4).toString()).toBe("PNG");
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

describe("the site in headless Chromium, offline", () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launch(); });
  afterAll(async () => { await browser?.close(); });

  it("has an index with a card for every notebook, its title and summary taken from the notebook", async () => {
    const { page, errors, outside } = await openPage(browser, siteUrl + "index.html", siteUrl);
    const hrefs = await page.$$eval(".mbrl-card h2 a", (as) => as.map((a) => a.getAttribute("href")));
    expect(hrefs).toEqual(names.map((n) => `${n}.html`));
    // Titles and summaries come from the notebooks' first cells (summaries may hold math, so compare the HTML source).
    const index = readFileSync(join(SITE, "index.html"), "utf8");
    const cards = [...index.matchAll(/<h2><a href="[^"]+">([^<]+)<\/a><\/h2>\s*<p>([^<]+)<\/p>/g)].map((m) => ({ title: unescape(m[1]), summary: unescape(m[2]) }));
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
      const urls = [...html.matchAll(/\s(?:href|src)="([^"#]+)(?:#[^"]*)?"/g)].map((m) => m[1]).filter((u) => !u.startsWith("data:"));
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

  it.each(names)("%s: navigation, downloads, every figure drawn, math rendered, no errors, nothing fetched outside", async (name) => {
    const report = await openPage(browser, `${siteUrl}${name}.html`, siteUrl);
    const { page } = report;
    const expected = figuresIn(name).length;
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
    const i = names.indexOf(name);
    const nav = await page.$$eval(".mbrl-nav-top a", (as) => as.map((a) => a.getAttribute("href")));
    expect(nav).toEqual(["index.html", ...(i > 0 ? [`${names[i - 1]}.html`] : []), ...(i + 1 < names.length ? [`${names[i + 1]}.html`] : [])]);
    const downloads = await page.$$eval(".mbrl-downloads a", (as) => as.map((a) => a.getAttribute("href")));
    expect(downloads).toEqual([`notebooks/${name}.ipynb`, `executed/${name}.ipynb`]);
    expect(readFileSync(join(SITE, "notebooks", `${name}.ipynb`))).toEqual(readFileSync(join("notebooks", `${name}.ipynb`)));
    const hasMath = executed.get(name)!.cells.some((c) => c.cell_type === "markdown" && /\$[^$]+\$/.test(text(c.source)));
    if (hasMath) {
      await page.waitForFunction(() => document.querySelectorAll(".MathJax_CHTML").length > 0, undefined, { timeout: 30_000 });
      expect(await page.locator(".MathJax_Error, merror").count()).toBe(0);
    }
    expect(report.errors).toEqual([]);
    expect(report.outside).toEqual([]);
    expect(report.missing).toEqual([]);
    await page.context().close();
  }, 90_000);

  it.each(names)("%s: without JavaScript, every figure's fallback image shows", async (name) => {
    const { page, outside } = await openPage(browser, `${siteUrl}${name}.html`, siteUrl, { javaScript: false });
    const widths = await page.$$eval(".mbrl-figure img.mbrl-fallback", (imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
    expect(widths).toHaveLength(figuresIn(name).length);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    expect(outside).toEqual([]);
    await page.context().close();
  });
});

describe("executed notebooks in a live classic Notebook 6 server", () => {
  let browser: Browser;
  let server: ChildProcess;
  let base: string;
  const dir = mkdtempSync(join(tmpdir(), "mbrl-nb6-"));

  beforeAll(async () => {
    for (const n of names) copyFileSync(join(BUILD, `${n}.ipynb`), join(dir, `${n}.ipynb`)); // the server may autosave
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn("jupyter", ["notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0",
      "--NotebookApp.token=", "--NotebookApp.password=", `--notebook-dir=${dir}`], {
      env: { ...process.env, JUPYTER_PATH: join(ROOT_DIR, ".jupyter"), PATH: `${join(ROOT_DIR, "node_modules", ".bin")}:${process.env.PATH}` },
      stdio: "ignore",
    });
    await waitForServer(`${base}/api`);
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(names)("%s: trusted, so every figure drew in the page, with nothing fetched from outside", async (name) => {
    const report = await openPage(browser, `${base}/notebooks/${name}.ipynb`, base);
    const { page } = report;
    const expected = figuresIn(name).length;
    await page.waitForFunction((n) => document.querySelectorAll(".mbrl-figure.js-plotly-plot").length >= n, expected, { timeout: 60_000 });
    const drawn = await page.$$eval(".mbrl-figure", (divs) => divs.map((d) => d.querySelector("svg.main-svg") !== null && d.querySelector("img.mbrl-fallback") === null));
    expect(drawn).toEqual(new Array(expected).fill(true));
    expect(report.outside).toEqual([]);
    await page.context().close();
  }, 120_000);
});

describe("rebuilding the site", () => {
  it("re-executes nothing when nothing changed", () => {
    const stamps = names.map((n) => statSync(join(BUILD, `${n}.ipynb`)).mtimeMs);
    const second = runScript("site.mjs");
    expect(second.status, second.output).toBe(0);
    expect(second.stdout).toMatch(/\(0 notebooks executed\)/);
    for (const n of names) expect(second.stdout).toContain(`${n} ... up to date`);
    expect(names.map((n) => statSync(join(BUILD, `${n}.ipynb`)).mtimeMs)).toEqual(stamps);
  }, 10 * 60_000);

  it("re-executes a notebook that `npm run notebooks` wrote over, and only that one", () => {
    const first = names[0];
    const pngs = () => outputs(readNotebook(join(BUILD, `${first}.ipynb`))).filter((o) => kindOf(o) === "figure").map((o) => o.data!["image/png"]);
    expect(runScript("notebooks.mjs", [first]).status).toBe(0);
    expect(pngs().every((png) => png === undefined)).toBe(true); // the runner's copy has no fallbacks
    const r = runScript("site.mjs");
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toMatch(/\(1 notebooks executed\)/);
    for (const n of names.slice(1)) expect(r.stdout).toContain(`${n} ... up to date`);
    expect(pngs().every((png) => typeof png === "string" || Array.isArray(png))).toBe(true);
    expect(pngs().length).toBe(figuresIn(first).length);
  }, 10 * 60_000);

  it("stops on a failing notebook with its name, cell and error, and keeps the previous site", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbrl-site-fail-"));
    try {
      mkdirSync(join(dir, "src"));
      writeFileSync(join(dir, "src", "bad.ipynb"), JSON.stringify({
        cells: [{ cell_type: "code", id: "x1", metadata: {}, source: 'throw new Error("no site today")', outputs: [], execution_count: null }],
        metadata: { kernelspec: { name: "tslab", display_name: "TypeScript" } }, nbformat: 4, nbformat_minor: 5,
      }));
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

describe("determinism", () => {
  it("executing every notebook again gives the same outputs (progress timings and fallback images aside)", () => {
    const again = mkdtempSync(join(tmpdir(), "mbrl-again-"));
    try {
      const r = runScript("notebooks.mjs", [], { MBRL_BUILD_DIR: again });
      expect(r.status, r.output).toBe(0);
      const comparable = (nb: Notebook) => outputs(nb).filter((o: NbOutput) => kindOf(o) !== "progress").map(withoutFallback);
      for (const name of names) {
        expect(comparable(readNotebook(join(again, `${name}.ipynb`))), name).toEqual(comparable(executed.get(name)!));
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  }, 30 * 60_000);
});

/** An output as the runner writes it, before the site build adds the figure's PNG. */
function withoutFallback(o: NbOutput): NbOutput {
  if (kindOf(o) !== "figure") return o;
  const { "image/png": _png, ...data } = o.data!;
  return { ...o, data: { ...data, "text/html": text(data["text/html"]).replace(/<img class="mbrl-fallback"[^>]*>/, "") } };
}

const ROOT_DIR = resolve(__dirname, "..", "..");

/** A TCP port on the loopback interface that nothing is listening on. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    }).on("error", fail);
  });
}

/** Poll a URL on this machine until it answers, for at most 30 s. */
async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no answer from ${url} after 30 s`);
}

function unescape(html: string): string {
  return html.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

function runPython(code: string, ...args: string[]) {
  return require("child_process").spawnSync("/usr/bin/python3", ["-c", code, ...args], { encoding: "utf8" }) as { status: number; stderr: string };
}
