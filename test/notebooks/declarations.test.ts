// Notebooks import the library's compiled declarations, which tslab reads with its own
// TypeScript 5.0.4. Build them with the project's compiler and check them with tslab's.
import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import * as ts from "typescript";

const ROOT = resolve(__dirname, "..", "..");
const tslabTs: typeof ts = require("@tslab/typescript-for-tslab");

describe("the library's declarations", () => {
  it("parse and type-check under tslab's TypeScript 5.0, as a notebook cell uses them", () => {
    const out = mkdtempSync(join(tmpdir(), "mbrl-dts-"));
    try {
      const config = ts.getParsedCommandLineOfConfigFile(
        join(ROOT, "tsconfig.json"),
        { outDir: out, declaration: true, emitDeclarationOnly: true, sourceMap: false, incremental: false },
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
      )!;
      const emitted = ts.createProgram(config.fileNames, config.options).emit();
      expect(emitted.diagnostics).toEqual([]);
      const cell = join(out, "cell.ts");
      writeFileSync(
        cell,
        'import * as mbrl from "./index";\nimport { tf } from "./index";\nconst r: mbrl.Rng = mbrl.rng(0);\nconst t: tf.Tensor = r.normalTensor([2]);\nexport const n: number = t.size;\n',
      );
      const program = tslabTs.createProgram([cell], {
        strict: true,
        noEmit: true,
        module: tslabTs.ModuleKind.CommonJS,
        target: tslabTs.ScriptTarget.ES2020,
        skipLibCheck: false,
        typeRoots: [join(ROOT, "node_modules", "@types")],
        baseUrl: ROOT,
        paths: { "*": [join(ROOT, "node_modules", "*")] },
      });
      // Only our own files: tfjs's typings have strict-mode complaints of their own.
      const problems = tslabTs
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName.startsWith(out))
        .map(
          (d) => `${d.file!.fileName.slice(out.length)}: ${tslabTs.flattenDiagnosticMessageText(d.messageText, "\n")}`,
        );
      expect(tslabTs.version).toBe("5.0.4");
      expect(problems).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000); // a full declaration emit and a second compiler: over a minute on a busy 2-core machine
});
