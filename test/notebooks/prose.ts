import { kindOf, text, type NbOutput, type Notebook } from "./helpers";

/**
 * Numbers stated in a notebook's markdown, and whether each is backed by a computed claim, a literal
 * in the notebook's code, or a theory value. Used by claims.test.ts; pure, so it is unit-tested too.
 */

/** A number as written in prose: its value, and half a unit in the last digit written. */
export interface ProseNumber {
  written: string;
  value: number;
  tolerance: number;
  /** A few words around it, to find it in the cell. */
  context: string;
}

const APPROXIMATE = /(about|roughly|nearly|near|around|almost|≈|~)\s*[−-]?$/i;
const CONFIDENCE = /^\s*(interval|CI|confidence)/i;

/** Markdown with display math, code blocks and inline code removed (numbers there are formulas or code). */
function proseOf(markdown: string): string {
  return markdown
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/\$\$[\s\S]*?\$\$/g, " ")
    .replace(/`[^`]*`/g, " ");
}

/**
 * Every number in `markdown` that states a result: numbers with a decimal point, percentages, powers of
 * ten (4×10^{8}, 1.7e17), and integers after "about", "roughly", ... With `allIntegers`, every integer
 * outside inline math too (for the "What we saw" cell). Exponents, subscripts and numbers glued to
 * letters (v1, 2T, θ_3) are not statements of value.
 */
export function proseNumbers(markdown: string, allIntegers = false): ProseNumber[] {
  const text = proseOf(markdown);
  const mathSpans: [number, number][] = [];
  for (const m of text.matchAll(/\$[^$]+\$/g)) mathSpans.push([m.index!, m.index! + m[0].length]);
  const inMath = (i: number) => mathSpans.some(([a, b]) => i >= a && i < b);
  const pattern =
    /(?<![\w^_.{\\/])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:×|\\times)\s*10\^\{?([−-]?\d+)\}?|e([−-]?\d+))?(\s*%)?(?![\w.]?\d|[A-Za-z_])/g;
  const found: ProseNumber[] = [];
  for (const m of text.matchAll(pattern)) {
    const [whole, digits, power10, powerE, percent] = m;
    const i = m.index!;
    const decimals = digits.includes(".") ? digits.split(".")[1].length : 0;
    const exponent = Number((power10 ?? powerE ?? "0").replace("−", "-"));
    const isDecimal = decimals > 0 || power10 !== undefined || powerE !== undefined || percent !== undefined;
    const approximate = APPROXIMATE.test(text.slice(Math.max(0, i - 12), i));
    if (!isDecimal && !approximate && !(allIntegers && !inMath(i))) continue;
    // a 95% interval names its level
    if (percent && CONFIDENCE.test(text.slice(i + whole.length, i + whole.length + 12))) continue;
    const scale = 10 ** exponent * (percent ? 0.01 : 1);
    const plain = digits.replace(/,/g, "");
    const mantissa = Number(plain);
    // An integer's trailing zeros are not significant ("about 700" is 700 ± 50), as usual.
    const zeros = isDecimal || mantissa === 0 ? 0 : plain.length - plain.replace(/0+$/, "").length;
    found.push({
      written: whole.trim(),
      value: mantissa * scale,
      tolerance: 0.5 * 10 ** (zeros - decimals) * scale,
      context: text
        .slice(Math.max(0, i - 40), i + whole.length + 20)
        .replace(/\s+/g, " ")
        .trim(),
    });
  }
  return found;
}

/** Numeric literals in code (parameters the prose may restate: 0.3 rad/s, 16 episodes). */
export function codeLiterals(code: string): number[] {
  const noComments = code.replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
  return [...noComments.matchAll(/(?<![\w.])(\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w.])/g)].map((m) => Number(m[1]));
}

/** True when `candidate` rounds to what was written (sign aside: prose says "0.15 rad off" for θ = −0.15). */
export function backs(candidate: number, n: ProseNumber): boolean {
  return Math.abs(Math.abs(candidate) - Math.abs(n.value)) <= n.tolerance * (1 + 1e-9);
}

/** The candidate nearest to a prose number, by relative distance, for the failure message. */
export function nearest<T extends { value: number }>(candidates: T[], n: ProseNumber): T | undefined {
  const distance = (v: number) => Math.abs(Math.abs(v) - Math.abs(n.value)) / Math.max(Math.abs(n.value), 1e-12);
  return [...candidates].sort((a, b) => distance(a.value) - distance(b.value))[0];
}

/** A markdown cell cut at its "## " headings: the text before the first has heading "". */
export function sections(markdown: string): { heading: string; body: string }[] {
  const parts: { heading: string; body: string }[] = [{ heading: "", body: "" }];
  for (const line of markdown.split("\n")) {
    if (/^## /.test(line)) parts.push({ heading: line, body: "" });
    else parts[parts.length - 1].body += line + "\n";
  }
  return parts;
}

/** A value fixed by theory: the named claim must equal `value`, computed here from its formula. */
export interface Theory {
  claim: string;
  formula: string;
  value: number;
  relTol: number;
}

/** The claims a notebook's executed outputs show (`showClaims`), by name. */
export function claimsOf(nb: Notebook): Map<string, number> {
  const shown = nb.cells.flatMap((c) => c.outputs ?? []).filter((o: NbOutput) => kindOf(o) === "claims");
  const values = shown.map((o) => (o.metadata as unknown as { mbrl: { values: Record<string, number> } }).mbrl.values);
  return new Map(values.flatMap((v) => Object.entries(v)));
}

/**
 * Every number a notebook's prose states as a result, with the index of its cell: all markdown cells
 * but the title cell (it introduces, it does not report) and the "Try this" sections (suggestions).
 */
export function statedNumbers(nb: Notebook): { cell: number; heading: string; number: ProseNumber }[] {
  return nb.cells.flatMap((cell, i) => {
    if (cell.cell_type !== "markdown" || i === 0) return [];
    return sections(text(cell.source))
      .filter(({ heading }) => !/^## Try this/.test(heading))
      .flatMap(({ heading, body }) =>
        proseNumbers(body, /^## What we saw/.test(heading)).map((number) => ({ cell: i, heading, number })),
      );
  });
}

/** Numeric literals of all of a notebook's code cells. */
function notebookLiterals(nb: Notebook): number[] {
  return nb.cells.filter((c) => c.cell_type === "code").flatMap((c) => codeLiterals(text(c.source)));
}

/**
 * The results a notebook reports: numbers in its "What we saw" section that are not parameters
 * restated from its code. A notebook with any must show claims (00's "near 1" restates a literal, so 00 needs none).
 */
export function reportedResults(nb: Notebook): ProseNumber[] {
  const literals = notebookLiterals(nb);
  return statedNumbers(nb)
    .filter(({ heading, number: n }) => /^## What we saw/.test(heading) && !literals.some((v) => backs(v, n)))
    .map(({ number }) => number);
}

/**
 * Every number in an executed notebook's prose (`statedNumbers`) that no claim, code literal or theory
 * value backs, as messages naming the notebook, the cell, the number and the nearest computed value.
 * Empty when the notebook shows no claims (claims.test.ts requires them where it reports results).
 */
export function unbackedNumbers(name: string, nb: Notebook, theory: Theory[]): string[] {
  const claims = claimsOf(nb);
  if (claims.size === 0) return [];
  const candidates = [
    ...[...claims].map(([label, value]) => ({ label: `claim "${label}"`, value })),
    ...theory.map((t) => ({ label: `theory ${t.formula}`, value: t.value })),
  ];
  const literals = notebookLiterals(nb);
  return statedNumbers(nb)
    .filter(({ number: n }) => !candidates.some((c) => backs(c.value, n)) && !literals.some((v) => backs(v, n)))
    .map(({ cell, number: n }) => {
      const near = nearest(candidates, n);
      return (
        `${name} cell ${cell}: prose says ${n.written} ("…${n.context}…"), ` +
        (near ? `nearest computed: ${near.label} = ${near.value}` : "and nothing is claimed")
      );
    });
}
