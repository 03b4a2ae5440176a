// The course site as a reader uses it, in headless Chromium from file:// with every other request
// blocked: the contents sidebar and the section in view, search, dark mode (figures included),
// hiding and copying code, keyboard access, axe-core's accessibility checks in light and dark, a
// 390 px phone, and screenshots in build/screenshots/ for a person to look at.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "fs";
import { join } from "path";
import { pathToFileURL } from "url";
import type { Browser, Page } from "playwright-core";
import { launch, openPage } from "./browser";
import {
  BUILD,
  NOTEBOOKS,
  ROOT,
  SITE,
  buildSiteOnce,
  kindOf,
  notebookNames,
  outputs,
  readNotebook,
  text,
} from "./helpers";

const names = notebookNames();
const siteUrl = pathToFileURL(SITE).href + "/";
const pages = ["index.html", ...names.map((n) => `${n}.html`)];
const SCREENSHOTS = join(ROOT, "build", "screenshots");
const PHONE = { width: 390, height: 844 };
const figureCount = (name: string) =>
  outputs(readNotebook(join(BUILD, `${name}.ipynb`))).filter((o) => kindOf(o) === "figure").length;
/** The notebook with figures that comes first: the page the figure checks use. */
const withFigures = () => names.find((n) => figureCount(n) > 0)!;

let browser: Browser;
beforeAll(async () => {
  buildSiteOnce();
  browser = await launch();
}, 30 * 60_000);
afterAll(async () => {
  await browser?.close();
});

