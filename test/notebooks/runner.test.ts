// The notebook runner's contract: clear errors, and a failed run never replaces a good copy.
import { describe, it, expect } from "vitest";
import { execFile, spawn } from "child_process";
import { once } from "events";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { promisify } from "util";
import { VENV_BIN } from "../../scripts/lib.mjs";
import { ROOT, notebookNames, readNotebook, runScript } from "./helpers";

function notebook(cells: string[]) {
  return JSON.stringify({
    cells: cells.map((source, i) => ({
      cell_type: "code",
      id: `c${i}`,
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

describe("npm run notebooks", () => {
  it("names the available notebooks when asked for an unknown one", () => {
    const r = runScript("notebooks.mjs", ["no_such_notebook"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no notebook is called "no_such_notebook"');
    for (const n of notebookNames()) expect(r.stderr).toContain(n);
  });

  it("points to npm run setup when Jupyter is missing", () => {
    const r = runScript("notebooks.mjs", [], { MBRL_PYTHON: "/nonexistent/python3" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Jupyter .* was not found\. Run `npm run setup` first/);
  });

  it("rejects unknown options", () => {
    const r = runScript("notebooks.mjs", ["--fast"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unknown option --fast");
  });

  it("names the notebook, the cell and the error, and keeps the previous good copy", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbrl-runner-"));
    const src = join(dir, "src"),
      out = join(dir, "out");
    mkdirSync(src);
    mkdirSync(out);
    try {
      writeFileSync(join(src, "broken.ipynb"), notebook(["const a = 1;", 'throw new Error("boom at " + (a + 1));']));
      writeFileSync(join(src, "fine.ipynb"), notebook(["console.log(6 * 7);"]));
      writeFileSync(join(out, "broken.ipynb"), "previous good copy");
      const env = { MBRL_NOTEBOOKS_DIR: src, MBRL_BUILD_DIR: out };

      const fine = runScript("notebooks.mjs", ["fine"], env);
      expect(fine.status, fine.output).toBe(0);
      expect(readFileSync(join(out, "fine.ipynb"), "utf8")).toContain('"42\\n"');

      const r = runScript("notebooks.mjs", ["broken"], env);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/notebook broken failed .*FAILED cell 1 \(id c1\): Error: boom at 2/);
      expect(readFileSync(join(out, "broken.ipynb"), "utf8")).toBe("previous good copy");
      expect(readdirSync(out).sort()).toEqual(["broken.ipynb", "broken.partial.ipynb", "fine.ipynb"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("starts one kernel at a time: a run waits while another process holds the kernel-start lock", async () => {
    // Two kernels started at once can be given the same port (scripts/kernel_start.py). Hold the
    // lock from another process for a few seconds and check the notebook's cell ran after it.
    const dir = mkdtempSync(join(tmpdir(), "mbrl-runner-"));
    const holder = spawn(join(VENV_BIN, "python"), [
      "-c",
      [
        "import fcntl, sys, time",
        `sys.path.insert(0, ${JSON.stringify(join(ROOT, "scripts"))})`,
        "from kernel_start import LOCK_FILE",
        "f = open(LOCK_FILE, 'a'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True)",
        "time.sleep(6); print('released', time.time(), flush=True)",
      ].join("\n"),
    ]);
    try {
      writeFileSync(join(dir, "fine.ipynb"), notebook(["console.log(6 * 7);"]));
      let said = "";
      holder.stdout.on("data", (d) => (said += d));
      while (!said.includes("held")) await once(holder.stdout, "data");
      const run = promisify(execFile)(
        join(VENV_BIN, "python"),
        [join(ROOT, "scripts", "execute_notebook.py"), join(dir, "fine.ipynb"), join(dir, "out.ipynb")],
        { cwd: ROOT },
      );
      await once(holder, "exit");
      const released = Number(said.match(/released ([\d.]+)/)![1]);
      await run;
      const timing = readNotebook(join(dir, "out.ipynb")).cells[0].metadata.execution as Record<string, string>;
      expect(Date.parse(timing["iopub.status.busy"]) / 1000).toBeGreaterThan(released);
    } finally {
      holder.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
