import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../src/backend";
import { Pendulum } from "../../src/envs/pendulum";
import { buildPrivateLibrary } from "./helpers";

const ROOT = path.resolve(__dirname, "..", "..");
const CSV = path.join(ROOT, "data", "pendulum_random.csv");
const SCRIPT = path.join(ROOT, "scripts", "make-pendulum-data.js");
const HEADER = [
  "episode",
  "t",
  "cos_theta",
  "sin_theta",
  "theta_dot",
  "torque",
  "reward",
  "next_cos_theta",
  "next_sin_theta",
  "next_theta_dot",
];
/** Printed values are rounded to 6 decimals: half a unit of the last place, plus float slack. */
const ROUNDING = 5e-7 + 1e-12;

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

let header: string[];
let rows: number[][];

beforeAll(async () => {
  await initBackend();
  const lines = fs.readFileSync(CSV, "utf8").trimEnd().split("\n");
  header = lines[0].split(",");
  rows = lines.slice(1).map((line) => line.split(",").map(Number));
});

describe("data/pendulum_random.csv", () => {
  it("is reproduced byte for byte by scripts/make-pendulum-data.js --out", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pendulum-data-"));
    try {
      const lib = path.join(dir, "lib");
      buildPrivateLibrary(lib, ["envs/pendulum.ts", "random.ts"]);
      const out = path.join(dir, "out", "pendulum.csv");
      execFileSync(process.execPath, [SCRIPT, "--out", out, "--lib", lib], {
        env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") },
        stdio: "pipe",
      });
      expect(sha256(out)).toBe(sha256(CSV));
      expect(fs.readdirSync(path.dirname(out))).toEqual(["pendulum.csv"]); // no temp file left
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has the documented header, ≥ 10,000 rows and 200 episodes of 100 steps", () => {
    expect(header).toEqual(HEADER);
    const readme = fs.readFileSync(path.join(ROOT, "data", "README.md"), "utf8");
    for (const name of HEADER) expect(readme).toContain(`\`${name}\``);
    expect(rows.length).toBeGreaterThanOrEqual(10_000);
    const misplaced = rows.filter(
      (row, i) => row.length !== HEADER.length || row[0] !== Math.floor(i / 100) || row[1] !== i % 100,
    );
    expect(misplaced).toEqual([]);
    expect(rows[rows.length - 1][0]).toBe(199);
  });

  it("holds transitions of the pendulum: next state = step(state, torque), chained within episodes", () => {
    const pendulum = new Pendulum();
    // Worst discrepancies over all rows, asserted once (200k separate expects are slow).
    let [stepError, rewardError, maxTorque, unchained] = [0, 0, 0, 0];
    rows.forEach((row, i) => {
      const state = row.slice(2, 5);
      pendulum.stepScalar(state, row[5]).forEach((v, j) => (stepError = Math.max(stepError, Math.abs(v - row[7 + j]))));
      rewardError = Math.max(rewardError, Math.abs(pendulum.rewardScalar(state, row[5]) - row[6]));
      maxTorque = Math.max(maxTorque, Math.abs(row[5]));
      const following = rows[i + 1];
      if (following?.[0] === row[0] && following.slice(2, 5).some((v, j) => v !== row[7 + j])) unchained++;
    });
    expect(stepError).toBeLessThanOrEqual(ROUNDING);
    expect(rewardError).toBeLessThanOrEqual(ROUNDING);
    expect(maxTorque).toBeLessThanOrEqual(2);
    expect(unchained).toBe(0);
    // The float32 tensor step agrees too, on every row at once.
    const s = tf.tensor2d(rows.map((r) => r.slice(2, 5)));
    const a = tf.tensor2d(rows.map((r) => [r[5]]));
    const next = pendulum.step(s, a);
    const worst = tf.tidy(
      () => tf.max(tf.abs(tf.sub(next, tf.tensor2d(rows.map((r) => r.slice(7, 10)))))).dataSync()[0],
    );
    expect(worst).toBeLessThan(5e-5);
    tf.dispose([s, a, next]);
  });

  it("covers the whole circle and the whole speed range", () => {
    const quarters = [0, 0, 0, 0];
    for (const row of rows) quarters[Math.floor(((Math.atan2(row[3], row[2]) + Math.PI) / (2 * Math.PI)) * 4) % 4]++;
    for (const q of quarters) expect(q / rows.length).toBeGreaterThan(0.15);
    const speeds = rows.map((r) => r[4]);
    expect(Math.min(...speeds)).toBeLessThan(-7.5);
    expect(Math.max(...speeds)).toBeGreaterThan(7.5);
  });
});
