// The prose-number reader behind claims.test.ts, on made-up text with known answers.
import { describe, expect, it } from "vitest";
import type { Notebook } from "./helpers";
import {
  backs,
  codeLiterals,
  nearest,
  proseNumbers,
  reportedResults,
  sections,
  statedNumbers,
  unbackedNumbers,
} from "./prose";

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

describe("statedNumbers and reportedResults", () => {
  const md = (source: string) => ({ cell_type: "markdown" as const, source, metadata: {} });
  const notebook = (claims?: Record<string, number>): Notebook =>
    ({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        md("# Title\n\nIt takes about 3 minutes and 0.5 GB."),
        {
          cell_type: "code",
          source: "const steps = 40;",
          metadata: {},
          outputs: claims
            ? [{ output_type: "display_data", data: {}, metadata: { mbrl: { kind: "claims", values: claims } } }]
            : [],
        },
        md(
          "## Setup\n\nA noise of 0.25 over 40 steps.\n\n## What we saw\n\n- After 40 steps the return was 12.5.\n\n## Try this\n\n- Use 0.75.",
        ),
      ],
    }) as unknown as Notebook;

  it("reads every cell but the title and every section but 'Try this', with every integer in 'What we saw'", () => {
    expect(statedNumbers(notebook()).map(({ cell, number }) => [cell, number.written])).toEqual([
      [2, "0.25"],
      [2, "40"],
      [2, "12.5"],
    ]);
  });
  it("counts as results only the numbers of 'What we saw' that restate no code literal", () => {
    expect(reportedResults(notebook()).map((n) => n.written)).toEqual(["12.5"]);
  });
  it("names each number no claim or literal backs, once claims are shown", () => {
    expect(unbackedNumbers("nb", notebook(), [])).toEqual([]);
    expect(unbackedNumbers("nb", notebook({ return: 12.46, noise: 0.25 }), [])).toEqual([]);
    const problems = unbackedNumbers("nb", notebook({ return: 12.3 }), []);
    expect(problems.map((p) => p.split(" (")[0])).toEqual(["nb cell 2: prose says 0.25", "nb cell 2: prose says 12.5"]);
    expect(problems[1]).toMatch(/nearest computed: claim "return" = 12.3/);
  });
});
