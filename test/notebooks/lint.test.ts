// Source notebooks: valid nbformat 4.5 with cell ids, the tslab kernel, and no stored outputs.
import { describe, it, expect } from "vitest";
import { spawnSync } from "child_process";
import { join } from "path";
import { NOTEBOOKS, notebookNames, readNotebook, text } from "./helpers";

const names = notebookNames();

describe.each(names)("notebooks/%s.ipynb", (name) => {
  const path = join(NOTEBOOKS, `${name}.ipynb`);
  const nb = readNotebook(path);

  it("validates against the nbformat schema (Jupyter's own validator)", () => {
    const r = spawnSync("/usr/bin/python3", ["-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("is nbformat 4.5 with unique cell ids and the tslab kernelspec", () => {
    expect([nb.nbformat, nb.nbformat_minor]).toEqual([4, 5]);
    const ids = nb.cells.map((c) => c.id);
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(nb.metadata.kernelspec?.name).toBe("tslab");
  });

  it("is stored without outputs", () => {
    for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
      expect(cell.outputs).toEqual([]);
      expect(cell.execution_count).toBeNull();
    }
  });

  it("opens with a title, imports the built library, and closes with What we saw / Try this", () => {
    expect(text(nb.cells[0].source)).toMatch(/^# \S/);
    expect(nb.cells.some((c) => c.cell_type === "code" && /from "\.\.\/dist"/.test(text(c.source)))).toBe(true);
    const markdown = nb.cells.filter((c) => c.cell_type === "markdown").map((c) => text(c.source)).join("\n");
    expect(markdown).toMatch(/^## What we saw/m);
    expect(markdown).toMatch(/^## Try this/m);
  });
});

it("there is at least the getting-started notebook", () => {
  expect(names).toContain("00_getting_started");
});
