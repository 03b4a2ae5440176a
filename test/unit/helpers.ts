/** Helpers shared by the unit tests: leak counting, random matrices, the library compiled for a child process. */
import * as tf from "@tensorflow/tfjs";
import ts from "typescript";
import * as fs from "fs";
import * as path from "path";
import { add, identity, matmul, transpose, type Matrix } from "../../src/linalg";
import type { Rng } from "../../src/random";

/** Count tensors before and after running `body` a few times. */
export function leakedTensors(body: () => void, repeats = 3): number {
  body(); // first call may allocate caches (e.g. backend kernels)
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) body();
  return tf.memory().numTensors - before;
}

/** An r×c matrix of independent N(0, scale²) entries, drawn row by row. */
export function randomMatrix(rng: Rng, r: number, c: number, scale = 1): Matrix {
  return Array.from({ length: r }, () => Array.from({ length: c }, () => scale * rng.normal()));
}

/** MᵀM + 0.1·I with M = randomMatrix(n, n, scale): a random symmetric positive-definite matrix. */
export function randomSpd(rng: Rng, n: number, scale = 1): Matrix {
  const m = randomMatrix(rng, n, n, scale);
  return add(
    matmul(transpose(m), m),
    identity(n).map((row) => row.map((x) => 0.1 * x)),
  );
}

/**
 * Compile library modules (`entries`, paths under src/, and their relative imports) into a
 * private folder for a child Node process, so the test neither needs nor disturbs the shared
 * dist/ build. The child finds the packages through NODE_PATH=node_modules.
 */
export function buildPrivateLibrary(outDir: string, entries: string[]): void {
  const src = path.join(__dirname, "..", "..", "src");
  const todo = entries.map((e) => path.join(src, e));
  const seen = new Set<string>();
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, "utf8");
    const { outputText } = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    });
    const out = path.join(outDir, path.relative(src, file).replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, outputText);
    for (const ref of ts.preProcessFile(text).importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), ref.fileName);
      todo.push(fs.existsSync(`${target}.ts`) ? `${target}.ts` : path.join(target, "index.ts"));
    }
  }
}
