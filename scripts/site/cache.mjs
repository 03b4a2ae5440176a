// Incremental site builds: a notebook is re-executed only when its inputs changed. The key is a
// hash of the notebook's source, the library's source, the data, the lock files and the executor;
// the executed copy's own hash is recorded beside it.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { BUILD_DIR, NOTEBOOKS_DIR, ROOT } from "../lib.mjs";

const SHARED_INPUTS = [
  "src",
  "data",
  "package-lock.json",
  "requirements.txt",
  "scripts/execute_notebook.py",
  "scripts/site/fallbacks.mjs",
];

function filesUnder(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((f) => filesUnder(join(path, f)));
}

/** The hash of everything the executed copy of this notebook depends on. */
export function inputKey(name) {
  const hash = createHash("sha256");
  const files = [join(NOTEBOOKS_DIR, `${name}.ipynb`), ...SHARED_INPUTS.flatMap((p) => filesUnder(join(ROOT, p)))];
  for (const file of files) hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

const keyFile = (name) => join(BUILD_DIR, `${name}.key`);
const executedHash = (name) =>
  createHash("sha256")
    .update(readFileSync(join(BUILD_DIR, `${name}.ipynb`)))
    .digest("hex");

/**
 * True when the executed copy was made from the current inputs and is still the copy whose
 * fallback images the site build drew: `npm run notebooks` writes over it without drawing them.
 */
export function isUpToDate(name, key) {
  if (![`${name}.ipynb`, `${name}.fallbacks.json`, `${name}.key`].every((f) => existsSync(join(BUILD_DIR, f))))
    return false;
  try {
    const recorded = JSON.parse(readFileSync(keyFile(name), "utf8"));
    return recorded.inputs === key && recorded.executed === executedHash(name);
  } catch {
    return false; // unreadable or from an older format: rebuild
  }
}

/** Record that the executed copy and its fallbacks are complete for these inputs. */
export function recordKey(name, key) {
  writeFileSync(`${keyFile(name)}.tmp`, JSON.stringify({ inputs: key, executed: executedHash(name) }));
  renameSync(`${keyFile(name)}.tmp`, keyFile(name));
}
