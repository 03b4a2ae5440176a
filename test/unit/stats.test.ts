import { describe, it, expect } from "vitest";
import {
  compareToExact,
  leastSquaresSlope,
  meanCI,
  overlaps,
  studentTCdf,
  studentTQuantile,
  type MeanCI,
} from "../../src/analysis/stats";
import { Rng } from "../../src/random";

const PS = [0.6, 0.75, 0.9, 0.975, 0.995, 0.3, 0.025];

describe("Student t quantiles", () => {
  it("match the closed forms for 1, 2 and 4 degrees of freedom", () => {
    for (const p of PS) {
      // df = 1 is the Cauchy distribution.
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 8);
      // df = 2: t = (2p − 1) / sqrt(2p(1 − p)).
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 10);
      // df = 4: t = sign(p − ½)·2·sqrt(cos(θ/3)/sqrt(α) − 1), α = 4p(1−p), θ = arccos(sqrt(α)).
      const alpha = 4 * p * (1 - p);
      const t4 = Math.sign(p - 0.5) * 2 * Math.sqrt(Math.cos(Math.acos(Math.sqrt(alpha)) / 3) / Math.sqrt(alpha) - 1);
      expect(studentTQuantile(p, 4)).toBeCloseTo(t4, 10);
    }
  });

  it("match published table values and tend to the normal quantile", () => {
    expect(studentTQuantile(0.975, 7)).toBeCloseTo(2.364624252, 7);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138852, 7);
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959963985, 6);
  });

  it("has the Cauchy CDF at df = 1 and is symmetric", () => {
    for (const t of [-5, -1, 0, 0.3, 2, 40]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 13);
      expect(studentTCdf(t, 6) + studentTCdf(-t, 6)).toBeCloseTo(1, 12);
    }
  });
});

describe("meanCI", () => {
  it("equals the textbook computation", () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9]; // mean 5, sum of squares 32
    const ci = meanCI(values);
    const std = Math.sqrt(32 / 7);
    const half = (2.364624252 * std) / Math.sqrt(8); // t_{0.975, 7}
    expect(ci.n).toBe(8);
    expect(ci.mean).toBeCloseTo(5, 12);
    expect(ci.std).toBeCloseTo(std, 12);
    expect(ci.halfWidth).toBeCloseTo(half, 7);
    expect(ci.low).toBeCloseTo(5 - half, 7);
    expect(ci.high).toBeCloseTo(5 + half, 7);
    expect(meanCI(values, { level: 0.99 }).halfWidth).toBeGreaterThan(ci.halfWidth);
  });

  it("covers the true mean about 95% of the time, even with 5 samples", () => {
    const rng = new Rng(11);
    const trials = 4000;
    let covered = 0;
    let coveredByNormal = 0;
    for (let i = 0; i < trials; i++) {
      const ci = meanCI(rng.normalArray(5, 3, 2));
      if (ci.low <= 3 && 3 <= ci.high) covered++;
      if (Math.abs(ci.mean - 3) <= (1.96 * ci.std) / Math.sqrt(5)) coveredByNormal++;
    }
    const band = 3 * Math.sqrt((0.95 * 0.05) / trials);
    expect(Math.abs(covered / trials - 0.95)).toBeLessThan(band);
    // The normal quantile would be too narrow here: that is why the t quantile is used.
    expect(coveredByNormal / trials).toBeLessThan(0.95 - band);
  });

  it("rejects too few values, non-finite values and a bad level, naming them", () => {
    expect(() => meanCI([1])).toThrow(/meanCI: values must hold at least 2/);
    expect(() => meanCI([1, NaN, 2])).toThrow(/meanCI: values must be finite, but entry 1/);
    expect(() => meanCI([1, 2], { level: 1 })).toThrow(/meanCI: option level must be in \(0, 1\)/);
  });
});

describe("overlaps", () => {
  const ci = (low: number, high: number): MeanCI => ({
    mean: (low + high) / 2,
    halfWidth: (high - low) / 2,
    low,
    high,
    n: 2,
    std: 1,
  });
  it("detects shared points, including touching ends, in either order", () => {
    expect(overlaps(ci(0, 1), ci(0.5, 2))).toBe(true);
    expect(overlaps(ci(0.5, 2), ci(0, 1))).toBe(true);
    expect(overlaps(ci(0, 3), ci(1, 2))).toBe(true);
    expect(overlaps(ci(0, 1), ci(1, 2))).toBe(true);
    expect(overlaps(ci(0, 1), ci(1.01, 2))).toBe(false);
    expect(overlaps(ci(1.01, 2), ci(0, 1))).toBe(false);
  });
});

describe("leastSquaresSlope", () => {
  it("recovers the slope of a line exactly, and the OLS slope of noisy points (closed form by hand)", () => {
    expect(leastSquaresSlope([10, 20, 30], [1 + 0.4 * 10, 1 + 0.4 * 20, 1 + 0.4 * 30])).toBeCloseTo(0.4, 12);
    // x = 0, 1, 2; y = 0, 2, 1: x̄ = 1, ȳ = 1, Σ(x−x̄)(y−ȳ) = (−1)(−1) + 0 + (1)(0) = 1, Σ(x−x̄)² = 2
    expect(leastSquaresSlope([0, 1, 2], [0, 2, 1])).toBeCloseTo(0.5, 12);
  });
  it("names the arguments when they cannot give a slope", () => {
    expect(() => leastSquaresSlope([1], [1])).toThrow(/leastSquaresSlope: xs and ys must have the same length/);
    expect(() => leastSquaresSlope([2, 2], [1, 3])).toThrow(/leastSquaresSlope: xs must not all be equal/);
  });
});

describe("compareToExact", () => {
  it("says whether the interval covers the exact value, edges included", () => {
    const ci = meanCI([1, 2, 3, 4]);
    expect(compareToExact(ci.low, ci).inside).toBe(true);
    expect(compareToExact(ci.high + 1e-9, ci).inside).toBe(false);
    expect(compareToExact(2.5, ci)).toEqual({ exact: 2.5, mean: 2.5, low: ci.low, high: ci.high, inside: true });
    expect(() => compareToExact(NaN, ci)).toThrow(/compareToExact: exact must be finite/);
  });
});
