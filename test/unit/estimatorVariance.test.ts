import { describe, it, expect } from "vitest";
import { bootstrapCrossing, crossingPoint, totalVariance } from "../../src/analysis/estimatorVariance";
import { Rng } from "../../src/random";

describe("estimator variance", () => {
  it("totalVariance sums the per-coordinate sample variances", () => {
    // coordinate 0: 1, 2, 3 (variance 1); coordinate 1: 0, 0, 6 (mean 2, variance (4 + 4 + 16) / 2 = 12)
    expect(
      totalVariance([
        [1, 0],
        [2, 0],
        [3, 6],
      ]),
    ).toBeCloseTo(13, 12);
    expect(() => totalVariance([[1]])).toThrow(/totalVariance: estimates must hold at least 2 rows/);
  });

  it("crossingPoint interpolates log(a/b) linearly between the measured points", () => {
    // a = e^{x}, b = e^{10}: log(a/b) = x − 10, zero at x = 10, between 5 and 20.
    const xs = [1, 5, 20, 40];
    expect(
      crossingPoint(
        xs,
        xs.map(Math.exp),
        xs.map(() => Math.exp(10)),
      ),
    ).toBeCloseTo(10, 10);
    expect(crossingPoint(xs, [1, 1, 1, 1], [2, 2, 2, 2])).toBeUndefined();
    expect(crossingPoint(xs, [3, 1, 1, 1], [2, 2, 2, 2])).toBe(1);
  });

  it("bootstrapCrossing brackets the crossing of two known variance curves", () => {
    // Estimator a has standard deviation e^{x/2} (variance e^x), b a constant e^{5}: they cross at x = 5.
    const rng = new Rng(0);
    const xs = [2, 4, 6, 8];
    const draw = (variance: number) => Array.from({ length: 256 }, () => [Math.sqrt(variance) * rng.normal()]);
    const a = xs.map((x) => draw(Math.exp(x)));
    const b = xs.map(() => draw(Math.exp(5)));
    const ci = bootstrapCrossing(xs, a, b, new Rng(1), { resamples: 300 });
    expect(ci.low).toBeLessThan(5);
    expect(ci.high).toBeGreaterThan(5);
    expect(ci.high - ci.low).toBeLessThan(1.5);
    expect(ci.crossedShare).toBe(1);
    expect(ci.crossing).toBeGreaterThan(ci.low);
    expect(() => bootstrapCrossing(xs, a, b, new Rng(1), { level: 1 })).toThrow(
      /bootstrapCrossing: option level must be in \(0, 1\)/,
    );
  });
});
