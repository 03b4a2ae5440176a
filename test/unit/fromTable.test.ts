import { describe, it, expect } from "vitest";
import { readFileSync } from "fs";
import { join } from "path";
import * as dfd from "danfojs-node";
import { transitionsFromTable, trajectoriesFromTable, type ColumnTable } from "../../src/models/fromTable";

const COLUMNS = { stateColumns: ["x", "v"], actionColumns: ["u"] };

/** Two episodes of a made-up system, rows shuffled, columns in an unusual order. */
function smallTable(): { columns: string[]; values: number[][] } {
  // episode 7: x = 0, 1, 3, v = 0, 1, 2 (next = the following row); episode 2: x = 5, 4, 2
  const rows = [
    // next_v, u, episode, x, t, next_x, v
    [2, 0.5, 7, 1, 1, 3, 1],
    [-1, -1, 2, 5, 0, 4, 0],
    [1, 0.25, 7, 0, 0, 1, 0],
    [-2, -0.5, 2, 4, 1, 2, -1],
  ];
  return { columns: ["next_v", "u", "episode", "x", "t", "next_x", "v"], values: rows };
}

describe("transitionsFromTable", () => {
  it("reads each row's state, action and next state by column name, in row order", () => {
    expect(transitionsFromTable(smallTable(), COLUMNS)).toEqual({
      states: [
        [1, 1],
        [5, 0],
        [0, 0],
        [4, -1],
      ],
      actions: [[0.5], [-1], [0.25], [-0.5]],
      nextStates: [
        [3, 2],
        [4, -1],
        [1, 1],
        [2, -2],
      ],
    });
  });

  it("takes explicit next-state columns", () => {
    const table = { columns: ["a", "b", "c"], values: [[1, 2, 3]] };
    expect(transitionsFromTable(table, { stateColumns: ["a"], actionColumns: ["b"], nextStateColumns: ["c"] })).toEqual(
      { states: [[1]], actions: [[2]], nextStates: [[3]] },
    );
  });

  it("names what is wrong", () => {
    const table = smallTable();
    expect(() => transitionsFromTable(table, { ...COLUMNS, stateColumns: ["x", "w"] })).toThrow(
      /transitionsFromTable: table has no column "w"; its columns are next_v, u, episode/,
    );
    expect(() => transitionsFromTable(table, { ...COLUMNS, actionColumns: [] })).toThrow(
      /option actionColumns must be a non-empty array/,
    );
    expect(() => transitionsFromTable(table, { ...COLUMNS, nextStateColumns: ["next_x"] })).toThrow(
      /one column per state column \(2\), got 1/,
    );
    expect(() => transitionsFromTable(table, { ...COLUMNS, colums: ["x"] } as never)).toThrow(
      /unknown option "colums"/,
    );
    const bad = {
      columns: table.columns,
      values: table.values.map((r, i) => (i === 2 ? r.map((v, j) => (j === 1 ? "0.25" : v)) : r)),
    };
    expect(() => transitionsFromTable(bad, COLUMNS)).toThrow(/row 2, column "u" must be a finite number, got "0.25"/);
    expect(() =>
      transitionsFromTable(
        { columns: ["x"], values: [] },
        { stateColumns: ["x"], actionColumns: ["x"], nextStateColumns: ["x"] },
      ),
    ).toThrow(/at least one row/);
    expect(() => transitionsFromTable({} as ColumnTable, COLUMNS)).toThrow(/like a danfo DataFrame/);
  });
});

describe("trajectoriesFromTable", () => {
  it("groups rows by episode (first occurrence first), orders them by t, and appends the last next state", () => {
    expect(trajectoriesFromTable(smallTable(), COLUMNS)).toEqual({
      states: [
        [
          [0, 0],
          [1, 1],
          [3, 2],
        ],
        [
          [5, 0],
          [4, -1],
          [2, -2],
        ],
      ],
      actions: [
        [[0.25], [0.5]],
        [[-1], [-0.5]],
      ],
    });
  });

  it("rejects unequal lengths, gaps in time and broken chains", () => {
    const t = smallTable();
    const without = (i: number) => ({ columns: t.columns, values: t.values.filter((_, k) => k !== i) });
    expect(() => trajectoriesFromTable(without(3), COLUMNS)).toThrow(/episode 2 has 1, the first has 2/);
    const gap = {
      columns: t.columns,
      values: t.values.map((r) => (r[2] === 7 && r[4] === 1 ? r.map((v, j) => (j === 4 ? 2 : v)) : r)),
    };
    expect(() => trajectoriesFromTable(gap, COLUMNS)).toThrow(
      /episode 7 must have consecutive time steps, but step 1 is missing/,
    );
    const broken = {
      columns: t.columns,
      values: t.values.map((r) => (r[2] === 2 && r[4] === 0 ? r.map((v, j) => (j === 5 ? 4.5 : v)) : r)),
    };
    expect(() => trajectoriesFromTable(broken, COLUMNS)).toThrow(/episode 2 is broken at step 0: .* by 0.5/);
    expect(trajectoriesFromTable(broken, COLUMNS, 0.5).states[1][1]).toEqual([4, -1]);
    expect(() => trajectoriesFromTable(t, { ...COLUMNS, episodeColumn: "run" })).toThrow(/no column "run"/);
  });
});

describe("on the recorded pendulum data, read with danfo", () => {
  const file = join(__dirname, "..", "..", "data", "pendulum_random.csv");
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const header = lines[0].split(",");
  const plain = (line: string) => line.split(",").map(Number);
  const pendulum = { stateColumns: ["cos_theta", "sin_theta", "theta_dot"], actionColumns: ["torque"] };

  it("gives the numbers a plain split of the CSV lines gives", async () => {
    const df = await dfd.readCSV(file);
    const data = transitionsFromTable(df, pendulum);
    expect(data.states.length).toBe(lines.length - 1);
    const col = (name: string) => header.indexOf(name);
    for (const i of [0, 1, 99, 100, 12345, lines.length - 2]) {
      const row = plain(lines[i + 1]);
      expect(data.states[i]).toEqual([row[col("cos_theta")], row[col("sin_theta")], row[col("theta_dot")]]);
      expect(data.actions[i]).toEqual([row[col("torque")]]);
      expect(data.nextStates[i]).toEqual([
        row[col("next_cos_theta")],
        row[col("next_sin_theta")],
        row[col("next_theta_dot")],
      ]);
    }
    const trajectories = trajectoriesFromTable(df, pendulum);
    expect(trajectories.states.length).toBe(200);
    expect(trajectories.states[3].length).toBe(101);
    expect(trajectories.actions[3].length).toBe(100);
    // Episode 3 starts at line 301 (header + 3·100 rows) and ends with the next state of line 400.
    expect(trajectories.states[3][0]).toEqual(plain(lines[301]).slice(2, 5));
    expect(trajectories.states[3][100]).toEqual(plain(lines[400]).slice(7, 10));
  });
});