/** Open a page of the site offline; fails the test on any error or request outside the site. */
async function open(
  page: string,
  { viewport, colorScheme }: { viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" } = {},
) {
  const report = await openPage(browser, siteUrl + page, siteUrl);
  if (viewport) await report.page.setViewportSize(viewport);
  if (colorScheme) {
    await report.page.emulateMedia({ colorScheme });
    await report.page.reload({ waitUntil: "load" });
  }
  return report;
}
async function figuresDrawn(page: Page, name: string) {
  await page.waitForFunction(
    (n) => document.querySelectorAll(".js-plotly-plot svg.main-svg").length >= n,
    figureCount(name),
    { timeout: 60_000 },
  );
}
async function done(report: Awaited<ReturnType<typeof open>>) {
  expect(report.errors).toEqual([]);
  expect(report.outside).toEqual([]);
  expect(report.missing).toEqual([]);
  await report.page.context().close();
}

describe("navigation", () => {
  it("highlights the section in view as the reader scrolls, and only that one", async () => {
    // The page with the most sections.
    const counts = names.map((n) => (readFileSync(join(SITE, `${n}.html`), "utf8").match(/<h[23] id=/g) ?? []).length);
    const name = names[counts.indexOf(Math.max(...counts))];
    const report = await open(`${name}.html`);
    const { page } = report;
    const ids = await page.$$eval(".jp-RenderedMarkdown h2[id], .jp-RenderedMarkdown h3[id]", (hs) =>
      hs.map((h) => h.id),
    );
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const active = () => page.$$eval(".mbrl-sections a.mbrl-active", (as) => as.map((a) => a.getAttribute("href")));
    expect(await active()).toEqual([`#${ids[0]}`]); // the top of the page
    // Headings that can reach the top of the window (the last ones may not, the page ends first).
    for (const i of [Math.floor(ids.length / 2), 1]) {
      await page.evaluate((id) => document.getElementById(id)!.scrollIntoView({ block: "start" }), ids[i]);
      await page.waitForFunction(
        (href) => document.querySelector(".mbrl-sections a.mbrl-active")?.getAttribute("href") === href,
        `#${ids[i]}`,
        { timeout: 5_000 },
      );
      expect(await active()).toEqual([`#${ids[i]}`]);
    }
    await done(report);
  });

  it("works from the keyboard: a skip link first, and the sidebar's links in order", async () => {
    const report = await open(`${names[0]}.html`);
    const { page } = report;
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("mbrl-skip");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("mbrl-content");
    // Headings carry anchor links that keyboard focus reveals.
    const anchors = await page.$$eval(".jp-RenderedMarkdown h2 a.anchor-link", (as) =>
      as.map((a) => [a.getAttribute("href"), `#${a.parentElement!.id}`]),
    );
    expect(anchors.length).toBeGreaterThan(0);
    for (const [href, id] of anchors) expect(href).toBe(id);
    await page.focus(".jp-RenderedMarkdown h2 a.anchor-link");
    expect(await page.$eval(".jp-RenderedMarkdown h2 a.anchor-link", (a) => getComputedStyle(a).opacity)).toBe("1");
    await done(report);
  });
});

describe("search", () => {
  /** Words as MiniSearch splits them: on spaces and punctuation, lower-cased. */
  const words = (s: string) =>
    new Set(
      s
        .toLowerCase()
        .split(/[\n\r\p{Z}\p{P}$\\^_{}=<>+*|~`]+/u)
        .filter((w) => /^[a-z]{7,}$/.test(w)),
    );
  const vocab = new Map(
    names.map((n) => [
      n,
      words(
        readNotebook(join(NOTEBOOKS, `${n}.ipynb`))
          .cells.map((c) => text(c.source))
          .join("\n"),
      ),
    ]),
  );
  /** A word only this notebook uses (its longest, ties alphabetical), so the best hit must be on its page. */
  const uniqueWord = (name: string) =>
    [...vocab.get(name)!]
      .filter((w) => names.every((m) => m === name || !vocab.get(m)!.has(w)))
      .sort((a, b) => b.length - a.length || a.localeCompare(b))[0];

  async function search(page: Page, query: string) {
    await page.fill("#mbrl-search-input", query);
    await page.waitForSelector(".mbrl-search-results:not([hidden]) .mbrl-search-status", { timeout: 10_000 });
    await page.waitForFunction((q) => document.querySelector(".mbrl-search-status")?.textContent?.includes(q), query);
    return page.$$eval(".mbrl-search-hit", (as) => as.map((a) => a.getAttribute("href")!));
  }

  it("finds “collocation”, which only one notebook uses, on that notebook's page first", async () => {
    const using = names.filter((n) => vocab.get(n)!.has("collocation"));
    expect(using).toHaveLength(1);
    const report = await open("index.html");
    const hits = await search(report.page, "collocation");
    expect(hits[0].split("#")[0]).toBe(`${using[0]}.html`);
    await done(report);
  });

  it("for every notebook, a word only it uses finds its page first; a hit leads to its section", async () => {
    const report = await open("index.html");
    const first: string[] = [];
    for (const name of names) {
      const word = uniqueWord(name);
      expect(word, `no word is unique to ${name}`).toBeDefined();
      const hits = await search(report.page, word);
      expect(hits.length, `searching ${word}`).toBeGreaterThan(0);
      expect(hits[0].split("#")[0], `searching ${word}`).toBe(`${name}.html`);
      first.push(hits[0]);
    }
    // The last search's best hit: following it opens that page at its section's heading.
    const target = first[first.length - 1];
    await report.page.click(".mbrl-search-hit >> nth=0");
    await report.page.waitForURL((u) => u.href.endsWith(target));
    const anchor = target.split("#")[1];
    if (anchor)
      expect(
        await report.page.evaluate(
          (id) => document.getElementById(id) !== null || document.getElementById(decodeURIComponent(id)) !== null,
          anchor,
        ),
      ).toBe(true);
    await done(report);
  }, 120_000);

  it("says so when nothing matches, and Escape closes the results", async () => {
    const report = await open("index.html");
    expect(await search(report.page, "zzqxjv")).toEqual([]);
    await report.page.keyboard.press("Escape");
    expect(await report.page.$eval(".mbrl-search-results", (b) => (b as HTMLElement).hidden)).toBe(true);
    await done(report);
  });
});

describe("dark mode", () => {
  const bg = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const paper = (page: Page) =>
    page.$$eval(".js-plotly-plot", (gds) =>
      gds.map((gd) => (gd as unknown as { _fullLayout: { paper_bgcolor: string } })._fullLayout.paper_bgcolor),
    );

  it("follows the system's colour scheme until the reader chooses", async () => {
    const report = await open("index.html", { colorScheme: "dark" });
    expect(await report.page.getAttribute("html", "data-theme")).toBe("dark");
    expect(await report.page.getAttribute(".mbrl-theme-toggle", "aria-pressed")).toBe("true");
    await done(report);
  });

  it("switches the page and every figure's template, and remembers the choice", async () => {
    const name = withFigures();
    const report = await open(`${name}.html`, { colorScheme: "light" });
    const { page } = report;
    await figuresDrawn(page, name);
    const lightBg = await bg(page);
    expect(await paper(page)).toEqual(new Array(figureCount(name)).fill("#fff"));
    await page.click(".mbrl-theme-toggle");
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".js-plotly-plot")].every(
        (gd) => (gd as unknown as { _fullLayout: { paper_bgcolor: string } })._fullLayout.paper_bgcolor !== "#fff",
      ),
    );
    const darkPaper = await paper(page);
    expect(new Set(darkPaper).size).toBe(1);
    expect(luminance(darkPaper[0])).toBeLessThan(0.1);
    expect(luminance(await bg(page))).toBeLessThan(0.1);
    expect(luminance(lightBg)).toBeGreaterThan(0.9);
    // Plotly's own text (tick labels) turned light too.
    const tick = await page.$eval(".js-plotly-plot .xtick text", (t) => getComputedStyle(t).fill);
    expect(luminance(tick)).toBeGreaterThan(0.5);
    // Code highlighting follows: the editor background is dark.
    const editor = await page.$eval(".jp-InputArea-editor", (e) => getComputedStyle(e).backgroundColor);
    expect(luminance(editor)).toBeLessThan(0.15);
    // Remembered on the next page load, whatever the system says.
    await page.reload({ waitUntil: "load" });
    await figuresDrawn(page, name);
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".js-plotly-plot")].every(
        (gd) => (gd as unknown as { _fullLayout: { paper_bgcolor: string } })._fullLayout.paper_bgcolor !== "#fff",
      ),
    );
    await page.click(".mbrl-theme-toggle");
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".js-plotly-plot")].every(
        (gd) => (gd as unknown as { _fullLayout: { paper_bgcolor: string } })._fullLayout.paper_bgcolor === "#fff",
      ),
    );
    expect(await bg(page)).toBe(lightBg);
    await done(report);
  }, 120_000);
});

describe("reading the argument", () => {
  it("hides every code cell at once and one at a time, and shows their outputs still", async () => {
    const name = withFigures();
    const report = await open(`${name}.html`);
    const { page } = report;
    const visibleInputs = () =>
      page.$$eval(
        ".jp-CodeCell .jp-InputArea",
        (els) => els.filter((e) => (e as HTMLElement).checkVisibility()).length,
      );
    const cells = await page.locator(".jp-CodeCell").count();
    expect(cells).toBeGreaterThan(0);
    expect(await visibleInputs()).toBe(cells);
    expect(await page.locator(".jp-CodeCell .mbrl-cell-copy").count()).toBe(cells);
    await page.click(".mbrl-code-toggle");
    expect(await visibleInputs()).toBe(0);
    expect(await page.getAttribute(".mbrl-code-toggle", "aria-pressed")).toBe("true");
    const outputs = await page.$$eval(
      ".jp-OutputArea-output",
      (els) => els.filter((e) => (e as HTMLElement).checkVisibility()).length,
    );
    expect(outputs).toBeGreaterThan(0);
    // One cell back, then all back.
    await page.click(".jp-CodeCell >> nth=0 >> .mbrl-cell-hide");
    expect(await visibleInputs()).toBe(1);
    await page.click(".mbrl-code-toggle");
    expect(await visibleInputs()).toBe(cells);
    await page.click(".jp-CodeCell >> nth=1 >> .mbrl-cell-hide");
    expect(await visibleInputs()).toBe(cells - 1);
    await done(report);
  });

  it("copies a code cell's source", async () => {
    const name = names[0];
    const report = await open(`${name}.html`);
    const { page } = report;
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.click(".jp-CodeCell >> nth=0 >> .mbrl-cell-copy");
    await page.waitForFunction(() => document.querySelector(".mbrl-cell-copy")?.textContent === "Copied");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const first = readNotebook(join(NOTEBOOKS, `${name}.ipynb`)).cells.find((c) => c.cell_type === "code")!;
    expect(copied.trim()).toBe(text(first.source).trim());
    await done(report);
  });
});

describe("the index", () => {
  it("shows each notebook's own summary, and its key figure as a thumbnail with a line on what it shows", async () => {
    const report = await open("index.html");
    const cards = await report.page.$$eval(".mbrl-card", (cs) =>
      cs.map((c) => ({
        summary: c.querySelector("h2 + p")!.textContent!,
        thumb: (c.querySelector("img.mbrl-thumb") as HTMLImageElement | null)?.naturalWidth ?? 0,
        alt: c.querySelector("img.mbrl-thumb")?.getAttribute("alt") ?? "",
        sees: c.querySelector(".mbrl-sees")?.textContent ?? "",
      })),
    );
    expect(cards).toHaveLength(names.length);
    cards.forEach((c, i) => {
      expect(c.summary, names[i]).not.toMatch(/\bnotebooks? \d+/i); // its own summary, not a bridge to another notebook
      if (figureCount(names[i]) > 0) {
        expect(c.thumb, names[i]).toBeGreaterThan(100);
        expect(c.alt).toMatch(/^Key figure: \S/);
        expect(c.sees).toMatch(/^You will see: \S/);
      }
    });
    await done(report);
  });
});

/** Bytes of the files under `path`, recursively. */
function bytesUnder(path: string): number {
  if (!statSync(path).isDirectory()) return statSync(path).size;
  return readdirSync(path).reduce((n, f) => n + bytesUnder(join(path, f)), 0);
}

describe("size", () => {
  it("is under 15 MB, executed notebooks included", () => {
    const parts = readdirSync(SITE).map((f) => ({ part: f, bytes: bytesUnder(join(SITE, f)) }));
    const assets = readdirSync(join(SITE, "assets")).map((f) => ({
      part: `assets/${f}`,
      bytes: bytesUnder(join(SITE, "assets", f)),
    }));
    const total = parts.reduce((n, p) => n + p.bytes, 0);
    const mb = (b: number) => (b / 1e6).toFixed(2);
    console.log(
      `site: ${mb(total)} MB\n${[...parts, ...assets]
        .sort((a, b) => b.bytes - a.bytes)
        .map((p) => `  ${mb(p.bytes)} MB ${p.part}`)
        .join("\n")}`,
    );
    expect(parts.map((p) => p.part)).toContain("executed");
    expect(bytesUnder(join(SITE, "executed"))).toBeGreaterThan(0);
    expect(total).toBeLessThan(15e6);
  });
});

/**
 * Every page, loaded once and checked in turn: the sidebar, its figures' text alternatives, axe-core in
 * light mode and (after the toggle) in dark mode, then the same page narrowed to a phone.
 */
const AXE = require.resolve("axe-core/axe.min.js");
const axeResults: string[] = [];
afterAll(() => {
  console.log(`axe-core (serious and critical violations must be 0):\n${axeResults.join("\n")}`);
});

describe.each(pages)("%s", (name) => {
  const notebook = name === "index.html" ? undefined : name.replace(/\.html$/, "");
  let report: Awaited<ReturnType<typeof open>>;
  let page: Page;
  beforeAll(async () => {
    report = await open(name, { colorScheme: "light" });
    page = report.page;
    if (notebook) await figuresDrawn(page, notebook);
  }, 120_000);
  afterAll(async () => {
    if (report) await done(report);
  });

  it("has the sidebar with the overview and every notebook, this page marked, and its sections", async () => {
    const links = await page.$$eval(".mbrl-sidebar .mbrl-pages > li > a", (as) =>
      as.map((a) => ({ href: a.getAttribute("href"), current: a.getAttribute("aria-current") })),
    );
    expect(links.map((l) => l.href)).toEqual(pages);
    expect(links.filter((l) => l.current === "page").map((l) => l.href)).toEqual([name]);
    if (!notebook) return;
    const ids = await page.$$eval(".jp-RenderedMarkdown h2[id], .jp-RenderedMarkdown h3[id]", (hs) =>
      hs.map((h) => `#${h.id}`),
    );
    expect(ids.length).toBeGreaterThan(0);
    expect(await page.$$eval(".mbrl-current .mbrl-sections a", (as) => as.map((a) => a.getAttribute("href")))).toEqual(
      ids,
    );
    // Previous/next at the bottom as well as the top.
    const top = await page.$$eval(".mbrl-nav-top a", (as) => as.map((a) => a.getAttribute("href")));
    expect(await page.$$eval(".mbrl-nav-bottom a", (as) => as.map((a) => a.getAttribute("href")))).toEqual(top);
  });

  it("names what every figure shows (title and axes)", async () => {
    expect(await page.locator(".mbrl-figure").count()).toBe(notebook ? figureCount(notebook) : 0);
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".js-plotly-plot")].every(
        (gd) => gd.getAttribute("role") === "figure" && gd.hasAttribute("aria-label"),
      ),
    );
    const figures = await page.$$eval(".js-plotly-plot", (gds) =>
      gds.map((gd) => {
        const layout = (
          gd as unknown as {
            layout: Record<string, { title?: { text?: string } | string } | undefined> & { title?: unknown };
          }
        ).layout;
        const title = (t: unknown) => (typeof t === "string" ? t : ((t as { text?: string } | undefined)?.text ?? ""));
        return {
          label: gd.getAttribute("aria-label")!,
          title: title(layout.title),
          x: title(layout.xaxis?.title),
          y: title(layout.yaxis?.title),
        };
      }),
    );
    const plain = (s: string) =>
      s
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
        .trim();
    for (const f of figures) {
      expect(f.label).toMatch(/^Figure: /);
      for (const part of [f.title, f.x, f.y].filter(Boolean)) expect(f.label).toContain(plain(part));
    }
  });

  it.each(["light", "dark"])(
    "passes axe-core in %s mode: no serious or critical violation",
    async (theme) => {
      if ((await page.getAttribute("html", "data-theme")) !== theme) await page.click(".mbrl-theme-toggle");
      expect(await page.getAttribute("html", "data-theme")).toBe(theme);
      if (theme === "dark")
        await page.waitForFunction(() =>
          [...document.querySelectorAll(".js-plotly-plot")].every(
            (gd) => (gd as unknown as { _fullLayout: { paper_bgcolor: string } })._fullLayout.paper_bgcolor !== "#fff",
          ),
        );
      if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
      type Violation = { id: string; impact: string; nodes: { target: string[] }[] };
      const violations: Violation[] = await page.evaluate(async () => {
        const axe = (
          window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: unknown[] }> } }
        ).axe;
        return (await axe.run(document, { resultTypes: ["violations"], preload: false })).violations as never;
      });
      const listed = (impact: string) =>
        violations
          .filter((v) => v.impact === impact)
          .map(
            (v) =>
              `${v.id} (${v.nodes.length}: ${v.nodes
                .slice(0, 2)
                .map((n) => n.target.join(" "))
                .join(", ")})`,
          );
      axeResults.push(
        `  ${name} ${theme}: ${["critical", "serious", "moderate", "minor"].map((i) => `${i} ${violations.filter((v) => v.impact === i).length}`).join(", ")}${violations.length ? ` [${violations.map((v) => v.id).join(", ")}]` : ""}`,
      );
      expect([...listed("critical"), ...listed("serious")]).toEqual([]);
    },
    120_000,
  );

  it("at 390 px: no horizontal scrolling, figures shrink to fit, the sidebar opens from its button", async () => {
    await page.setViewportSize(PHONE);
    // Figures follow the new width (after a short debounce): their drawings, not just their boxes.
    await page
      .waitForFunction(
        (w) =>
          [...document.querySelectorAll(".js-plotly-plot .main-svg")].every(
            (s) => s.getBoundingClientRect().right <= w,
          ),
        PHONE.width,
        { timeout: 10_000 },
      )
      .catch(() => undefined);
    expect(
      await page.$$eval(".js-plotly-plot .main-svg", (svgs) =>
        Math.max(0, ...svgs.map((s) => s.getBoundingClientRect().right)),
      ),
    ).toBeLessThanOrEqual(PHONE.width);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await page.isVisible(".mbrl-sidebar")).toBe(false);
    await page.click(".mbrl-menu");
    await page.waitForFunction(() => {
      const r = document.querySelector(".mbrl-sidebar")!.getBoundingClientRect();
      return r.left >= 0 && r.right > 100;
    });
    expect(await page.getAttribute(".mbrl-menu", "aria-expanded")).toBe("true");
    expect(await page.evaluate(() => document.activeElement?.closest(".mbrl-sidebar") !== null)).toBe(true);
    await page.keyboard.press("Escape");
    expect(await page.getAttribute(".mbrl-menu", "aria-expanded")).toBe("false");
    expect(await page.isVisible(".mbrl-sidebar")).toBe(false);
  });
});

