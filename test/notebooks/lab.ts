/**
 * A live JupyterLab 4 from the project's .venv, on a free loopback port with a token, and the
 * page-side helpers that drive it through the app instance it exposes (`window.jupyterapp`).
 */
import { spawn, type ChildProcess } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { createServer } from "net";
import { randomBytes } from "crypto";
import { tmpdir } from "os";
import { join } from "path";
import type { Page } from "playwright-core";
import { ROOT } from "./helpers";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A TCP port on the loopback interface that nothing is listening on. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer()
      .listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => done(port));
      })
      .on("error", fail);
  });
}

/** Poll a URL until it answers, for at most `seconds`. */
export async function waitForServer(url: string, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 5; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no answer from ${url} after ${seconds} s`);
}

export interface LabServer {
  base: string;
  token: string;
  /** Shut every kernel down, stop the server (SIGKILL after 10 s), remove its folders. */
  stop(): Promise<void>;
}

/**
 * Start `jupyter lab` from .venv serving `rootDir`. Its config, data, settings and runtime
 * folders are fresh temporary ones: no user settings apply, and no notebook is trusted (the
 * trust database lives in the data folder). The venv's share/jupyter stays on the path, for
 * the tslab kernelspec and plotly's renderer.
 */
export async function startLab(rootDir: string): Promise<LabServer> {
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const base = `http://127.0.0.1:${port}`;
  const home = mkdtempSync(join(tmpdir(), "mbrl-lab-home-"));
  const env = {
    ...process.env,
    PATH: `${join(ROOT, "node_modules", ".bin")}:${join(ROOT, ".venv", "bin")}:${process.env.PATH}`,
    JUPYTER_PATH: join(ROOT, ".venv", "share", "jupyter"),
    JUPYTER_CONFIG_DIR: join(home, "config"),
    JUPYTER_DATA_DIR: join(home, "data"),
    JUPYTER_RUNTIME_DIR: join(home, "runtime"),
    JUPYTERLAB_SETTINGS_DIR: join(home, "settings"),
    JUPYTERLAB_WORKSPACES_DIR: join(home, "workspaces"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  const server: ChildProcess = spawn(
    join(ROOT, ".venv", "bin", "jupyter"),
    [
      "lab",
      "--no-browser",
      "--allow-root",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${rootDir}`,
      "--LabApp.expose_app_in_browser=True",
      "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    ],
    { env, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  server.stderr!.on("data", (d) => (log = (log + d).slice(-20_000)));
  const killNow = () => server.kill("SIGKILL");
  process.once("exit", killNow); // a crashed test run must not leave the server behind
  const stop = async () => {
    process.removeListener("exit", killNow);
    if (server.exitCode === null) {
      try {
        const kernels = (await (await fetch(`${base}/api/kernels?token=${token}`)).json()) as { id: string }[];
        await Promise.all(
          kernels.map((k) => fetch(`${base}/api/kernels/${k.id}?token=${token}`, { method: "DELETE" })),
        );
      } catch {
        // the server is already gone
      }
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      const timer = setTimeout(killNow, 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitForServer(`${base}/api/status?token=${token}`);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; jupyter lab said:\n${log}`);
  }
  return { base, token, stop };
}

/** What one output shows, for comparing runs: text parts and the figure's JSON (not its PNG or ids). */
export interface OutputSummary {
  type: string;
  kind?: string;
  text: string;
  plotly?: string;
}

/** One code cell as the page's notebook model holds it. */
export interface CellSummary {
  index: number;
  /** The execution count shown beside the cell. */
  count: number | null;
  source: string;
  outputs: OutputSummary[];
}

type LabWindow = Window & { jupyterapp: any };

/**
 * Open a notebook in the page (JupyterLab's tree URL) and wait until its kernel is idle. `reset`
 * starts from an empty workspace, so tabs of earlier tests are not restored (and their kernels
 * not restarted); a running kernel of this notebook is reused.
 */
export async function openNotebook(page: Page, lab: LabServer, path: string): Promise<void> {
  await page.goto(`${lab.base}/lab/tree/${path.split("/").map(encodeURIComponent).join("/")}?reset&token=${lab.token}`);
  await page.waitForFunction(
    (p) => {
      const w = (window as unknown as LabWindow).jupyterapp?.shell?.currentWidget;
      return (
        w?.context?.path === p && w.sessionContext?.session?.kernel?.status === "idle" && w.content.widgets.length > 0
      );
    },
    path,
    { timeout: 120_000, polling: 250 },
  );
}

/**
 * Run a notebook command on the open notebook (its promise settles when the cells ran) and wait for
 * the kernel to be idle.
 */
export async function runCommand(page: Page, command: string, cellIndex?: number): Promise<void> {
  await page.evaluate(
    async ({ command, cellIndex }) => {
      const app = (window as unknown as LabWindow).jupyterapp;
      const panel = app.shell.currentWidget;
      if (cellIndex !== undefined) panel.content.activeCellIndex = cellIndex;
      await app.commands.execute(command);
    },
    { command, cellIndex },
  );
  await page.waitForFunction(
    () => {
      const panel = (window as unknown as LabWindow).jupyterapp.shell.currentWidget;
      return panel.sessionContext.session?.kernel?.status === "idle";
    },
    undefined,
    { timeout: 600_000, polling: 250 },
  );
}

/**
 * Restart the open notebook's kernel as the Kernel menu does, without its confirmation dialog.
 * The next notebook command waits for the new kernel itself.
 */
export async function restartKernel(page: Page): Promise<void> {
  await page.evaluate(() =>
    (window as unknown as LabWindow).jupyterapp.shell.currentWidget.sessionContext.restartKernel(),
  );
}

/** Shut the open notebook's kernel down (the server would keep it running). */
export async function shutdownKernel(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as LabWindow).jupyterapp.shell.currentWidget.sessionContext.shutdown());
}

