// The prose-number reader behind claims.test.ts, on made-up text with known answers.
import { describe, expect, it } from "vitest";
import { backs, codeLiterals, nearest, proseNumbers, sections } from "./prose";

describe("proseNumbers", () => {
  it("reads decimals, percentages and powers of ten, with half a unit of the last digit as tolerance", () => {
    const found = proseNumbers(
      "settles 0.19 rad off, 50% hit, a factor of about $4\\times10^{8}$ and 1.7e17; κ is 12.",
    );
    expect(found.map((n) => n.written)).toEqual(["0.19", "50%", "4\\times10^{8}", "1.7e17"]);
    const expected = [
      [0.19, 0.005],
      [0.5, 0.005],
      [4e8, 0.5e8],
      [1.7e17, 0.05e17],
    ];
    found.forEach((n, k) => {
      expect(n.value / expected[k][0]).toBeCloseTo(1, 12);
      expect(n.tolerance / expected[k][1]).toBeCloseTo(1, 12);
    });
  });

  it("skips display math, code, exponents, subscripts and names; reads integers after 'about', or all outside math when asked", () => {
    const md =
      "$$J = \\lambda^{29} x_{3}$$ Pendulum-v1 in `x = 0.5` took about 4 s; $T = 10$ costs 55 and 20,000 rows.";
    expect(proseNumbers(md).map((n) => n.value)).toEqual([4]);
    expect(proseNumbers(md, true).map((n) => n.value)).toEqual([4, 55, 20000]);
  });
});

describe("proseNumbers conventions", () => {
  it("reads an integer's trailing zeros as not significant, and skips the level of a confidence interval", () => {
    const found = proseNumbers("scores about −700, about 24, a 95% interval, 95% CI, and 50% of them");
    expect(found.map((n) => [n.value, n.tolerance])).toEqual([
      [700, 50],
      [24, 0.5],
      [0.5, 0.005],
    ]);
  });
});

describe("backs", () => {
  const n = proseNumbers("about 0.19 rad")[0];
  it("accepts a value that rounds to what was written, either sign, and rejects one that does not", () => {
    expect(backs(0.1851, n)).toBe(true);
    expect(backs(-0.194, n)).toBe(true);
    expect(backs(0.16, n)).toBe(false); // the mismatch the claims test exists for
    expect(backs(0.1951, n)).toBe(false);
  });
  it("names the nearest candidate", () => {
    expect(nearest([{ value: 0.713 }, { value: 0.16 }, { value: 55 }], n)).toEqual({ value: 0.16 });
  });
});

describe("codeLiterals", () => {
  it("reads numeric literals, not digits inside names or comments", () => {
    expect(codeLiterals("const x2 = mbrl.rng(101); // 0.25 is not code\nconst s = 0.3 * 1e-3;")).toEqual([
      101, 0.3, 1e-3,
    ]);
  });
});

describe("sections", () => {
  it("cuts a cell at its level-2 headings", () => {
    expect(sections("intro 1.5\n## What we saw\n- 55\n## Try this\n- 0.3")).toEqual([
      { heading: "", body: "intro 1.5\n" },
      { heading: "## What we saw", body: "- 55\n" },
      { heading: "## Try this", body: "- 0.3\n" },
    ]);
  });
});
