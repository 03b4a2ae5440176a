// Every number the prose of an executed notebook states is backed: by a quantity its claims cell
// computed (`showClaims`), by a literal in its code (a parameter the prose restates), or by a value
// fixed by theory, which is itself checked against its formula here. A mismatch names the notebook,
// the cell, the number written and the nearest computed one.
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "path";
import { BUILD, buildSiteOnce, kindOf, notebookNames, readNotebook, text, type Notebook } from "./helpers";
import { backs, claimsOf, proseNumbers, reportedResults, unbackedNumbers, type Theory } from "./prose";

/** Values fixed by theory: the claim must equal the formula, and the prose must state it. */
const THEORY: Record<string, Theory[]> = {
  "01_open_loop_vs_closed_loop": [
    { claim: "open-loop cost, exact (T = 10, σ = 1)", formula: "σ²T(T+1)/2", value: (1 * 10 * 11) / 2, relTol: 1e-12 },
    { claim: "feedback cost, exact (T = 10, σ = 1)", formula: "Tσ²", value: 10 * 1, relTol: 1e-12 },
    { claim: "closed-loop exam value", formula: "R (every question answered right)", value: 10, relTol: 1e-12 },
  ],
  "02_recursive_objective": [
    // float32 autodiff: the ratio of two gradient entries carries a few ulps of float32
    { claim: "|∂J/∂a_0| / |∂J/∂a_29|, λ = 1.2", formula: "1.2^29", value: 1.2 ** 29, relTol: 1e-4 },
    { claim: "κ growth per step, unstable", formula: "λ² = 1.2²", value: 1.44, relTol: 1e-3 },
  ],
  "04_what_to_do_instead": [
    // the pendulum's top linearised in (θ, θ̇) under its semi-implicit Euler step, g = 10, l = 1, dt = 0.05
    {
      claim: "4 log λ",
      formula: "4 ln λ_max([[1 + a·dt², dt], [a·dt, 1]]), a = 3g/(2l)",
      value: 4 * Math.log(largestEigenvalue2x2(1 + 15 * 0.05 ** 2, 0.05, 15 * 0.05, 1)),
      relTol: 1e-9,
    },
  ],
};

/** The larger eigenvalue of the real 2×2 matrix [[a, b], [c, d]] (assumed real). */
function largestEigenvalue2x2(a: number, b: number, c: number, d: number): number {
  const [half, det] = [(a + d) / 2, a * d - b * c];
  return half + Math.sqrt(half * half - det);
}

const names = notebookNames();
const executed = new Map<string, Notebook>();

beforeAll(() => {
  buildSiteOnce();
  for (const name of names) executed.set(name, readNotebook(join(BUILD, `${name}.ipynb`)));
}, 30 * 60_000);

describe.each(names)("claims of %s", (name) => {
  const nb = () => executed.get(name)!;

  it('shows its claims once, if its "What we saw" reports results', () => {
    const shown = nb()
      .cells.flatMap((c) => c.outputs ?? [])
      .filter((o) => kindOf(o) === "claims");
    expect(shown.length).toBeLessThanOrEqual(1);
    const results = reportedResults(nb()).map((n) => n.written);
    if (results.length > 0) expect(shown.length, `${name} reports ${results.join(", ")} but shows no claims`).toBe(1);
  });

  it("states theory values that equal their formulas", () => {
    const claims = claimsOf(nb());
    const prose = nb()
      .cells.filter((c) => c.cell_type === "markdown")
      .flatMap((c) => proseNumbers(text(c.source), true));
    for (const t of THEORY[name] ?? []) {
      expect(claims.has(t.claim), `${name}: no claim "${t.claim}"`).toBe(true);
      const v = claims.get(t.claim)!;
      expect(
        Math.abs(v - t.value) / Math.abs(t.value),
        `${name}: "${t.claim}" = ${v}, but ${t.formula} = ${t.value}`,
      ).toBeLessThanOrEqual(t.relTol);
      expect(
        prose.some((n) => backs(t.value, n)),
        `${name}: the prose never states ${t.formula} = ${t.value}`,
      ).toBe(true);
    }
  });

  it("states no number in its prose that no cell computed", () => {
    expect(unbackedNumbers(name, nb(), THEORY[name] ?? [])).toEqual([]);
  });
});
