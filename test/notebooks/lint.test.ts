// Source notebooks: valid nbformat 4.5 with cell ids, the tslab kernel, and no stored outputs;
// and `npm run clean` / the git clean filter that keep them so.
import { describe, it, expect } from "vitest";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { NOTEBOOKS, ROOT, notebookNames, readNotebook, runScript, text, type Notebook } from "./helpers";
import { cleanNotebookText } from "../../scripts/clean.mjs";

const names = notebookNames();

describe.each(names)("notebooks/%s.ipynb", (name) => {
  const path = join(NOTEBOOKS, `${name}.ipynb`);
  const nb = readNotebook(path);

  it("validates against the nbformat schema (Jupyter's own validator)", () => {
    const r = spawnSync(
      join(ROOT, ".venv", "bin", "python"),
      ["-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path],
      { encoding: "utf8" },
    );
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

  it("is stored without outputs, and git strips any that a run in JupyterLab saved before it commits", () => {
    const rel = `notebooks/${name}.ipynb`;
    // What git holds (the index), in a clone; the file itself in a copy outside git.
    const indexed = spawnSync("git", ["show", `:${rel}`], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 26 });
    const stored = JSON.parse(indexed.status === 0 ? indexed.stdout : readFileSync(path, "utf8")) as Notebook;
    for (const cell of stored.cells.filter((c) => c.cell_type === "code")) {
      expect(cell.outputs).toEqual([]);
      expect(cell.execution_count).toBeNull();
    }
    if (indexed.status !== 0) return;
    const attr = spawnSync("git", ["check-attr", "filter", "--", rel], { cwd: ROOT, encoding: "utf8" });
    expect(attr.stdout.trim()).toBe(`${rel}: filter: mbrl-notebook`);
  });

  it("opens with a title, imports the built library, and closes with What we saw / Try this", () => {
    expect(text(nb.cells[0].source)).toMatch(/^# \S/);
    expect(nb.cells.some((c) => c.cell_type === "code" && /from "\.\.\/dist"/.test(text(c.source)))).toBe(true);
    const markdown = nb.cells
      .filter((c) => c.cell_type === "markdown")
      .map((c) => text(c.source))
      .join("\n");
    expect(markdown).toMatch(/^## What we saw/m);
    expect(markdown).toMatch(/^## Try this/m);
  });
});

it("there is at least the getting-started notebook", () => {
  expect(names).toContain("00_getting_started");
});

describe("npm run clean and the git clean filter", () => {
  const source = readFileSync(join(NOTEBOOKS, `${names[0]}.ipynb`), "utf8");
  /** The source as JupyterLab saves it after a run: keys sorted, outputs and counts filled in. */
  function asSavedByJupyterLab(): string {
    const nb = JSON.parse(source) as Notebook;
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortKeys)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
            )
          : v;
    nb.cells
      .filter((c) => c.cell_type === "code")
      .forEach((c, i) => {
        c.execution_count = i + 1;
        c.outputs = [{ output_type: "stream", name: "stdout", text: [`run ${i}\n`] }];
      });
    return JSON.stringify(sortKeys(nb), null, 1) + "\n";
  }

  it("gives back the committed source, byte for byte, from a notebook run and saved in JupyterLab", () => {
    const saved = asSavedByJupyterLab();
    expect(saved).not.toBe(source);
    expect(cleanNotebookText(saved)).toBe(source);
  });

  it("leaves a clean notebook untouched, byte for byte, whatever its layout", () => {
    const compact = JSON.stringify(JSON.parse(source));
    expect(cleanNotebookText(compact)).toBe(compact);
  });

  it("cleans files in place, keeps ids, and stays valid nbformat", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbrl-clean-"));
    try {
      const file = join(dir, "run.ipynb");
      writeFileSync(file, asSavedByJupyterLab());
      const r = runScript("clean.mjs", [file]);
      expect(r.status, r.output).toBe(0);
      expect(r.stdout).toContain("1 of 1 notebooks had outputs");
      expect(readFileSync(file, "utf8")).toBe(source);
      const v = spawnSync(
        join(ROOT, ".venv", "bin", "python"),
        ["-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", file],
        { encoding: "utf8" },
      );
      expect(v.stderr).toBe("");
      expect(runScript("clean.mjs", [file]).stdout).toContain("0 of 1 notebooks had outputs");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is what git runs on notebooks/*.ipynb when they are committed", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbrl-filter-"));
    const git = (...args: string[]) =>
      spawnSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } });
    try {
      expect(git("init", "-q").status).toBe(0);
      git("config", "filter.mbrl-notebook.clean", `node ${join(ROOT, "scripts", "clean.mjs")} --filter`);
      writeFileSync(join(dir, ".gitattributes"), readFileSync(join(ROOT, ".gitattributes")));
      spawnSync("mkdir", ["notebooks"], { cwd: dir });
      writeFileSync(join(dir, "notebooks", "x.ipynb"), asSavedByJupyterLab());
      expect(git("add", ".").status).toBe(0);
      expect(git("show", ":notebooks/x.ipynb").stdout).toBe(source);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
