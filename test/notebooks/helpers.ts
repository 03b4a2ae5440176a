/** Shared by the notebook and browser tests: running the project's scripts, reading notebooks. */
import { spawnSync } from "child_process";
import { readFileSync, readdirSync } from "fs";
import { join, resolve } from "path";

export const ROOT = resolve(__dirname, "..", "..");
export const NOTEBOOKS = join(ROOT, "notebooks");
export const BUILD = join(ROOT, "build", "notebooks");
export const SITE = join(ROOT, "site");

export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  id?: string;
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: NbOutput[];
  execution_count?: number | null;
}
export interface NbOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  metadata?: { mbrl?: { kind: string; traces?: number } };
  ename?: string;
  evalue?: string;
}
export interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name: string; display_name: string; language?: string } };
  nbformat: number;
  nbformat_minor: number;
}

export const text = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join("") : (s ?? ""));
export const readNotebook = (path: string): Notebook => JSON.parse(readFileSync(path, "utf8"));
export const notebookNames = () =>
  readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => f.slice(0, -6))
    .sort();
export const outputs = (nb: Notebook) => nb.cells.flatMap((c) => c.outputs ?? []);
export const kindOf = (o: NbOutput) => o.metadata?.mbrl?.kind;

/** Run one of the project's scripts with node; returns status and output. */
export function runScript(script: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", script), ...args], {
    cwd: ROOT,
    env: { ...process.env, MBRL_QUIET: "1", ...env },
    encoding: "utf8",
    maxBuffer: 1 << 28,
    timeout: 30 * 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
}

/** Build the site (which executes every notebook) once per test run, shared by the test files. */
let built: ReturnType<typeof runScript> | undefined;
export function buildSiteOnce() {
  built ??= runScript("site.mjs");
  if (built.status !== 0) throw new Error(`npm run site failed:\n${built.output}`);
  return built;
}
