/**
 * Claims: the numbers a notebook's prose states, shown by name in one output so that a test can
 * tie every number in the markdown to the cell that computed it (test/notebooks/claims.test.ts).
 * The exact values travel in the output's metadata; the table shows them rounded for the reader.
 */
import type { Output } from "./output";
import { show } from "./output";
import { OUTPUT_KIND } from "./plotly";
import { tableOutput } from "./table";

/** Claimed quantities by name, e.g. `{ "settling angle (rad)": 0.151 }`. */
export type Claims = Record<string, number>;

/** The output bundle for `showClaims`: a table of name and value, with the exact values in metadata. */
export function claimsOutput(claims: Claims): Output {
  const entries = Object.entries(claims ?? {});
  if (entries.length === 0) throw new Error("showClaims: claims must be a non-empty object of name → number");
  for (const [name, value] of entries) {
    if (typeof value !== "number" || !Number.isFinite(value))
      throw new Error(`showClaims: claims["${name}"] must be a finite number, got ${value}`);
  }
  const table = tableOutput(
    entries.map(([quantity, value]) => ({ quantity, value })),
    {
      caption: "Numbers the text states, computed above (checked by the tests)",
      digits: 6,
    },
  );
  return { data: table.data, metadata: { [OUTPUT_KIND]: { kind: "claims", values: Object.fromEntries(entries) } } };
}

/** Show the claimed quantities of a notebook by name (see `claimsOutput`). */
export function showClaims(claims: Claims): void {
  show(claimsOutput(claims));
}
