// The course's recurring figures (display/courseFigures.ts) and the uninformed-guess yardstick:
// figure specs checked trace by trace against values computed here by hand.
import { describe, it, expect } from "vitest";
import {
  costAgainstNoiseFigure,
  fitHistoryFigure,
  predictionErrorFigure,
  trainingHistoryFigure,
  uprightDistanceFigure,
} from "../../src/display";
import { Pendulum } from "../../src/envs/pendulum";
import { uninformedPredictionError } from "../../src/models/predictionError";

type Trace = { name: string; x: (number | null)[]; y: (number | null)[]; mode: string; line: { dash: string } };
const traces = (f: { data: unknown[] }) => f.data as Trace[];

describe("course figures", () => {
  it("fitHistoryFigure: training and validation loss per epoch on a log axis; no validation curve without it", () => {
    const history = [
      { epoch: 1, trainLoss: 0.5, valLoss: 0.6 },
      { epoch: 2, trainLoss: 0.2, valLoss: 0.3 },
    ];
    const fig = fitHistoryFigure("Fit", history);
    expect(traces(fig).map((t) => [t.name, t.x, t.y])).toEqual([
      ["training", [1, 2], [0.5, 0.2]],
      ["validation (held-out transitions)", [1, 2], [0.6, 0.3]],
    ]);
    expect(fig.layout.yaxis).toMatchObject({ type: "log" });
    const noValidation = fitHistoryFigure("Fit", [{ epoch: 1, trainLoss: 1, valLoss: null }]);
    expect(traces(noValidation).map((t) => t.name)).toEqual(["training"]);
    expect(() => fitHistoryFigure("Fit", [])).toThrow(/fitHistoryFigure: history must hold at least one epoch/);
  });

  it("uprightDistanceFigure: the mean over episodes of |θ| at every step, against time", () => {
    const state = (theta: number) => Pendulum.stateOf(theta, 0);
    const episodes = [
      [state(Math.PI), state(0.5), state(-0.1)],
      [state(-3), state(-0.3), state(0.1)],
    ];
    const fig = uprightDistanceFigure("Angles", [{ name: "runs", states: episodes, dash: true }], 0.05);
    const [t] = traces(fig);
    expect(t.x).toEqual([0, 0.05, 0.1]);
    const expected = [(Math.PI + 3) / 2, 0.4, 0.1];
    t.y.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
    expect(t.line.dash).toBe("dash");
    const ranged = uprightDistanceFigure("A", [{ name: "one", states: [episodes[0]] }], 0.05, {
      yLabel: "|θ| (rad)",
      range: [0, 3.3],
    });
    expect(ranged.layout.yaxis).toMatchObject({ title: { text: "|θ| (rad)" }, range: [0, 3.3] });
    expect(() =>
      uprightDistanceFigure("A", [{ name: "bad", states: [episodes[0], episodes[1].slice(1)] }], 0.05),
    ).toThrow(/uprightDistanceFigure: the episodes of "bad" must have equal lengths/);
    expect(() => uprightDistanceFigure("A", [{ name: "x", states: episodes }], 0)).toThrow(/dt must be positive/);
  });

  it("predictionErrorFigure: error against k = 1..K on log axes, beside a flat dashed yardstick", () => {
    const fig = predictionErrorFigure("Errors", [0.1, 0.4, 0.9], 2, 0.05);
    const [model, guess] = traces(fig);
    expect([model.x, model.y]).toEqual([
      [1, 2, 3],
      [0.1, 0.4, 0.9],
    ]);
    expect([guess.y, guess.line.dash]).toEqual([[2, 2, 2], "dash"]);
    expect(fig.layout.xaxis).toMatchObject({ type: "log", title: { text: "prediction horizon k (steps of 0.05 s)" } });
  });

  it("trainingHistoryFigure: one line with markers per run", () => {
    const runs = [
      { name: "H = 10", iterations: [0, 1], values: [3, 2] },
      { name: "H = 50", iterations: [0, 1], values: [5, 9] },
    ];
    const fig = trainingHistoryFigure("Runs", "‖∇J‖", runs, true);
    expect(traces(fig).map((t) => [t.name, t.mode, t.y])).toEqual([
      ["H = 10", "lines+markers", [3, 2]],
      ["H = 50", "lines+markers", [5, 9]],
    ]);
    expect(fig.layout.yaxis).toMatchObject({ type: "log" });
  });

  it("costAgainstNoiseFigure: exact curves on a log-spaced grid, estimates with error bars, shifted on request", () => {
    const fig = costAgainstNoiseFigure(
      "Costs",
      [0.5, 1],
      [{ name: "exact σ²", cost: (s) => s * s }],
      [
        {
          name: "Monte Carlo",
          estimates: [
            { mean: 0.3, halfWidth: 0.1 },
            { mean: 1.1, halfWidth: 0.2 },
          ],
        },
        {
          name: "shifted",
          estimates: [
            { mean: 0.2, halfWidth: 0 },
            { mean: 0.9, halfWidth: 0 },
          ],
          shift: 1.05,
        },
      ],
      [0.2, 2.4],
    );
    const [exact, mc, shifted] = fig.data as (Trace & { error_y: { array: number[] } })[];
    expect(exact.x).toHaveLength(41);
    expect(exact.x[0]).toBeCloseTo(0.2, 12);
    expect(exact.x[40]).toBeCloseTo(2.4, 12);
    expect(exact.x[20]).toBeCloseTo(Math.sqrt(0.2 * 2.4), 12); // the middle of a log-spaced grid
    exact.y.forEach((v, i) => expect(v).toBeCloseTo(exact.x[i]! ** 2, 12));
    expect([mc.x, mc.y, mc.error_y.array, mc.mode]).toEqual([[0.5, 1], [0.3, 1.1], [0.1, 0.2], "markers"]);
    expect(shifted.x).toEqual([0.5 * 1.05, 1.05]);
    expect(() =>
      costAgainstNoiseFigure("C", [1, 2], [], [{ name: "short", estimates: [{ mean: 1, halfWidth: 0 }] }], [0.1, 1]),
    ).toThrow(/"short" must hold one estimate per σ \(2\)/);
  });
});

describe("uninformedPredictionError", () => {
  it("is the mean squared difference between two states drawn independently from the data", () => {
    const states = [
      [1, 0, 2],
      [0, 1, -1],
      [-1, 0.5, 3],
      [0.2, -0.7, 0],
    ];
    // Every ordered pair (i, j), i = j included: independent draws with replacement.
    let total = 0;
    for (const a of states) for (const b of states) total += a.reduce((s, v, d) => s + (v - b[d]) ** 2, 0) / 3;
    expect(uninformedPredictionError(states)).toBeCloseTo(total / states.length ** 2, 12);
    expect(uninformedPredictionError([[4, 5]])).toBe(0);
    expect(() => uninformedPredictionError([])).toThrow(/uninformedPredictionError: states must hold at least one/);
    expect(() => uninformedPredictionError([[1, 2], [3]])).toThrow(
      /uninformedPredictionError: states must be rows of 2/,
    );
  });
});
