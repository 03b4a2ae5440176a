/**
 * Tables: an array of row objects, or a danfo DataFrame, as an HTML table with a
 * plain-text fallback. danfo is recognised by shape (columns + values) rather than
 * imported, so the display layer stays light.
 */
import type { Output } from "./output";
import { escapeHtml } from "./output";
import { OUTPUT_KIND } from "./plotly";

export type Cell = number | string | boolean | null | undefined;
export type Row = Record<string, Cell>;

/** The parts of a danfo DataFrame a table needs. */
export interface FrameLike {
  columns: string[];
  values: unknown[][] | unknown[];
  index?: (string | number)[];
}

export interface TableOptions {
  /** A caption above the table. */
  caption?: string;
  /** Significant digits for non-integer numbers. @default 4 */
  digits?: number;
}

/** Format one cell: integers as they are, other numbers to `digits` significant figures. */
export function formatCell(value: Cell | unknown, digits = 4): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    // Integers as they are, unless too long to read (a float64 above 1e15 is an integer anyway).
    if (!Number.isFinite(value) || (Number.isInteger(value) && Math.abs(value) < 1e15)) return String(value);
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6)
      ? value.toExponential(digits - 1)
      : String(Number(value.toPrecision(digits)));
  }
  return String(value);
}

function isFrame(x: unknown): x is FrameLike {
  return (
    typeof x === "object" &&
    x !== null &&
    Array.isArray((x as FrameLike).columns) &&
    Array.isArray((x as FrameLike).values)
  );
}

/** Rows of a DataFrame as objects keyed by column, with its index as the first column. */
function frameRows(frame: FrameLike): Row[] {
  const rows = frame.values.map((r) => (Array.isArray(r) ? r : [r]));
  return rows.map((r, i) => {
    const row: Row = { "": frame.index?.[i] ?? i };
    frame.columns.forEach((c, j) => (row[c] = r[j] as Cell));
    return row;
  });
}

function columnsOf(rows: Row[]): string[] {
  const seen = new Set<string>();
  rows.forEach((r) => Object.keys(r).forEach((k) => seen.add(k)));
  return [...seen];
}

function plainText(columns: string[], cells: string[][]): string {
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((v, j) => v.padStart(widths[j])).join("  ");
  return [line(columns), ...cells.map(line)].join("\n");
}

/** The output bundle for a table of rows or a DataFrame. */
export function tableOutput(source: Row[] | FrameLike, options: TableOptions = {}): Output {
  const digits = options.digits ?? 4;
  const rows = isFrame(source) ? frameRows(source) : source;
  if (!Array.isArray(rows) || rows.length === 0)
    throw new Error("table: rows must be a non-empty array of objects or a DataFrame");
  const columns = columnsOf(rows);
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c], digits)));
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = cells.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(v)}</td>`).join("")}</tr>`).join("\n");
  const html = `<table class="mbrl-table">${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
  const text = (options.caption ? options.caption + "\n" : "") + plainText(columns, cells);
  return {
    data: { "text/html": html, "text/plain": text },
    metadata: { [OUTPUT_KIND]: { kind: "table", rows: rows.length } },
  };
}
