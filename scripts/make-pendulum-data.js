#!/usr/bin/env node
/**
 * Record pendulum transitions under uniformly random torques: data/pendulum_random.csv.
 *
 *   npm run build && node scripts/make-pendulum-data.js [--out PATH] [--lib DIR]
 *
 * --out  where to write the CSV (default data/pendulum_random.csv)
 * --lib  the compiled library to use (default dist/); the tests point it at a private build
 *
 * The physics is the library's `Pendulum.stepScalar` (plain float64, so the bytes do not
 * depend on the tfjs backend) and the randomness the library's `Rng`. Re-running reproduces
 * the file byte for byte. The file is written to a temporary name and renamed, so readers
 * never see half a file.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const util = require("util");

const SEED = 285;
const EPISODES = 200;
const STEPS = 100;
const DECIMALS = 6;
/** Starts cover the full circle and every speed the pendulum can reach. */
const START = { angleCenter: 0, angleHalfWidth: Math.PI, speedHalfWidth: 8 };

const USAGE = "usage: node scripts/make-pendulum-data.js [--out PATH] [--lib DIR]";

/** `--out` and `--lib`, resolved; a bad command line prints the usage and exits 2. */
function parseArgs(argv) {
  try {
    const { values } = util.parseArgs({
      args: argv,
      options: {
        out: { type: "string", default: path.join(__dirname, "..", "data", "pendulum_random.csv") },
        lib: { type: "string", default: path.join(__dirname, "..", "dist") },
      },
    });
    return { out: path.resolve(values.out), lib: path.resolve(values.lib) };
  } catch (e) {
    console.error(`make-pendulum-data: ${/** @type {Error} */ (e).message.split(".")[0]}; ${USAGE}`);
    process.exit(2);
  }
}

function loadLibrary(dir) {
  const entry = path.join(dir, "envs", "pendulum.js");
  if (!fs.existsSync(entry)) throw new Error(`make-pendulum-data: ${entry} not found; run "npm run build" first`);
  return { ...require(entry), ...require(path.join(dir, "random.js")) };
}

/** One CSV line per transition, numbers with a fixed number of decimals. */
function recordRows(lib) {
  const pendulum = new lib.Pendulum();
  const { maxTorque } = pendulum.options;
  const root = new lib.Rng(SEED);
  // Step from the rounded numbers that are written, so every row is exactly a step of
  // its own printed state and torque, and each row's next state is the next row's state.
  const round = (x) => Number(x.toFixed(DECIMALS));
  const fmt = (x) => x.toFixed(DECIMALS);
  const stateNames = lib.PENDULUM_STATE_NAMES; // cos_theta, sin_theta, theta_dot
  const header = ["episode", "t", ...stateNames, "torque", "reward", ...stateNames.map((n) => `next_${n}`)];
  const lines = [header.join(",")];
  for (let episode = 0; episode < EPISODES; episode++) {
    const rng = root.split(); // one stream per episode
    let state = lib.sampleStartStateRows(rng, 1, START)[0].map(round);
    for (let t = 0; t < STEPS; t++) {
      const torque = round(maxTorque * (2 * rng.uniform() - 1));
      const next = pendulum.stepScalar(state, torque).map(round);
      const reward = pendulum.rewardScalar(state, torque);
      lines.push([episode, t, ...[...state, torque, reward, ...next].map(fmt)].join(","));
      state = next;
    }
  }
  return lines.join("\n") + "\n";
}

function writeAtomically(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
}

const args = parseArgs(process.argv.slice(2));
writeAtomically(args.out, recordRows(loadLibrary(args.lib)));
