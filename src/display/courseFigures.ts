/**
 * Figures that notebooks 01 and 03 draw more than once, or whose construction would hide the
 * lesson in a cell: a fit's loss curves, pendulum episodes as their distance from upright, a
 * model's open-loop prediction error, training histories of several runs, and Monte Carlo
 * estimates with their intervals over a noise sweep. Each returns a `lines` figure for `showFigure`.
 */
import { pendulumAngle } from "../envs/pendulum";
import { lines, PALETTE, type Series } from "./figures";
import type { Figure } from "./plotly";

const check = (ok: boolean, where: string, message: string) => {
  if (!ok) throw new Error(`${where}: ${message}`);
};

/** One epoch of a fit, as `fitDynamics` reports it. */
export interface FitCurvePoint {
  epoch: number;
  trainLoss: number;
  /** null or absent without validation data: no validation curve is drawn then. */
  valLoss?: number | null;
}

/**
 * Training and validation loss of a model fit against the epoch, on a log axis.
 * @param history one entry per epoch (`fitDynamics`'s result)
 */
export function fitHistoryFigure(title: string, history: FitCurvePoint[]): Figure {
  check(history.length > 0, "fitHistoryFigure", "history must hold at least one epoch");
  const epochs = history.map((h) => h.epoch);
  const series: Series[] = [{ name: "training", x: epochs, y: history.map((h) => h.trainLoss), mode: "lines+markers" }];
  if (history.some((h) => h.valLoss != null)) {
    const y = history.map((h) => h.valLoss ?? NaN);
    series.push({ name: "validation (held-out transitions)", x: epochs, y, mode: "lines+markers" });
  }
  return lines({
    title,
    x: { label: "epoch" },
    y: { label: "MSE of normalised state changes (dimensionless)", log: true },
    series,
  });
}

/** Pendulum episodes drawn as one curve: their states and how to draw it. */
export interface AngleCurve {
  name: string;
  /** E episodes of T + 1 states [cos θ, sin θ, θ̇] each (`Episodes.states`). */
  states: number[][][];
  dash?: boolean;
  color?: string;
}

/**
 * The mean over episodes of the distance from upright |θ| against time, one curve per entry
 * (a single episode is its own mean).
 * @param dt seconds per step
 * @param yLabel the y axis's label; by default the mean distance from upright
 */
export function uprightDistanceFigure(
  title: string,
  curves: AngleCurve[],
  dt: number,
  options: { yLabel?: string; range?: [number, number] } = {},
): Figure {
  const where = "uprightDistanceFigure";
  check(curves.length > 0, where, "curves must hold at least one curve");
  check(dt > 0, where, `dt must be positive, got ${dt}`);
  const series = curves.map(({ name, states, dash, color }) => {
    check(states.length > 0, where, `curve "${name}" must hold at least one episode`);
    const steps = states[0].length;
    check(
      states.every((e) => e.length === steps),
      where,
      `the episodes of "${name}" must have equal lengths`,
    );
    const y = Array.from({ length: steps }, (_, t) => {
      const total = states.reduce((sum, episode) => sum + Math.abs(pendulumAngle(episode[t])), 0);
      return total / states.length;
    });
    return { name, x: y.map((_, t) => t * dt), y, dash, color };
  });
  const yLabel = options.yLabel ?? "mean distance from upright |θ| (rad)";
  return lines({ title, x: { label: "time (s)" }, y: { label: yLabel, range: options.range }, series });
}

/**
 * A model's open-loop prediction error against the horizon k = 1..K, on log axes, beside the
 * error of a guess that knows nothing (`uninformedPredictionError`), drawn dashed.
 * @param errors K mean squared errors (`predictionErrorByHorizon`)
 */
export function predictionErrorFigure(title: string, errors: number[], uninformed: number, dt: number): Figure {
  check(errors.length > 0, "predictionErrorFigure", "errors must hold at least one horizon");
  const k = errors.map((_, i) => i + 1);
  return lines({
    title,
    x: { label: `prediction horizon k (steps of ${dt} s)`, log: true },
    y: { label: "mean squared error of ŝ_k (state units²)", log: true },
    series: [
      { name: "learned model", x: k, y: errors },
      { name: "uninformed guess (2 × state variance)", x: k, y: k.map(() => uninformed), dash: true },
    ],
  });
}

/** One training run's history: per iteration, the value to draw. */
export interface HistoryCurve {
  name: string;
  iterations: number[];
  values: number[];
}

/** Several training runs' histories against the iteration, as lines with markers. */
export function trainingHistoryFigure(title: string, yLabel: string, runs: HistoryCurve[], log = false): Figure {
  check(runs.length > 0, "trainingHistoryFigure", "runs must hold at least one run");
  return lines({
    title,
    x: { label: "iteration" },
    y: { label: yLabel, log },
    series: runs.map((r) => ({ name: r.name, x: r.iterations, y: r.values, mode: "lines+markers" as const })),
  });
}

/** A mean and its 95% half-width, as `meanCI` returns them. */
interface Estimate {
  mean: number;
  halfWidth: number;
}

/** Monte Carlo estimates at several noise levels, each with its 95% interval. */
export interface EstimateSeries {
  name: string;
  estimates: Estimate[];
  color?: string;
  /** Draw the points at shift·σ, so that overlapping intervals stay apart. @default 1 */
  shift?: number;
}

/** An exact curve over a fine grid of noise levels, drawn dashed. */
export interface ExactCurve {
  name: string;
  cost: (sigma: number) => number;
  color?: string;
}

/**
 * Expected cost against the noise level σ on log–log axes: exact curves over a fine grid
 * (41 points, evenly spaced on the log axis between `range`), and Monte Carlo estimates at
 * `sigmas` with 95% error bars.
 */
export function costAgainstNoiseFigure(
  title: string,
  sigmas: number[],
  exact: ExactCurve[],
  estimates: EstimateSeries[],
  range: [number, number],
): Figure {
  const where = "costAgainstNoiseFigure";
  check(range[0] > 0 && range[1] > range[0], where, `range must be 0 < low < high, got [${range}]`);
  for (const e of estimates) {
    check(e.estimates.length === sigmas.length, where, `"${e.name}" must hold one estimate per σ (${sigmas.length})`);
  }
  const grid = Array.from({ length: 41 }, (_, i) => range[0] * (range[1] / range[0]) ** (i / 40));
  return lines({
    title,
    x: { label: "noise standard deviation σ (state units)", log: true },
    y: { label: "expected cost Σ x_t² (state units²)", log: true },
    series: [
      ...exact.map((c) => ({ name: c.name, x: grid, y: grid.map(c.cost), dash: true, color: c.color })),
      ...estimates.map((e, i) => ({
        name: e.name,
        mode: "markers" as const,
        x: sigmas.map((s) => s * (e.shift ?? 1)),
        y: e.estimates.map((m) => m.mean),
        errorY: e.estimates.map((m) => m.halfWidth),
        color: e.color ?? PALETTE[i],
      })),
    ],
  });
}
