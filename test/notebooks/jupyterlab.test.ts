// What students do, in a live JupyterLab 4 from .venv driven in headless Chromium: run every
// notebook, re-run single cells, reload the page with the kernel still running, restart the
// kernel, open an executed copy untrusted; every figure must draw each time, and the page may
// not fetch anything from outside this machine. Each notebook runs in full twice (first run,
// after a restart); the reported reload sequence runs the quickest notebook with figures again.
// Notebooks are copied to a scratch folder beside the sources (they import ../dist), so
// JupyterLab's autosave never writes into notebooks/.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import type { Browser, Page } from "playwright-core";
import { launch } from "./browser";
import { BUILD, NOTEBOOKS, ROOT, buildSiteOnce, notebookNames } from "./helpers";
import {
  PLOTLY_MIME,
  codeCells,
  drawnPlots,
  openNotebook,
  restartKernel,
  runCommand,
  shutdownKernel,
  startLab,
  waitForPlots,
  type CellSummary,
  type LabServer,
} from "./lab";

const names = notebookNames();
let lab: LabServer;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  buildSiteOnce(); // the executed copies opened untrusted below
  dir = mkdtempSync(join(ROOT, ".lab-test-"));
  mkdirSync(join(dir, "executed"));
  for (const n of names) {
    copyFileSync(join(NOTEBOOKS, `${n}.ipynb`), join(dir, `${n}.ipynb`));
    copyFileSync(join(BUILD, `${n}.ipynb`), join(dir, "executed", `${n}.ipynb`));
  }
  lab = await startLab(dir);
  browser = await launch();
}, 30 * 60_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface LabPage {
  page: Page;
  /** Requests for anything but the JupyterLab server on loopback; all were blocked. */
  outside: string[];
  /** Uncaught exceptions in the page. */
  errors: string[];
}

async function newPage(): Promise<LabPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const report: LabPage = { page, outside: [], errors: [] };
  page.on("pageerror", (e) => report.errors.push(String(e)));
  await page.route(/.*/, (route) => {
    const u = route.request().url();
    if (u.startsWith(`${lab.base}/`) || u.startsWith("data:") || u.startsWith("blob:")) return route.continue();
    report.outside.push(u);
    return route.abort("blockedbyclient");
  });
  return report;
}

const figureCount = (cells: CellSummary[]) => cells.reduce((n, c) => n + c.outputs.filter((o) => o.plotly).length, 0);
/** Outputs to compare between runs: progress bars show elapsed time, so only their kind counts. */
const comparable = (cells: CellSummary[]) =>
  cells.map((c) => c.outputs.map((o) => (o.kind === "progress" ? { ...o, text: "(progress)" } : o)));
const counts = (cells: CellSummary[]) => cells.map((c) => c.count);
const problems = (cells: CellSummary[]) =>
  cells.flatMap((c) =>
    c.outputs
      .filter((o) => o.type === "error" || o.text.startsWith("stderr:"))
      .map((o) => `cell ${c.index}: ${o.text}`),
  );

/** Each of these cells draws exactly as many plots as it has figure outputs, and none shows a static image instead. */
async function expectAllDrawn(page: Page, cells: CellSummary[]) {
  const { drawn, expected } = await waitForPlots(page, cells);
  const mine = drawn.filter((d) => expected.has(d.index));
  expect(mine.map((d) => ({ cell: d.index, drawn: d.drawn, images: d.images }))).toEqual(
    mine.map((d) => ({ cell: d.index, drawn: expected.get(d.index), images: 0 })),
  );
}

/** Tables (claims included) and progress bars are HTML in the page, one per output of that kind. */
async function expectTablesAndProgress(page: Page, cells: CellSummary[]) {
  const kinds = cells.flatMap((c) => c.outputs.map((o) => o.kind));
  const counts = await page.evaluate(() => ({
    tables: document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) table.mbrl-table").length,
    progress: document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .mbrl-progress").length,
  }));
  expect(counts).toEqual({
    tables: kinds.filter((k) => k === "table" || k === "claims").length, // a claims output is a table too
    progress: kinds.filter((k) => k === "progress").length,
  });
}

describe.each(names)("%s in JupyterLab", (name) => {
  it(
    "runs all with every figure drawn; re-running single cells (also after a page reload) and restarting the kernel repeat the outputs",
    async () => {
      const { page, outside, errors } = await newPage();
      await openNotebook(page, lab, `${name}.ipynb`);
      await runCommand(page, "notebook:run-all-cells");
      const first = await codeCells(page);
      expect(problems(first)).toEqual([]);
      await expectAllDrawn(page, first);
      await expectTablesAndProgress(page, first);

      // Re-execute the last figure cell and a code cell in the middle, in the same kernel: the
      // figure draws again and the outputs repeat (each cell seeds its own randomness).
      const figureCell = [...first].reverse().find((c) => c.outputs.some((o) => o.plotly));
      const withOutput = first.filter((c) => c.outputs.length > 0 && c !== figureCell);
      const middle = withOutput[Math.floor(withOutput.length / 2)];
      for (const cell of [figureCell, middle].filter((c): c is CellSummary => c !== undefined)) {
        await runCommand(page, "notebook:run-cell", cell.index);
        const again = (await codeCells(page)).find((c) => c.index === cell.index)!;
        expect(comparable([again]), `re-running cell ${cell.index}`).toEqual(comparable([cell]));
      }
      await expectAllDrawn(page, await codeCells(page));

      // Reload the page while the kernel keeps running (what closing and reopening a tab does):
      // a figure cell run again must draw in a page that never saw an earlier figure. (The other
      // figures now show the PNGs that plotly's renderer added to the outputs and autosave stored.)
      const before = await kernelId(page);
      await page.reload();
      await openNotebook(page, lab, `${name}.ipynb`);
      expect(await kernelId(page)).toBe(before);
      if (figureCell) {
        await runCommand(page, "notebook:run-cell", figureCell.index);
        const again = (await codeCells(page)).filter((c) => c.index === figureCell.index);
        expect(comparable(again)).toEqual(comparable([figureCell]));
        await expectAllDrawn(page, again);
      }

      // Restart the kernel and run all: same outputs, so no cell trips over a `const` declared by an earlier run.
      await restartKernel(page);
      await runCommand(page, "notebook:run-all-cells");
      const restarted = await codeCells(page);
      expect(counts(restarted)).toEqual(restarted.map((_, i) => i + 1)); // a fresh kernel counts from 1
      expect(problems(restarted)).toEqual([]);
      expect(comparable(restarted)).toEqual(comparable(first));
      await expectAllDrawn(page, restarted);

      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
      await shutdownKernel(page);
      await page.context().close();
    },
    60 * 60_000,
  );
});