describe("screenshots", () => {
  it("of the index and a page, light and dark, desktop and phone, in build/screenshots/", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const name = withFigures();
    const shots: string[] = [];
    for (const [label, page] of [
      ["index", "index.html"],
      ["page", `${name}.html`],
    ]) {
      for (const [device, viewport] of [
        ["desktop", { width: 1280, height: 900 }],
        ["phone", PHONE],
      ] as const) {
        const report = await open(page, { viewport, colorScheme: "light" });
        if (label === "page") {
          await figuresDrawn(report.page, name);
          // A view with a figure in it, below the page's opening.
          await report.page.evaluate(() =>
            document.querySelector(".js-plotly-plot")!.closest(".jp-Cell")!.scrollIntoView({ block: "start" }),
          );
        }
        for (const theme of ["light", "dark"]) {
          if (theme === "dark") {
            await report.page.click(".mbrl-theme-toggle");
            await report.page.waitForFunction(() =>
              [...document.querySelectorAll(".js-plotly-plot")].every(
                (gd) =>
                  (gd as unknown as { _fullLayout: { paper_bgcolor: string } })._fullLayout.paper_bgcolor !== "#fff",
              ),
            );
          }
          await report.page.waitForTimeout(300);
          const file = join(SCREENSHOTS, `${label}-${theme}-${device}.png`);
          await report.page.screenshot({ path: file });
          shots.push(file);
        }
        await done(report);
      }
    }
    for (const file of shots) {
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).size).toBeGreaterThan(10_000);
    }
  }, 300_000);
});

/** Relative luminance (0 black .. 1 white) of a CSS colour: rgb(...), rgba(...) or #rrggbb / #rgb. */
function luminance(css: string): number {
  let rgb: number[];
  const m = css.match(/rgba?\(([^)]+)\)/);
  if (m) rgb = m[1].split(",").slice(0, 3).map(Number);
  else {
    const hex = css.replace("#", "");
    const full =
      hex.length === 3
        ? hex
            .split("")
            .map((c) => c + c)
            .join("")
        : hex;
    rgb = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
  }
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
