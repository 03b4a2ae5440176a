// npm run lab [-- jupyter lab options, e.g. --no-browser --port 8899]: JupyterLab from the project's
// .venv on notebooks/, with the tslab kernel of this project (installed there by npm run setup).
// Its arguments are JupyterLab's, passed on unparsed (JupyterLab reports the bad ones).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NOTEBOOKS_DIR, ROOT, jupyterEnv, venvCommand } from "./lib.mjs";

if (!existsSync(venvCommand("jupyter-lab")) || !existsSync(join(ROOT, "dist", "index.js"))) {
  console.error("JupyterLab or the built library is missing. Run `npm run setup` first.");
  process.exit(1);
}
const child = spawn(venvCommand("jupyter"), ["lab", `--notebook-dir=${NOTEBOOKS_DIR}`, ...process.argv.slice(2)], {
  cwd: ROOT,
  env: { ...process.env, ...jupyterEnv() },
  stdio: "inherit",
});
// Ctrl-C reaches JupyterLab too (same process group); we only pass its exit status on.
process.on("SIGINT", () => {});
child.on("close", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
