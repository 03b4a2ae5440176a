// Incremental site builds: a notebook is re-executed only when its inputs changed. The key is a
// hash of the notebook's source, the library's source, the data, the lock files and the executor;
// the executed copy's own hash is recorded beside it. The slow steps after execution (fitting
// 03's pendulum model, nbconvert) keep their results in build/notebooks/site-cache/ the same way.
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
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

/**
 * The hash of the files at `paths` (files or folders, absolute or relative to the project) and
 * of `extra` strings.
 */
export function filesKey(paths, extra = []) {
  const hash = createHash("sha256");
  for (const file of paths.flatMap((p) => filesUnder(join(ROOT, relative(ROOT, p)))))
    hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  for (const s of extra) hash.update(s).update("\0");
  return hash.digest("hex");
}

/** The hash of everything the executed copy of this notebook depends on. */
export const inputKey = (name) => filesKey([join(NOTEBOOKS_DIR, `${name}.ipynb`), ...SHARED_INPUTS]);

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

/** Where the site build keeps the results of its slow steps between builds. */
export const SITE_CACHE = join(BUILD_DIR, "site-cache");

const cacheFile = (id) => join(SITE_CACHE, id);

/** The cached file `id` if it was made from the inputs that `key` describes, else undefined. */
export function cachedFile(id, key) {
  const file = cacheFile(id);
  const ok = existsSync(file) && existsSync(`${file}.key`) && readFileSync(`${file}.key`, "utf8") === key;
  return ok ? file : undefined;
}

/** Keep a copy of `source` as the cached file `id`, made from the inputs that `key` describes. */
export function storeCached(id, key, source) {
  const file = cacheFile(id);
  mkdirSync(SITE_CACHE, { recursive: true });
  rmSync(`${file}.key`, { force: true }); // an old key must not describe the new file if we stop halfway
  copyFileSync(source, `${file}.tmp`);
  renameSync(`${file}.tmp`, file);
  writeFileSync(`${file}.key`, key); // after the file: a key never describes a file that is not there
}

/**
 * The cached file `id` for `key`, made first by `make(path)` when missing or stale.
 * @returns the cached file's path
 */
export function cached(id, key, make) {
  const hit = cachedFile(id, key);
  if (hit) return hit;
  mkdirSync(SITE_CACHE, { recursive: true });
  const made = `${cacheFile(id)}.new`;
  make(made);
  storeCached(id, key, made);
  rmSync(made, { force: true });
  return cacheFile(id);
}

/** What dist/ is built from, and dist/ itself. */
const libraryKey = () => `${filesKey(["src", "tsconfig.json", "package-lock.json"])} ${filesKey(["dist"])}`;
const LIBRARY_KEY = join(SITE_CACHE, "library.key");

/**
 * True when dist/ is, byte for byte, what the last build made from the src/ there is now, so the
 * site need not run tsc (5-15 s even when it has nothing to emit).
 */
export function isLibraryBuilt() {
  return existsSync(LIBRARY_KEY) && readFileSync(LIBRARY_KEY, "utf8") === libraryKey();
}

/** Record that dist/ was just built from src/. */
export function recordLibraryBuilt() {
  mkdirSync(SITE_CACHE, { recursive: true });
  writeFileSync(LIBRARY_KEY, libraryKey());
}
