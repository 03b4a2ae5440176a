/**
 * A thin layer of figure builders. Each returns a plain Plotly `Figure`; `showFigure`
 * displays it. Every builder requires a title and axis labels, and shows a legend, so no
 * figure in the course goes out unlabelled.
 */
import type { Figure } from "./plotly";

/** One axis: its label (with units) and whether it is logarithmic. */
export interface Axis {
  label: string;
  /** @default false */
  log?: boolean;
  /** Fixed range [min, max]; for log axes give the data range, not its log. */
  range?: [number, number];
}

/** A labelled series of (x, y) points, optionally with a shaded band [lower, upper]. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** A band around y, e.g. a 95% confidence interval; drawn as a filled area. */
  band?: { lower: ArrayLike<number>; upper: ArrayLike<number> };
  /** "lines" for curves, "markers" for points, or both. @default "lines" */
  mode?: "lines" | "markers" | "lines+markers";
  /** Error bars (half-widths) on each point. */
  errorY?: ArrayLike<number>;
  /** Dashed line, for reference curves such as closed forms. @default false */
  dash?: boolean;
  color?: string;
}

export interface PlotSpec {
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  /** Plot height in pixels. @default 420 */
  height?: number;
}

/** A qualitative palette that reads well on white and in print. */
export const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#17becf",
];

function need(text: string | undefined, what: string): string {
  if (!text || !text.trim()) throw new Error(`figure: ${what} is required`);
  return text;
}

function axisLayout(axis: Axis, which: string): Record<string, unknown> {
  const log = axis.log ?? false;
  const layout: Record<string, unknown> = {
    title: { text: need(axis.label, `${which}.label`) },
    type: log ? "log" : "linear",
    zeroline: false,
  };
  if (axis.range) layout.range = log ? axis.range.map(Math.log10) : axis.range;
  return layout;
}

/** Plotly needs plain arrays in JSON; also turns NaN/±Infinity into gaps (null). */
function values(a: ArrayLike<number>): (number | null)[] {
  return Array.from(a, (v) => (Number.isFinite(v) ? v : null));
}

function baseLayout(title: string, x: Axis, y: Axis, height = 420): Record<string, unknown> {
  return {
    title: { text: need(title, "title") },
    xaxis: axisLayout(x, "x"),
    yaxis: axisLayout(y, "y"),
    showlegend: true,
    height,
    margin: { l: 70, r: 30, t: 60, b: 60 },
    template: { layout: { font: { family: "sans-serif" } } },
  };
}

function checkLengths(s: Series): void {
  if (s.x.length !== s.y.length)
    throw new Error(`figure: series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values`);
  for (const [k, v] of [
    ["band.lower", s.band?.lower],
    ["band.upper", s.band?.upper],
    ["errorY", s.errorY],
  ] as const) {
    if (v && v.length !== s.x.length)
      throw new Error(`figure: series "${s.name}" ${k} has ${v.length} values, expected ${s.x.length}`);
  }
}

/** The traces for one series: a filled band (if any) under the line itself. */
function seriesTraces(s: Series, color: string): Record<string, unknown>[] {
  checkLengths(s);
  const traces: Record<string, unknown>[] = [];
  if (s.band) {
    const x = values(s.x);
    traces.push({
      type: "scatter",
      mode: "lines",
      name: `${s.name} band`,
      legendgroup: s.name,
      showlegend: false,
      hoverinfo: "skip",
      x: [...x, ...x.slice().reverse()],
      y: [...values(s.band.upper), ...values(s.band.lower).reverse()],
      fill: "toself",
      fillcolor: color,
      opacity: 0.2,
      line: { width: 0, color },
    });
  }
  const trace: Record<string, unknown> = {
    type: "scatter",
    mode: s.mode ?? "lines",
    name: need(s.name, "series name"),
    legendgroup: s.name,
    x: values(s.x),
    y: values(s.y),
    line: { color, dash: s.dash ? "dash" : "solid" },
    marker: { color },
  };
  if (s.errorY) trace.error_y = { type: "data", array: values(s.errorY), visible: true };
  traces.push(trace);
  return traces;
}

/** Curves (and points) against a shared x axis, each optionally with a ± band. */
export function lines(spec: PlotSpec): Figure {
  if (spec.series.length === 0) throw new Error("figure: series must not be empty");
  const data = spec.series.flatMap((s, i) => seriesTraces(s, s.color ?? PALETTE[i % PALETTE.length]));
  return {
    data,
    layout: baseLayout(spec.title, spec.x, spec.y, spec.height),
    config: { responsive: true, displaylogo: false },
  };
}

/**
 * A dashed horizontal reference at height `y` over the given x values (an optimum, a baseline's
 * score), to lay over curves that should approach it.
 * @param x the x values to draw it at (two suffice for a line)
 */
export function levelLine(name: string, x: ArrayLike<number>, y: number, color?: string): Series {
  return { name, x: Array.from(x), y: Array.from(x, () => y), dash: true, ...(color === undefined ? {} : { color }) };
}

/**
 * Dashed vertical lines at each of `xs`, spanning `yRange`, as one series (one legend entry):
 * boundaries such as the edges of a stable band.
 * @returns a series of 3·xs.length − 1 points, broken between lines
 */