/** Every code cell of the open notebook, with its outputs as the model holds them. */
export function codeCells(page: Page): Promise<CellSummary[]> {
  return page.evaluate((plotlyMime) => {
    const panel = (window as unknown as LabWindow).jupyterapp.shell.currentWidget;
    const join = (s: unknown) => (Array.isArray(s) ? s.join("") : typeof s === "string" ? s : "");
    const cells: CellSummary[] = [];
    panel.content.widgets.forEach((cell: any, index: number) => {
      if (cell.model.type !== "code") return;
      const outputs: OutputSummary[] = [];
      for (let i = 0; i < cell.model.outputs.length; i++) {
        const o = cell.model.outputs.get(i).toJSON();
        const plotly = o.data?.[plotlyMime];
        outputs.push({
          type: o.output_type,
          kind: o.metadata?.mbrl?.kind,
          text:
            o.output_type === "stream"
              ? `${o.name}: ${join(o.text)}`
              : o.output_type === "error"
                ? `${o.ename}: ${o.evalue}`
                : join(o.data?.["text/plain"]),
          plotly: plotly ? JSON.stringify(plotly) : undefined,
        });
      }
      cells.push({ index, count: cell.model.executionCount, source: cell.model.sharedModel.getSource(), outputs });
    });
    return cells;
  }, PLOTLY_MIME);
}

/**
 * Per code cell, how many Plotly plots are drawn (an SVG inside `.js-plotly-plot`), and how many
 * show a static image instead.
 */
export function drawnPlots(page: Page): Promise<{ index: number; drawn: number; images: number }[]> {
  return page.evaluate(() => {
    const panel = (window as unknown as LabWindow).jupyterapp.shell.currentWidget;
    const result: { index: number; drawn: number; images: number }[] = [];
    panel.content.widgets.forEach((cell: any, index: number) => {
      if (cell.model.type !== "code") return;
      const plots = [...cell.node.querySelectorAll(".js-plotly-plot")].filter((p: Element) =>
        p.querySelector(".main-svg"),
      );
      const images = [...cell.node.querySelectorAll("img.plot-img")].filter(
        (img: Element) => (img as HTMLElement).style.display !== "none",
      );
      result.push({ index, drawn: plots.length, images: images.length });
    });
    return result;
  });
}

/** Wait until every cell draws as many plots as it has figure outputs; returns the final counts. */
export async function waitForPlots(page: Page, cells: CellSummary[], timeout = 60_000) {
  const expected = new Map(cells.map((c) => [c.index, c.outputs.filter((o) => o.plotly).length]));
  const deadline = Date.now() + timeout;
  for (;;) {
    const drawn = await drawnPlots(page);
    if (drawn.every((d) => d.drawn >= (expected.get(d.index) ?? 0)) || Date.now() > deadline)
      return { drawn, expected };
    await new Promise((r) => setTimeout(r, 500));
  }
}
