import { spawnSync } from "child_process";
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { VENV_BIN, jupyterEnv } from "../../scripts/lib.mjs";
import { BUILD, NOTEBOOKS, ROOT, notebookNames } from "./helpers";

// Readers re-run cells. Running every code cell of a notebook a second time in the same kernel
// must work, and leave as many live tensors as the first pass did: each cell disposes what it
// replaces, and what lives to the end of a notebook is disposed by its closing cell.
const MINUTES = 60_000;

/** Run a notebook's cells twice in one kernel (rerun_cells.py): the tensor counts and seconds of both passes. */
function rerun(path: string) {
  const r = spawnSync(join(VENV_BIN, "python"), [join(__dirname, "rerun_cells.py"), path], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 20 * MINUTES,
    env: { ...process.env, ...jupyterEnv() },
  });
  const tensors = r.stdout.match(/^TENSORS (\d+) (\d+)$/m);
  const seconds = r.stdout.match(/^SECONDS ([\d.]+) ([\d.]+)$/m);
  expect(tensors, `${path}: ${r.stdout}${r.stderr}`).not.toBeNull();
  return { first: Number(tensors![1]), second: Number(tensors![2]), seconds: seconds?.slice(1).map(Number) };
}

describe("re-executing a notebook's cells in the same kernel", () => {
  for (const name of notebookNames()) {
    it(
      `${name}: runs again and leaves the tensor count where the first pass left it`,
      () => {
        const { first, second, seconds } = rerun(join(NOTEBOOKS, `${name}.ipynb`));
        console.log(`${name}: ${first} tensors after one pass, ${second} after two; passes took ${seconds} s`);
        expect(second, `${name}: ${first} tensors after one pass, ${second} after two`).toBe(first);
      },
      20 * MINUTES,
    );
  }

  it(
    "survives a cell that sends more outputs at once than zeromq hands over synchronously (512)",
    () => {
      // Before the library made tslab's output socket send at once, the kernel died at the 513th
      // message of a session that fell inside a synchronous burst ("Socket is busy writing").
      const folder = join(BUILD, "..", "leaks");
      mkdirSync(folder, { recursive: true });
      const path = join(folder, "burst.ipynb");
      const source = 'import * as mbrl from "../../dist";\nfor (let i = 0; i < 700; i++) mbrl.showTable([{ i }]);';
      const cell = { cell_type: "code", id: "burst", metadata: {}, execution_count: null, outputs: [], source };
      const kernelspec = { name: "tslab", display_name: "TypeScript", language: "typescript" };
      writeFileSync(path, JSON.stringify({ cells: [cell], metadata: { kernelspec }, nbformat: 4, nbformat_minor: 5 }));
      const { first, second } = rerun(path); // 1400 outputs and more in one session
      expect(second).toBe(first);
    },
    5 * MINUTES,
  );
});
