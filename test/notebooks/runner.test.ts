// The notebook runner's contract: clear errors, and a failed run never replaces a good copy.
import { describe, it, expect } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { notebookNames, runScript } from "./helpers";

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
});
