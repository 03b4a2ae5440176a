// node scripts/site/pendulum-model.mjs OUT.js: notebook 03's learned pendulum model, fitted
// here exactly as the notebook fits it (same data split, seeds and options, same backend), and
// written as a classic script (`window.MBRL_PENDULUM_MODEL = {...}`) for the site's 03 panel:
// a page opened from file:// cannot fetch a JSON file. test/notebooks/panels.test.ts checks that
// the panel's gradient norms through these weights are the ones the executed notebook printed.
import { createRequire } from "node:module";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib.mjs";

const require = createRequire(import.meta.url);
const mbrl = require(join(ROOT, "dist"));
const { saveDynamicsModel } = require(join(ROOT, "dist", "models", "weights"));
const dfd = require("danfojs-node");

async function main(out) {
  if (!out) throw new Error("usage: node scripts/site/pendulum-model.mjs OUT.js");
  await mbrl.initBackend();
  // As in notebooks/03_bptt.ipynb: episodes before 180 train, 10 epochs at 3e-3, seeds 0.
  const frame = await dfd.readCSV(join(ROOT, "data", "pendulum_random.csv"));
  const columns = { stateColumns: [...mbrl.PENDULUM_STATE_NAMES], actionColumns: ["torque"] };
  const trainData = mbrl.transitionsFromTable(frame.query(frame.column("episode").lt(180)), columns);
  const model = new mbrl.DynamicsModel(3, 1, mbrl.rng(0), { hiddenSizes: [64, 64] });
  await mbrl.fitDynamics(model, trainData, mbrl.rng(0), { epochs: 10, learningRate: 3e-3 });
  const saved = saveDynamicsModel(model);
  model.dispose();
  writeFileSync(`${out}.tmp`, `window.MBRL_PENDULUM_MODEL = ${JSON.stringify(saved)};\n`);
  renameSync(`${out}.tmp`, out);
}

main(process.argv[2]).catch((e) => {
  console.error(`pendulum-model: ${e.message}`);
  process.exit(1);
});
