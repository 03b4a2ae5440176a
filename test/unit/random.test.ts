import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng, rng } from "../../src/random";

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const variance = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Array.from(a).reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1);
};
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a),
    mb = mean(b);
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe("Rng", () => {
  it("gives the same stream for the same seed and different streams for different seeds", () => {
    expect(rng(7).uniformArray(100)).toEqual(rng(7).uniformArray(100));
    expect(rng(7).uniformArray(100)).not.toEqual(rng(8).uniformArray(100));
  });

  it("draws uniforms with the moments of U[0, 1) (within 5 standard errors)", () => {
    const n = 200_000;
    const u = rng(1).uniformArray(n);
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
  });

  it("draws normals with mean, variance and kurtosis of N(0, 1)", () => {
    const n = 200_000;
    const z = rng(2).normalArray(n);
    expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance(z) - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    const fourth = mean(Array.from(z, (v) => v ** 4));
    expect(Math.abs(fourth - 3)).toBeLessThan(5 * Math.sqrt(96 / n)); // Var[z⁴] = 105 − 9
    // the fraction inside ±1.96 is 95%
    const inside = Array.from(z).filter((v) => Math.abs(v) < 1.959964).length / n;
    expect(Math.abs(inside - 0.95)).toBeLessThan(5 * Math.sqrt((0.95 * 0.05) / n));
  });

  it("splits into streams that are reproducible and uncorrelated with each other and the parent", () => {
    const parent = rng(3);
    const [a, b] = parent.splitN(2);
    const n = 50_000;
    const xa = a.normalArray(n),
      xb = b.normalArray(n),
      xp = parent.normalArray(n);
    for (const r of [correlation(xa, xb), correlation(xa, xp), correlation(xb, xp)]) {
      expect(Math.abs(r)).toBeLessThan(5 / Math.sqrt(n));
    }
    const again = rng(3).splitN(2);
    expect(again[0].normalArray(n)).toEqual(xa);
    expect(again[1].normalArray(n)).toEqual(xb);
  });

  it("keeps a child stream fixed however much the sibling draws", () => {
    const first = rng(4);
    const a1 = first.split();
    a1.uniformArray(1000);
    const b1 = first.split().uniformArray(10);
    const second = rng(4);
    second.split(); // sibling not used at all
    expect(second.split().uniformArray(10)).toEqual(b1);
  });

  it("draws integers in range with equal frequencies, and valid permutations", () => {
    const r = rng(5);
    const counts = new Array(6).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - n / 6)).toBeLessThan(5 * Math.sqrt((n * 5) / 36));
    const p = Array.from(r.permutation(100));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).not.toEqual([...p].sort((x, y) => x - y));
  });

  it("makes tensors of the requested shape from the same stream as the arrays", () => {
    const before = tf.memory().numTensors;
    const t = rng(6).normalTensor([3, 4], 2, 0.5);
    expect(t.shape).toEqual([3, 4]);
    expect(Array.from(t.dataSync())).toEqual(Array.from(rng(6).normalArray(12, 2, 0.5)));
    t.dispose();
    const u = rng(6).uniformTensor([5], -1, 1);
    expect(Math.max(...u.dataSync())).toBeLessThan(1);
    expect(Math.min(...u.dataSync())).toBeGreaterThanOrEqual(-1);
    u.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects bad arguments with messages that name them", () => {
    expect(() => new Rng(1.5)).toThrow(/seed must be an integer/);
    expect(() => rng(0).int(0)).toThrow(/n must be a positive integer/);
    expect(() => rng(0).bernoulli(2)).toThrow(/p must be in \[0, 1\]/);
    expect(() => rng(0).normalTensor([2, -1])).toThrow(/shape must hold non-negative integers/);
  });
});
