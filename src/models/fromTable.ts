/**
 * Recorded data from a table (lecture step 03): turn the rows of a CSV, e.g. a danfo
 * DataFrame read with `dfd.readCSV`, into the `TransitionData` a model is fitted to and the
 * `Trajectories` its multi-step error is measured on.
 *
 * A table here is anything with `columns` (names) and `values` (one array per row), which is
 * exactly what a danfo DataFrame offers; the library does not import danfo itself. Columns are
 * found by name, so their order in the file does not matter. Each row is one transition
 * (s_t, a_t, s_{t+1}); by default the next-state column of state column `x` is `next_x`, as in
 * `data/pendulum_random.csv`.
 */
import { check, fillOptions, type Rule } from "../checks";
import type { TransitionData, Trajectories } from "./data";

/** Column names and rows: the shape of a danfo DataFrame. */
export interface ColumnTable {
  columns: string[];
  /** N rows, each an array of C values (typed loosely, as danfo types them; checked when read). */
  values: readonly unknown[];
}

/** Which columns hold what. */
export interface TableColumns {
  /** The state s_t, in the model's order. @default none: required */
  stateColumns: string[];
  /** The action a_t. @default none: required */
  actionColumns: string[];
  /** The next state s_{t+1}, in the same order as stateColumns. @default `next_${name}` for each state column */
  nextStateColumns: string[] | undefined;
  /** The episode each row belongs to (trajectories only). @default "episode" */
  episodeColumn: string;
  /** The time step within the episode (trajectories only). @default "t" */
  timeColumn: string;
}

export const TABLE_COLUMNS_DEFAULTS: Omit<TableColumns, "stateColumns" | "actionColumns"> = {
  nextStateColumns: undefined,
  episodeColumn: "episode",
  timeColumn: "t",
};

const names: Rule<string[] | undefined> = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === "string")
    ? undefined
    : `must be a non-empty array of column names, got ${JSON.stringify(v)}`;
const name: Rule<string> = (v) =>
  typeof v === "string" && v.length > 0 ? undefined : `must be a column name, got ${JSON.stringify(v)}`;

/** Fill the options and look every named column up; returns a reader of plain numbers. */
function reader(where: string, table: ColumnTable, options: Partial<TableColumns>, withEpisodes: boolean) {
  check(
    table != null && Array.isArray(table.columns) && Array.isArray(table.values),
    where,
    "table must have columns (names) and values (rows), like a danfo DataFrame",
  );
  const o = fillOptions<TableColumns>(
    where,
    { ...TABLE_COLUMNS_DEFAULTS, stateColumns: [], actionColumns: [] },
    options,
    {
      stateColumns: names,
      actionColumns: names,
      episodeColumn: name,
      timeColumn: name,
      nextStateColumns: (v) => (v === undefined ? undefined : names(v)),
    },
  );
  const next = o.nextStateColumns ?? o.stateColumns.map((n) => `next_${n}`);
  check(
    next.length === o.stateColumns.length,
    where,
    `option nextStateColumns must name one column per state column (${o.stateColumns.length}), got ${next.length}`,
  );
  const index = (column: string) => {
    const i = table.columns.indexOf(column);
    check(i >= 0, where, `table has no column "${column}"; its columns are ${table.columns.join(", ")}`);
    return i;
  };
  const columns = {
    states: o.stateColumns.map(index),
    actions: o.actionColumns.map(index),
    nextStates: next.map(index),
  };
  const time = withEpisodes ? [index(o.episodeColumn), index(o.timeColumn)] : [];
  check(table.values.length > 0, where, "table must hold at least one row");
  /** Row r's entries at the given column indices, checked to be finite numbers. */
  const read = (r: number, at: number[]): number[] => {
    const row = table.values[r];
    check(Array.isArray(row), where, `table row ${r} must be an array of values, got ${JSON.stringify(row)}`);
    return at.map((j) => {
      const v = row[j];
      check(
        typeof v === "number" && Number.isFinite(v),
        where,
        `table row ${r}, column "${table.columns[j]}" must be a finite number, got ${JSON.stringify(v)}`,
      );
      return v;
    });
  };
  return { columns, time, read };
}

/**
 * Every row as a transition (s, a, s').
 * @param table N rows
 * @returns states (N, S), actions (N, A), nextStates (N, S) as plain nested arrays
 */
export function transitionsFromTable(
  table: ColumnTable,
  options: Partial<TableColumns> & Pick<TableColumns, "stateColumns" | "actionColumns">,
): TransitionData & { states: number[][]; actions: number[][]; nextStates: number[][] } {
  const { columns, read } = reader("transitionsFromTable", table, options, false);
  const rows = table.values.map((_, r) => r);
  return {
    states: rows.map((r) => read(r, columns.states)),
    actions: rows.map((r) => read(r, columns.actions)),
    nextStates: rows.map((r) => read(r, columns.nextStates)),
  };
}

/**
 * The rows grouped into whole episodes, each ordered by its time column.
 *
 * Every episode must hold the same number T of steps, numbered consecutively, and chain up:
 * a row's next state must equal the following row's state (to `tolerance`), since a
 * trajectory is one unbroken sequence s_0 … s_T. Episodes appear in order of first occurrence.
 * @param tolerance largest allowed |next state − following state| (state units) @default 1e-9
 * @returns states (E, T+1, S) and actions (E, T, A) as plain nested arrays
 */
export function trajectoriesFromTable(
  table: ColumnTable,
  options: Partial<TableColumns> & Pick<TableColumns, "stateColumns" | "actionColumns">,
  tolerance = 1e-9,
): Trajectories & { states: number[][][]; actions: number[][][] } {
  const where = "trajectoriesFromTable";
  const { columns, time, read } = reader(where, table, options, true);
  check(
    Number.isFinite(tolerance) && tolerance >= 0,
    where,
    `tolerance must be a finite number >= 0, got ${tolerance}`,
  );
  const episodes = new Map<number, { t: number; r: number }[]>();
  table.values.forEach((_, r) => {
    const [episode, t] = read(r, time);
    if (!episodes.has(episode)) episodes.set(episode, []);
    episodes.get(episode)!.push({ t, r });
  });
  const out: { states: number[][][]; actions: number[][][] } = { states: [], actions: [] };
  let steps: number | undefined;
  for (const [episode, rows] of episodes) {
    rows.sort((a, b) => a.t - b.t);
    steps ??= rows.length;
    check(
      rows.length === steps,
      where,
      `every episode must have the same number of steps: episode ${episode} has ${rows.length}, the first has ${steps}`,
    );
    rows.forEach(({ t }, k) =>
      check(
        t === rows[0].t + k,
        where,
        `episode ${episode} must have consecutive time steps, but step ${rows[0].t + k} is ${k > 0 && t === rows[k - 1].t ? "repeated" : "missing"}`,
      ),
    );
    const states = rows.map(({ r }) => read(r, columns.states));
    rows.slice(0, -1).forEach(({ r, t }, k) => {
      const gap = Math.max(...read(r, columns.nextStates).map((v, i) => Math.abs(v - states[k + 1][i])));
      check(
        gap <= tolerance,
        where,
        `episode ${episode} is broken at step ${t}: its next state differs from the state of step ${t + 1} by ${gap}`,
      );
    });
    out.states.push([...states, read(rows[rows.length - 1].r, columns.nextStates)]);
    out.actions.push(rows.map(({ r }) => read(r, columns.actions)));
  }
  return out;
}
