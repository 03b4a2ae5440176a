// The curated public API (src/index.ts): notebooks use only what it exports, and src/README.md
// lists exactly that.
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync } from "fs";
import { join, resolve } from "path";
import * as lib from "../../src";

const ROOT = resolve(__dirname, "..", "..");
const read = (...parts: string[]) => readFileSync(join(ROOT, ...parts), "utf8");

/** Every name src/index.ts exports, with whether it is a type only. */
function exportedNames(): Map<string, { typeOnly: boolean }> {
  const names = new Map<string, { typeOnly: boolean }>();
  for (const [, typeBlock, list] of read("src", "index.ts").matchAll(/export (type )?\{([^}]*)\}/g)) {
    for (const raw of list
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      const typeOnly = Boolean(typeBlock) || raw.startsWith("type ");
      names.set(
        raw
          .replace(/^type /, "")
          .split(/\s+as\s+/)
          .pop()!,
        { typeOnly },
      );
    }
  }
  for (const [, name] of read("src", "index.ts").matchAll(/export \* as (\w+)/g)) names.set(name, { typeOnly: false });
  return names;
}

/**
 * The library names a notebook's code uses: `ns.name` for every `import * as ns from "../dist"`
 * (the notebooks call it `mbrl`) and the names in `import { a, type B, c as d } from "../dist"`.
 * An import from inside dist/ ("../dist/linalg") reaches past the public API: it is reported
 * as the name `../dist/linalg`, which no export matches.
 */
function libraryNamesUsed(code: string): Set<string> {
  const used = new Set<string>();
  for (const [, ns] of code.matchAll(/import \* as (\w+) from "\.\.\/dist"/g)) {
    for (const [, name] of code.matchAll(new RegExp(`\\b${ns}\\.(\\w+)`, "g"))) used.add(name);
  }
  for (const [, list] of code.matchAll(/import (?:type )?\{([^}]*)\} from "\.\.\/dist"/g)) {
    for (const item of list.split(",")) {
      const name = item
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/)[0];
      if (name) used.add(name);
    }
  }
  for (const [, path] of code.matchAll(/from "(\.\.\/dist\/[^"]+)"/g)) used.add(path);
  for (const [, path] of code.matchAll(/require\("(\.\.\/dist\/[^"]+)"\)/g)) used.add(path);
  return used;
}

/** For each library name the notebooks use, the notebooks that use it. */
function notebookUses(): Map<string, Set<string>> {
  const uses = new Map<string, Set<string>>();
  for (const file of readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb"))) {
    const cells = JSON.parse(read("notebooks", file)).cells as { cell_type: string; source: string[] }[];
    const code = cells
      .filter((c) => c.cell_type === "code")
      .map((c) => c.source.join(""))
      .join("\n");
    for (const name of libraryNamesUsed(code)) uses.set(name, (uses.get(name) ?? new Set()).add(file));
  }
  return uses;
}

describe("libraryNamesUsed", () => {
  it("finds namespace uses, named and type imports, aliases, and imports from inside dist/", () => {
    const code = [
      'import * as mbrl from "../dist";',
      'import * as dfd from "danfojs-node";',
      'import {\n  tf,\n  type Policy,\n  rng as seeded,\n} from "../dist";',
      'import { det } from "../dist/linalg";',
      "const p: mbrl.Task = mbrl.pendulumTask(); dfd.readCSV(x); seeded(0);",
    ].join("\n");
    expect([...libraryNamesUsed(code)].sort()).toEqual([
      "../dist/linalg",
      "Policy",
      "Task",
      "pendulumTask",
      "rng",
      "tf",
    ]);
  });
});

describe("the public API", () => {
  const names = exportedNames();

  it("exports at runtime every value name it lists, and nothing else", () => {
    const values = [...names]
      .filter(([, n]) => !n.typeOnly)
      .map(([name]) => name)
      .sort();
    expect(Object.keys(lib).sort()).toEqual(values);
  });

  it("holds every name a notebook uses", () => {
    const missing = [...notebookUses()]
      .filter(([name]) => !names.has(name))
      .map(([name, files]) => `${name} (${[...files].join(", ")})`);
    expect(missing).toEqual([]);
  });

  it("is listed name by name in src/README.md", () => {
    const section = read("src", "README.md").split("## Public API")[1] ?? "";
    const listed = new Set([...section.matchAll(/`(\w+)`/g)].map(([, name]) => name));
    expect([...names.keys()].filter((name) => !listed.has(name))).toEqual([]);
    expect([...listed].filter((name) => !names.has(name))).toEqual([]);
  });
});