export function verticalLines(
  name: string,
  xs: readonly number[],
  yRange: readonly [number, number],
  color?: string,
): Series {
  const { x, y } = pathBundle(xs.map((at) => ({ x: [at, at], y: [yRange[0], yRange[1]] })));
  return { name, x, y, dash: true, ...(color === undefined ? {} : { color }) };
}

/**
 * Means with their confidence intervals as error bars, joined by a line: one estimate per x
 * (e.g. `meanCI` of the scores at each setting).
 * @param estimates one { mean, halfWidth } per x
 */
export function meanCISeries(
  name: string,
  x: ArrayLike<number>,
  estimates: readonly { mean: number; halfWidth: number }[],
  color?: string,
): Series {
  if (estimates.length !== x.length)
    throw new Error(`meanCISeries: "${name}" has ${x.length} x values but ${estimates.length} estimates`);
  return {
    name,
    x: Array.from(x),
    y: estimates.map((e) => e.mean),
    errorY: estimates.map((e) => e.halfWidth),
    mode: "lines+markers",
    ...(color === undefined ? {} : { color }),
  };
}

/** Points only: `lines` with every series drawn as markers. */
export function scatter(spec: PlotSpec): Figure {
  return lines({ ...spec, series: spec.series.map((s) => ({ ...s, mode: s.mode ?? "markers" })) });
}

/** Paths in a plane (e.g. x–y trajectories of a point mass); equal axis scales. */
export function trajectories(spec: PlotSpec & { obstacles?: Obstacle[] }): Figure {
  const figure = lines(spec);
  // Equal scales would otherwise stretch one axis's range; "domain" shrinks the plot area instead,
  // so the ranges asked for are the ranges drawn.
  figure.layout.xaxis = { ...(figure.layout.xaxis as object), constrain: "domain" };
  figure.layout.yaxis = { ...(figure.layout.yaxis as object), scaleanchor: "x", scaleratio: 1, constrain: "domain" };
  figure.layout.shapes = (spec.obstacles ?? []).map(({ color, opacity, ...o }) => ({
    type: "rect",
    ...o,
    fillcolor: color ?? "#555",
    opacity: opacity ?? 0.6,
    line: { width: 0 },
  }));
  return figure;
}

/** A rectangle drawn under the paths of `trajectories`, in data units. */
export interface Obstacle {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Fill colour. @default "#555" */
  color?: string;
  /** @default 0.6 */
  opacity?: number;
}

/**
 * Many paths as the (x, y) of ONE series: joined end to end with a gap (NaN, drawn as a
 * break) between paths, so a fan of sampled trajectories takes one legend entry, not dozens.
 * @param paths each with x and y of equal length
 * @returns x and y of length Σ (path length + 1) − 1
 */
export function pathBundle(paths: { x: ArrayLike<number>; y: ArrayLike<number> }[]): { x: number[]; y: number[] } {
  const out = { x: [] as number[], y: [] as number[] };
  paths.forEach((p, i) => {
    if (p.x.length !== p.y.length)
      throw new Error(`pathBundle: path ${i} has ${p.x.length} x values but ${p.y.length} y values`);
    if (i > 0) {
      out.x.push(NaN);
      out.y.push(NaN);
    }
    out.x.push(...Array.from(p.x));
    out.y.push(...Array.from(p.y));
  });
  return out;
}

export interface HeatmapSpec {
  title: string;
  x: Axis & { values: ArrayLike<number> };
  y: Axis & { values: ArrayLike<number> };
  /** z[i][j] is the value at (x[j], y[i]). */
  z: ArrayLike<number>[];
  /** What the colour means, with units: shown as the colour bar's title (the legend of a heatmap). */
  zLabel: string;
  /**
   * A Plotly colour scale: a name or [fraction, colour] stops. The default suits signed values;
   * give a one-sided scale (e.g. [[0, "#f7f7f7"], [1, "#b2182b"]]) for values that are never negative.
   * @default "RdBu", reversed (low values red, high values blue)
   */
  colorscale?: string | [number, string][];
  height?: number;
}

/** A heatmap of z over a grid, with a titled colour bar as its legend. */
export function heatmap(spec: HeatmapSpec): Figure {
  if (spec.z.length !== spec.y.values.length)
    throw new Error(`heatmap: z has ${spec.z.length} rows, expected ${spec.y.values.length} (one per y value)`);
  spec.z.forEach((row, i) => {
    if (row.length !== spec.x.values.length)
      throw new Error(`heatmap: z row ${i} has ${row.length} values, expected ${spec.x.values.length}`);
  });
  const trace = {
    type: "heatmap",
    name: need(spec.zLabel, "zLabel"),
    x: values(spec.x.values),
    y: values(spec.y.values),
    z: spec.z.map(values),
    colorscale: spec.colorscale ?? "RdBu",
    reversescale: spec.colorscale === undefined,
    colorbar: { title: { text: spec.zLabel } },
  };
  return {
    data: [trace],
    layout: baseLayout(spec.title, spec.x, spec.y, spec.height),
    config: { responsive: true, displaylogo: false },
  };
}
