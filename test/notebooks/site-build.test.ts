// The site builder's pieces on small hand-made inputs, checked against what a reader must get:
// the index card's summary, the key figure, the search index's sections and links, and the
// stylesheets shared between pages.
import { describe, it, expect, afterAll } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

// The builder is plain ES modules (scripts/site/*.mjs), loaded as the site script loads them.
const load = <T>(module: string): Promise<T> => import(join(__dirname, "..", "..", "scripts", "site", module));
const markdown = (source: string) => ({ cell_type: "markdown", metadata: {}, source });
const code = (source: string, outputs: unknown[] = [], tags?: string[]) => ({
  cell_type: "code",
  metadata: tags ? { tags } : {},
  source,
  outputs,
});
const figure = (title: string) => ({
  output_type: "display_data",
  metadata: { mbrl: { kind: "figure" } },
  data: { "text/plain": `Figure: ${title} (2 traces)`, "text/html": `<div class="mbrl-figure"></div>` } as Record<
    string,
    unknown
  >,
});

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), "mbrl-site-build-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the index card's summary", () => {
  type Pages = { notebookSummary: (nb: unknown) => string };
  const summary = async (first: string) =>
    (await load<Pages>("pages.mjs")).notebookSummary({ cells: [markdown(first)] });

  it("is the first sentence under the title, marks removed, math kept whole", async () => {
    expect(await summary("# T\n\nThe **objective** has `x = 1.5` and $a_t = 0.5$ in it. More follows.")).toBe(
      "The objective has x = 1.5 and $a_t = 0.5$ in it.",
    );
  });

  it("skips a sentence that only recalls another notebook", async () => {
    expect(
      await summary(
        "# 03 · BPTT\n\nNotebook 02 showed that the objective is recursive. This notebook trains a policy through it. We then measure.",
      ),
    ).toBe("This notebook trains a policy through it.");
    expect(await summary("# T\n\nThe previous notebook planned. Here we learn a policy.")).toBe(
      "Here we learn a policy.",
    );
  });

  it("keeps the first sentence when every sentence recalls another notebook, and takes text without a full stop", async () => {
    expect(await summary("# T\n\nNotebook 01 planned. Notebook 02 learned.")).toBe("Notebook 01 planned.");
    expect(await summary("# T\n\nA summary without a full stop")).toBe("A summary without a full stop");
  });
});

describe("the key figure", () => {
  type Index = {
    keyFigure: (nb: unknown) => { title: string; index: number } | undefined;
    fallbackSrc: (html: string, i: number) => string | undefined;
  };

  it("is the first figure of a cell tagged key-figure, else the notebook's first figure", async () => {
    const { keyFigure } = await load<Index>("index-page.mjs");
    const cells = [
      code("a", [figure("First")]),
      code("b", [{ output_type: "stream", name: "stdout", text: "x" }, figure("Tagged")], ["key-figure"]),
    ];
    expect(keyFigure({ cells })).toEqual({ title: "Tagged", index: 1 });
    expect(keyFigure({ cells: cells.slice(0, 1) })).toEqual({ title: "First", index: 0 });
    expect(keyFigure({ cells: [code("c")] })).toBeUndefined();
  });

  it("takes its title from the Plotly JSON when the output has it", async () => {
    const { keyFigure } = await load<Index>("index-page.mjs");
    const out = {
      ...figure("text title"),
      data: {
        "text/plain": "Figure: text title (1 trace)",
        "application/vnd.plotly.v1+json": { data: [], layout: { title: { text: "JSON <b>title</b>" } } },
      },
    };
    expect(keyFigure({ cells: [code("a", [out])] })).toEqual({ title: "JSON title", index: 0 });
  });

  it("finds its image among the page's fallback images, by position", async () => {
    const { fallbackSrc } = await load<Index>("index-page.mjs");
    const img = (src: string) =>
      `<div class="mbrl-figure"><img class="mbrl-fallback" alt="x" src="${src}" loading="lazy" style="max-width:100%"></div>`;
    const sorted = `<div class="mbrl-figure"><img alt="y" class="mbrl-fallback" loading="lazy" src="assets/figures/b.webp"></div>`; // nbconvert 7's attribute order
    const html = `${img("assets/figures/a.webp")}<img src="assets/other.png">${sorted}`;
    expect([fallbackSrc(html, 0), fallbackSrc(html, 1), fallbackSrc(html, 2)]).toEqual([
      "assets/figures/a.webp",
      "assets/figures/b.webp",
      undefined,
    ]);
  });
});

