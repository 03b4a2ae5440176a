// npm run clean [file ...]: strip outputs and execution counts from notebooks in place (all of
// notebooks/*.ipynb by default), so a notebook run and saved in JupyterLab can be committed as a
// source. Cell ids, metadata and sources are kept. A file with nothing to strip is left as it is,
// byte for byte; a stripped one is written in the sources' own layout (JSON, one-space indent,
// cell keys in a fixed order), atomically.
// `--filter` reads one notebook on stdin and writes it cleaned to stdout: the git clean filter
// that `npm run setup` installs for notebooks/*.ipynb (.gitattributes).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NOTEBOOKS_DIR, UsageError, exitWithError, listNotebooks, parseCommandLine } from "./lib.mjs";

const USAGE = "usage: npm run clean [file ...], or node scripts/clean.mjs --filter < in.ipynb > out.ipynb";

const CELL_KEYS = ["cell_type", "id", "metadata", "source", "attachments", "execution_count", "outputs"];
const NOTEBOOK_KEYS = ["cells", "metadata", "nbformat", "nbformat_minor"];

/** Copy an object with `first` keys in that order, then any others in their own order. */
function ordered(obj, first) {
  const out = {};
  for (const k of first) if (k in obj) out[k] = obj[k];
  for (const k of Object.keys(obj)) if (!(k in out)) out[k] = obj[k];
  return out;
}

/** The notebook text without outputs; the same text when there was nothing to strip. */
export function cleanNotebookText(text) {
  const nb = JSON.parse(text);
  if (!Array.isArray(nb.cells)) throw new Error("not a notebook: it has no cells list");
  const dirty = nb.cells.some(
    (c) => c.cell_type === "code" && ((c.outputs ?? []).length > 0 || c.execution_count != null),
  );
  if (!dirty) return text;
  const cells = nb.cells.map((c) =>
    c.cell_type === "code" ? ordered({ ...c, execution_count: null, outputs: [] }, CELL_KEYS) : ordered(c, CELL_KEYS),
  );
  return JSON.stringify(ordered({ ...nb, cells }, NOTEBOOK_KEYS), null, 1) + "\n";
}

function cleanFile(path) {
  const text = readFileSync(path, "utf8");
  const cleaned = cleanNotebookText(text);
  if (cleaned === text) return false;
  writeFileSync(`${path}.clean-tmp`, cleaned);
  renameSync(`${path}.clean-tmp`, path);
  return true;
}

function main(argv) {
  const { values, positionals } = parseCommandLine(argv, { filter: { type: "boolean" } }, USAGE);
  if (values.filter) {
    if (positionals.length > 0) throw new UsageError(`--filter reads stdin and takes no files; ${USAGE}`);
    process.stdout.write(cleanNotebookText(readFileSync(0, "utf8")));
    return;
  }
  const files = positionals.length > 0 ? positionals : listNotebooks().map((n) => join(NOTEBOOKS_DIR, `${n}.ipynb`));
  const changed = files.filter(cleanFile);
  console.log(
    `clean: ${changed.length} of ${files.length} notebooks had outputs${changed.length ? `: ${changed.join(", ")}` : ""}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    exitWithError(e, { prefix: "clean: " });
  }
}