const kernelId = (page: Page) =>
  page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.id);

it(
  "the reported sequence: run all, reload the page with the kernel still running, run all again: every figure draws",
  async () => {
    const cellsOf = (n: string) =>
      JSON.parse(readFileSync(join(BUILD, `${n}.ipynb`), "utf8")).cells as {
        cell_type: string;
        outputs?: { data?: Record<string, unknown> }[];
      }[];
    const withFigures = names.filter((n) =>
      cellsOf(n).some((c) => (c.outputs ?? []).some((o) => o.data?.[PLOTLY_MIME])),
    );
    expect(withFigures.length).toBeGreaterThan(0);
    // The notebook with figures that runs fastest: the one with the fewest code cells.
    const codeCount = (n: string) => cellsOf(n).filter((c) => c.cell_type === "code").length;
    const name = [...withFigures].sort((a, b) => codeCount(a) - codeCount(b))[0];
    const { page, outside } = await newPage();
    await openNotebook(page, lab, `${name}.ipynb`);
    await runCommand(page, "notebook:run-all-cells");
    const kernel = await kernelId(page);
    await page.reload();
    await openNotebook(page, lab, `${name}.ipynb`);
    expect(await kernelId(page)).toBe(kernel);
    await runCommand(page, "notebook:run-all-cells");
    const cells = await codeCells(page);
    expect(problems(cells)).toEqual([]);
    expect(figureCount(cells)).toBeGreaterThan(0);
    await expectAllDrawn(page, cells);
    expect(outside).toEqual([]);
    await shutdownKernel(page);
    await page.context().close();
  },
  30 * 60_000,
);

describe("executed copies and figure bundles, opened untrusted", () => {
  it.each(names)(
    "executed/%s draws every figure with plotly's renderer although nobody trusted it",
    async (name) => {
      const { page, outside } = await newPage();
      await openNotebook(page, lab, `executed/${name}.ipynb`);
      const trusted = await page.evaluate(() =>
        (window as any).jupyterapp.shell.currentWidget.content.widgets
          .filter((c: any) => c.model.type === "code")
          .map((c: any) => c.model.trusted),
      );
      expect(trusted.every((t: boolean) => t === false)).toBe(true);
      const cells = await codeCells(page);
      expect(figureCount(cells)).toBe(
        JSON.parse(readFileSync(join(BUILD, `${name}.ipynb`), "utf8"))
          .cells.flatMap((c: { outputs?: { data?: Record<string, unknown> }[] }) => c.outputs ?? [])
          .filter((o: { data?: Record<string, unknown> }) => o.data?.[PLOTLY_MIME]).length,
      );
      await expectAllDrawn(page, cells);
      expect(outside).toEqual([]);
      await shutdownKernel(page);
      await page.context().close();
    },
    5 * 60_000,
  );

  it(
    "shows a static picture instead of the chart when the bundle also holds a PNG (why ours carries none)",
    async () => {
      const source = names
        .map((n) => JSON.parse(readFileSync(join(BUILD, `${n}.ipynb`), "utf8")))
        .flatMap((nb) => nb.cells)
        .find((c: { outputs?: { data?: Record<string, unknown> }[] }) =>
          (c.outputs ?? []).some((o) => o.data?.[PLOTLY_MIME]),
        );
      expect(source, "some notebook shows a figure").toBeDefined();
      const figure = source.outputs.find((o: { data?: Record<string, unknown> }) => o.data?.[PLOTLY_MIME]);
      const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="; // 1x1 pixel
      const cell = (id: string, output: unknown) => ({
        cell_type: "code",
        id,
        metadata: {},
        source: "// a figure",
        execution_count: 1,
        outputs: [output],
      });
      writeFileSync(
        join(dir, "png-in-bundle.ipynb"),
        JSON.stringify({
          cells: [cell("plain", figure), cell("withpng", { ...figure, data: { ...figure.data, "image/png": png } })],
          metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" } },
          nbformat: 4,
          nbformat_minor: 5,
        }),
      );
      const { page } = await newPage();
      await openNotebook(page, lab, "png-in-bundle.ipynb");
      await waitForPlots(page, await codeCells(page), 20_000);
      expect(await drawnPlots(page)).toEqual([
        { index: 0, drawn: 1, images: 0 },
        { index: 1, drawn: 0, images: 1 },
      ]);
      await shutdownKernel(page);
      await page.context().close();
    },
    5 * 60_000,
  );
});