describe("the search index", () => {
  type Search = {
    pageDocuments: (
      e: unknown,
      html: string,
    ) => { href: string; heading: string; text: string; code: string; excerpt: string }[];
  };
  const nb = {
    cells: [
      markdown("# 09 · Title\n\nOpening prose."),
      code("const riccati = 1;"),
      markdown(
        "## First part\n\nAbout **Riccati** equations.\n\n```\n# not a heading\n```\n\n#### A small heading\n\nmore",
      ),
      markdown("### Deeper\n\nDeep text."),
      code("deep();"),
    ],
  };
  const entry = { name: "09_x", title: "09 · Title", nb };

  it("has one document per h1-h3 section, with its prose and code, linked to the heading's id in the page", async () => {
    const { pageDocuments } = await load<Search>("search.mjs");
    const html = `<h1 id="t">x</h1><h2 id="first">x</h2><h4 id="small">x</h4><h3 id="deeper">x</h3>`;
    const docs = pageDocuments(entry, html);
    expect(docs.map((d) => [d.href, d.heading])).toEqual([
      ["09_x.html#t", "09 · Title"],
      ["09_x.html#first", "First part"],
      ["09_x.html#deeper", "Deeper"],
    ]);
    expect(docs[0].code).toBe("const riccati = 1;");
    expect(docs[1].text).toContain("About Riccati equations.");
    expect(docs[1].text).toContain("A small heading");
    expect(docs[1].text).toContain("not a heading"); // a fenced "# line" is text, not a section
    expect(docs[2].code).toBe("deep();");
  });

  it("links sections to the top of the page when the page's headings do not pair with the notebook's", async () => {
    const { pageDocuments } = await load<Search>("search.mjs");
    const docs = pageDocuments(entry, `<h1 id="t">x</h1><h2 id="first">x</h2>`);
    expect(docs.map((d) => d.href)).toEqual(["09_x.html", "09_x.html", "09_x.html"]);
  });
});

describe("stylesheets shared between pages", () => {
  type Shared = { shareStyles: (dir: string, pages: string[]) => number };
  const big = (c: string) => `.${c} { color: red; }\n`.repeat(200);

  it("moves the blocks every page carries into assets/ and leaves the others in place, in the same order", async () => {
    const { shareStyles } = await load<Shared>("shared-css.mjs");
    const dir = scratch();
    mkdirSync(join(dir, "assets"));
    const style = (css: string) => `<style type="text/css">${css}</style>`;
    writeFileSync(
      join(dir, "a.html"),
      `<head>${style(big("lab"))}${style(big("only-a"))}${style("small{}")}${style(big("theme"))}</head>`,
    );
    writeFileSync(join(dir, "b.html"), `<head>${style(big("lab"))}${style("small{}")}${style(big("theme"))}</head>`);
    const moved = shareStyles(dir, ["a.html", "b.html"]);
    expect(moved).toBe(big("lab").length + big("theme").length);
    expect(readdirSync(join(dir, "assets")).sort()).toEqual(["notebook-0.css", "notebook-1.css"]);
    expect(readFileSync(join(dir, "assets", "notebook-0.css"), "utf8")).toBe(big("lab"));
    expect(readFileSync(join(dir, "assets", "notebook-1.css"), "utf8")).toBe(big("theme"));
    const link = (i: number) => `<link rel="stylesheet" href="assets/notebook-${i}.css">`;
    expect(readFileSync(join(dir, "a.html"), "utf8")).toBe(
      `<head>${link(0)}${style(big("only-a"))}${style("small{}")}${link(1)}</head>`,
    );
    expect(readFileSync(join(dir, "b.html"), "utf8")).toBe(`<head>${link(0)}${style("small{}")}${link(1)}</head>`);
  });
});
