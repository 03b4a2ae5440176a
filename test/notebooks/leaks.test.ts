import { execFile } from "child_process";
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { promisify } from "util";
import { beforeAll, describe, expect, it } from "vitest";
import { VENV_BIN, jupyterEnv } from "../../scripts/lib.mjs";
import { DEFAULT_JOBS, inParallel } from "../../scripts/notebooks.mjs";
import { BUILD, NOTEBOOKS, ROOT, notebookNames } from "./helpers";

// Readers re-run cells. Running every code cell of a notebook a second time in the same kernel
// must work, and leave as many live tensors as the first pass did: each cell disposes what it
// replaces, and what lives to the end of a notebook is disposed by its closing cell.
const MINUTES = 60_000;

/** Run a notebook's cells twice in one kernel (rerun_cells.py): the tensor counts and seconds of both passes. */
async function rerun(path: string) {
  const r = await promisify(execFile)(join(VENV_BIN, "python"), [join(__dirname, "rerun_cells.py"), path], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 20 * MINUTES,
    env: { ...process.env, ...jupyterEnv(DEFAULT_JOBS) },
  }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? "", stderr: e.stderr ?? String(e) }));
  const tensors = r.stdout.match(/^TENSORS (\d+) (\d+)$/m);
  const seconds = r.stdout.match(/^SECONDS ([\d.]+) ([\d.]+)$/m);
  expect(tensors, `${path}: ${r.stdout}${r.stderr}`).not.toBeNull();
  return { first: Number(tensors![1]), second: Number(tensors![2]), seconds: seconds?.slice(1).map(Number) };
}

describe("re-executing a notebook's cells in the same kernel", () => {
  // The notebooks in separate kernels, as many at once as `npm run notebooks` runs; each test reads its own.
  const reruns = new Map<string, ReturnType<typeof rerun>>();
  beforeAll(async () => {
    await inParallel(notebookNames(), DEFAULT_JOBS, async (name: string) => {
      const run = rerun(join(NOTEBOOKS, `${name}.ipynb`));
      reruns.set(name, run);
      await run.catch(() => undefined); // a failure is reported by that notebook's test
    });
  }, 40 * MINUTES);

  for (const name of notebookNames()) {
    it(
      `${name}: runs again and leaves the tensor count where the first pass left it`,
      async () => {
        const { first, second, seconds } = await reruns.get(name)!;
        console.log(`${name}: ${first} tensors after one pass, ${second} after two; passes took ${seconds} s`);
        expect(second, `${name}: ${first} tensors after one pass, ${second} after two`).toBe(first);
      },
      20 * MINUTES,
    );
  }

  it(
    "survives a cell that sends more outputs at once than zeromq hands over synchronously (512)",
    async () => {
      // Before the library made tslab's output socket send at once, the kernel died at the 513th
      // message of a session that fell inside a synchronous burst ("Socket is busy writing").
      const folder = join(BUILD, "..", "leaks");
      mkdirSync(folder, { recursive: true });
      const path = join(folder, "burst.ipynb");
      const source = 'import * as mbrl from "../../dist";\nfor (let i = 0; i < 700; i++) mbrl.showTable([{ i }]);';
      const cell = { cell_type: "code", id: "burst", metadata: {}, execution_count: null, outputs: [], source };
      const kernelspec = { name: "tslab", display_name: "TypeScript", language: "typescript" };
      writeFileSync(path, JSON.stringify({ cells: [cell], metadata: { kernelspec }, nbformat: 4, nbformat_minor: 5 }));
      const { first, second } = await rerun(path); // 1400 outputs and more in one session
      expect(second).toBe(first);
    },
    5 * MINUTES,
  );
});
