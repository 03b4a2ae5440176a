import { describe, it, expect, vi } from "vitest";
import * as vm from "vm";
import * as dfd from "danfojs-node";
import { wallPathsFigure } from "../../src/display/pointMassFigure";
import { claimsOutput } from "../../src/display/claims";
import {
  figureOutput,
  formatCell,
  heatmap,
  levelLine,
  lines,
  meanCISeries,
  PALETTE,
  pathBundle,
  PLOTLY_MIME,
  plotlyLoaderHtml,
  progressOutput,
  scatter,
  show,
  tableOutput,
  trajectories,
  verticalLines,
  withFallbackImage,
  type Figure,
} from "../../src/display";

const simple = (title = "A title"): Figure =>
  lines({ title, x: { label: "t (s)" }, y: { label: "x (m)" }, series: [{ name: "x", x: [0, 1, 2], y: [1, 4, 9] }] });

/** The JSON object assigned to `spec` inside a figure's script. */
function specOf(html: string): { data: unknown[]; layout: Record<string, unknown> } {
  const m = html.match(/var spec = (.*);\n/);
  if (!m) throw new Error("no spec in figure html");
  return JSON.parse(m[1]);
}

/** The JavaScript inside every <script> of an HTML string. */
function scripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
}

describe("figure outputs", () => {
  it("are one bundle: Plotly's JSON, text/html whose script holds the same figure, and text/plain", () => {
    const fig = simple();
    const out = figureOutput(fig, 1);
    expect(Object.keys(out.data).sort()).toEqual([PLOTLY_MIME, "text/html", "text/plain"]);
    expect(PLOTLY_MIME).toBe("application/vnd.plotly.v1+json");
    expect(out.data[PLOTLY_MIME]).toEqual({ data: fig.data, layout: fig.layout, config: fig.config });
    expect(out.data["text/plain"]).toBe("Figure: A title (1 trace)");
    expect(specOf(out.data["text/html"]!)).toEqual(out.data[PLOTLY_MIME]);
    expect(out.metadata).toEqual({ mbrl: { kind: "figure", traces: 1 } });
  });

  it("round numbers to six significant digits, integers and text untouched", () => {
    const fig = lines({
      title: "r",
      x: { label: "t" },
      y: { label: "y" },
      series: [{ name: "y", x: [0, 1, 123456789], y: [Math.PI, -2 / 3e7, 1e-12 / 7] }],
    });
    const out = figureOutput(fig, 1);
    const trace = (out.data[PLOTLY_MIME]!.data as { x: number[]; y: number[] }[])[0];
    expect(trace.x).toEqual([0, 1, 123456789]);
    expect(trace.y).toEqual([3.14159, -6.66667e-8, 1.42857e-13]);
    expect(specOf(out.data["text/html"]!).data).toEqual(out.data[PLOTLY_MIME]!.data);
  });

  it("carry no plotly.js and no PNG: plotly's JupyterLab renderer would show a PNG instead of drawing", () => {
    const out = figureOutput(simple(), 1);
    expect(JSON.stringify(out).length).toBeLessThan(5_000);
    expect(out.data).not.toHaveProperty("image/png");
  });

  it("cannot be broken out of by text in the figure", () => {
    const nasty = "</script><script>alert(1)</script>\u2028";
    const html = figureOutput(simple(nasty), 1).data["text/html"]!;
    expect(html.match(/<\/script/g)).toHaveLength(1); // only the closing tag of our own script
    expect(scripts(html).join("")).not.toContain("\u2028"); // a raw line separator would end a JS string early
    expect((specOf(html).layout.title as { text: string }).text).toBe(nasty);
    expect(html.match(/<script>/g)).toHaveLength(1); // the title in the placeholder is escaped too
  });

  it("get ids that are stable across runs and distinct between figures", () => {
    const id = (o: ReturnType<typeof figureOutput>) => o.data["text/html"]!.match(/id="([^"]+)"/)![1];
    expect(id(figureOutput(simple(), 1))).toBe(id(figureOutput(simple(), 1)));
    expect(id(figureOutput(simple(), 1))).not.toBe(id(figureOutput(simple(), 2)));
    expect(id(figureOutput(simple("B"), 1))).not.toBe(id(figureOutput(simple(), 1)));
  });

  it("say in the page, until plotly.js draws, that the page has not loaded it", () => {
    const html = figureOutput(simple(), 1).data["text/html"]!;
    expect(html).toMatch(
      /<div [^>]*><p class="mbrl-placeholder">Figure: A title \(1 trace\): drawn by plotly\.js, which this page has not loaded\.<\/p><\/div>/,
    );
  });

  it("take a fallback PNG in place of the placeholder, for pages only, once", () => {
    const html = figureOutput(simple(), 1).data["text/html"]!;
    const withPng = withFallbackImage(html, "iVBORw0KGgo=");
    expect(withPng).toMatch(
      /<div [^>]*><img class="mbrl-fallback" alt="Figure: A title \(1 trace\)" src="data:image\/png;base64,iVBORw0KGgo="[^>]*><\/div>/,
    );
    expect(withPng.replace(/<img[^>]*>/, "")).toBe(html.replace(/<p class="mbrl-placeholder">[^<]*<\/p>/, ""));
    expect(() => withFallbackImage(withPng, "iVBORw0KGgo=")).toThrow(/already has a fallback/);
    expect(() => withFallbackImage("<p>x</p>", "AA==")).toThrow(/not a figure output/);
  });

  it("clear the fallback image when Plotly draws", () => {
    const el = { id: "", innerHTML: "<img>", children: [] as unknown[] };
    const drawn: string[] = [];
    const window = { Plotly: { newPlot: (e: typeof el) => drawn.push(e.innerHTML) } };
    const context = vm.createContext({ window, document: { getElementById: () => el } });
    const html = withFallbackImage(figureOutput(simple(), 1).data["text/html"]!, "AA==");
    for (const js of scripts(html)) vm.runInContext(js, context);
    expect(drawn).toEqual([""]);
  });

  it("queue until the page loads plotly.js, then draw; the loader hides AMD define while it runs", () => {
    // A stand-in for the bundle the loader's <script src> brings: like plotly.js's UMD header,
    // with `define` visible it would register an AMD module instead of setting window.Plotly.
    const fakeBundle = `if (typeof define === "function") { define([], function () {}); }
      else { window.Plotly = { newPlot: function (el, data, layout) { window.drawn.push([el.id, data.length, layout.title.text]); } }; }`;
    const defineCalls: unknown[] = [];
    const window: Record<string, unknown> = { drawn: [] };
    Object.assign(window, {
      define: (...a: unknown[]) => defineCalls.push(a),
      document: { getElementById: (id: string) => ({ id, innerHTML: "x" }) },
    });
    window.window = window;
    const context = vm.createContext(window);
    for (const js of scripts(figureOutput(simple("queued"), 1).data["text/html"]!)) vm.runInContext(js, context);
    expect(window.drawn).toEqual([]); // nothing to draw with yet
    const loader = plotlyLoaderHtml("assets/plotly.min.js");
    expect(loader).toContain('<script src="assets/plotly.min.js"></script>');
    const [hide, restore] = scripts(loader);
    vm.runInContext(hide, context);
    vm.runInContext(fakeBundle, context); // what <script src> runs between the two
    vm.runInContext(restore, context);
    expect(defineCalls).toEqual([]);
    expect(typeof window.define).toBe("function");
    expect((window.drawn as unknown[])[0]).toEqual([expect.stringMatching(/^mbrl-fig-/), 1, "queued"]);
    for (const js of scripts(figureOutput(simple("direct"), 2).data["text/html"]!)) vm.runInContext(js, context);
    expect((window.drawn as unknown[][]).map((d) => d[2])).toEqual(["queued", "direct"]);
  });
});

describe("figure builders", () => {
  it("label everything and show a legend", () => {
    const fig = simple();
    expect(fig.layout).toMatchObject({
      title: { text: "A title" },
      xaxis: { title: { text: "t (s)" } },
      yaxis: { title: { text: "x (m)" } },
      showlegend: true,
    });
    expect(() =>
      lines({ title: "", x: { label: "a" }, y: { label: "b" }, series: [{ name: "s", x: [1], y: [1] }] }),
    ).toThrow(/title is required/);
    expect(() =>
      lines({ title: "t", x: { label: " " }, y: { label: "b" }, series: [{ name: "s", x: [1], y: [1] }] }),
    ).toThrow(/x.label is required/);
    expect(() => lines({ title: "t", x: { label: "a" }, y: { label: "b" }, series: [] })).toThrow(
      /series must not be empty/,
    );
  });

  it("draw a band as a closed filled trace under its line", () => {
    const fig = lines({
      title: "t",
      x: { label: "a" },
      y: { label: "b", log: true, range: [1, 100] },
      series: [{ name: "m", x: [0, 1], y: [2, 3], band: { lower: [1, 2], upper: [3, 4] } }],
    });
    expect(fig.data).toHaveLength(2);
    expect(fig.data[0]).toMatchObject({ fill: "toself", x: [0, 1, 1, 0], y: [3, 4, 2, 1], showlegend: false });
    expect(fig.layout.yaxis).toMatchObject({ type: "log", range: [0, 2] });
  });

  it("check lengths, and turn non-finite values into gaps", () => {
    expect(() =>
      lines({ title: "t", x: { label: "a" }, y: { label: "b" }, series: [{ name: "s", x: [1, 2], y: [1] }] }),
    ).toThrow(/series "s" has 2 x values but 1 y values/);
    const fig = scatter({
      title: "t",
      x: { label: "a" },
      y: { label: "b" },
      series: [{ name: "s", x: [1, 2, 3], y: [1, NaN, Infinity] }],
    });
    expect(fig.data[0]).toMatchObject({ mode: "markers", y: [1, null, null] });
  });

  it("make heatmaps with a titled colour bar and checked dimensions", () => {
    const spec = {
      title: "h",
      x: { label: "a", values: [1, 2, 3] },
      y: { label: "b", values: [1, 2] },
      zLabel: "gap",
      z: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    };
    expect(heatmap(spec).data[0]).toMatchObject({ type: "heatmap", colorbar: { title: { text: "gap" } } });
    expect(() => heatmap({ ...spec, z: [[1, 2, 3]] })).toThrow(/z has 1 rows, expected 2/);
    expect(() =>
      heatmap({
        ...spec,
        z: [
          [1, 2, 3],
          [4, 5],
        ],
      }),
    ).toThrow(/z row 1 has 2 values, expected 3/);
    expect(heatmap(spec).data[0]).toMatchObject({ colorscale: "RdBu", reversescale: true });
    const oneSided: [number, string][] = [
      [0, "#f7f7f7"],
      [1, "#b2182b"],
    ];
    expect(heatmap({ ...spec, colorscale: oneSided }).data[0]).toMatchObject({
      colorscale: oneSided,
      reversescale: false,
    });
  });

  it("draw trajectories with equal axis scales and obstacles", () => {
    const fig = trajectories({
      title: "p",
      x: { label: "x (m)" },
      y: { label: "y (m)" },
      series: [{ name: "path", x: [0, 1], y: [0, 1] }],
      obstacles: [{ x0: 0, x1: 1, y0: 2, y1: 3 }],
    });
    expect(fig.layout.yaxis).toMatchObject({ scaleanchor: "x", constrain: "domain" });
    expect(fig.layout.xaxis).toMatchObject({ constrain: "domain" }); // keeps the x range asked for
    expect(fig.layout.shapes).toEqual([
      expect.objectContaining({ type: "rect", x0: 0, x1: 1, y0: 2, y1: 3, fillcolor: "#555" }),
    ]);
  });

  it("draw the point mass's paths with the wall as each episode met it: one gap shut per episode", () => {
    const wall = { stepsToWall: 10, revealSteps: 3, gapCenter: 1.2, gapHalfWidth: 0.4, wallHalfLength: 4 };
    const episode = (gap: number, y: number) =>
      Array.from({ length: 11 }, (_, t) => [t, (y * t) / 10, t >= 7 ? gap : 0, 0]);
    const fig = wallPathsFigure("w", [episode(1, 1.2), episode(-1, -1.2), episode(1, 1.1)], wall);
    const traces = fig.data as { name: string; x: (number | null)[]; line: { color: string } }[];
    expect(traces.map((t) => t.x.filter((v) => v === 10).length)).toEqual([2, 1, 0]); // 2 upper paths, 1 lower
    expect(traces[2].x).toEqual([7, 7]); // the reveal
    const shapes = fig.layout.shapes as { y0: number; y1: number; fillcolor: string }[];
    const shut = shapes.filter((s) => s.fillcolor !== "#555");
    // the upper gap [0.8, 1.6] is drawn in the colour of the lower-gap episodes, and vice versa
    const rounded = (list: typeof shapes) => list.map((s) => [s.y0, s.y1].map((v) => Math.round(v * 1e9) / 1e9));
    expect(rounded(shut)).toEqual([
      [0.8, 1.6],
      [-1.6, -0.8],
    ]);
    expect(shut.map((s) => s.fillcolor)).toEqual([traces[1].line.color, traces[0].line.color]);
    expect(rounded(shapes.filter((s) => s.fillcolor === "#555"))).toEqual([
      [-4, -1.6],
      [-0.8, 0.8],
      [1.6, 4],
    ]);
    expect(fig.layout.xaxis).toMatchObject({ range: [-0.2, 10.5] });
  });

  it("bundle many paths into one series, broken between paths", () => {
    const bundle = pathBundle([
      { x: [0, 1], y: [5, 6] },
      { x: new Float32Array([0, 1, 2]), y: [7, 8, 9] },
      { x: [3], y: [4] },
    ]);
    expect(bundle).toEqual({ x: [0, 1, NaN, 0, 1, 2, NaN, 3], y: [5, 6, NaN, 7, 8, 9, NaN, 4] });
    expect(pathBundle([])).toEqual({ x: [], y: [] });
    // Drawn, the breaks are gaps (null) and the bundle has one legend entry.
    const fig = lines({
      title: "fan",
      x: { label: "t (s)" },
      y: { label: "x (m)" },
      series: [{ name: "paths", ...bundle }],
    });
    expect(fig.data).toHaveLength(1);
    expect(fig.data[0]).toMatchObject({ name: "paths", y: [5, 6, null, 7, 8, 9, null, 4] });
    expect(() =>
      pathBundle([
        { x: [0], y: [0] },
        { x: [0, 1], y: [0] },
      ]),
    ).toThrow(/pathBundle: path 1 has 2 x values but 1 y values/);
  });

  it("draw reference levels, vertical boundaries and means with error bars as the traces they stand for", () => {
    const fig = lines({
      title: "t",
      x: { label: "a" },
      y: { label: "b" },
      series: [
        meanCISeries(
          "score",
          [1, 5, 20],
          [
            { mean: -3, halfWidth: 0.5 },
            { mean: -2, halfWidth: 0.25 },
            { mean: -1, halfWidth: 0 },
          ],
        ),
        levelLine("untrained", [1, 5, 20], -4),
        verticalLines("stable band", [0.2, 2.2], [1, 100], "#7f7f7f"),
      ],
    });
    expect(fig.data).toHaveLength(3);
    expect(fig.data[0]).toMatchObject({
      name: "score",
      mode: "lines+markers",
      x: [1, 5, 20],
      y: [-3, -2, -1],
      error_y: { type: "data", array: [0.5, 0.25, 0], visible: true },
    });
    expect(fig.data[1]).toMatchObject({ x: [1, 5, 20], y: [-4, -4, -4], line: { dash: "dash" } });
    // Two lines joined by a gap, in the colour asked for; the level takes the palette's next colour.
    expect(fig.data[2]).toMatchObject({
      x: [0.2, 0.2, null, 2.2, 2.2],
      y: [1, 100, null, 1, 100],
      line: { dash: "dash", color: "#7f7f7f" },
    });
    expect((fig.data[1] as { line: { color: string } }).line.color).toBe(PALETTE[1]);
    expect(() => meanCISeries("s", [1, 2], [{ mean: 0, halfWidth: 1 }])).toThrow(
      /meanCISeries: "s" has 2 x values but 1 estimates/,
    );
  });
});

describe("tables", () => {
  it("render rows as an escaped HTML table with an aligned text fallback", () => {
    const out = tableOutput(
      [
        { name: "<a>", value: 1.23456 },
        { name: "b", value: 2 },
      ],
      { caption: "C & D" },
    );
    expect(out.data["text/html"]).toContain("<caption>C &amp; D</caption>");
    expect(out.data["text/html"]).toContain("<tr><td>&lt;a&gt;</td><td>1.235</td></tr>");
    expect(out.data["text/plain"]).toBe("C & D\nname  value\n <a>  1.235\n   b      2");
    expect(() => tableOutput([])).toThrow(/non-empty/);
  });

  it("render a danfo DataFrame with its index and columns", () => {
    const df = new dfd.DataFrame({ theta: [0.5, 1.5], torque: [-2, 2] });
    const html = tableOutput(df as never).data["text/html"]!;
    expect(html).toContain("<th></th><th>theta</th><th>torque</th>");
    expect(html).toContain("<tr><td>1</td><td>1.5</td><td>2</td></tr>");
  });

  it("format numbers to significant digits, integers exactly", () => {
    expect([
      formatCell(12345678),
      formatCell(0.000012345),
      formatCell(3.14159, 3),
      formatCell(NaN),
      formatCell(null),
    ]).toEqual(["12345678", "1.234e-5", "3.14", "NaN", ""]);
    expect([formatCell(166311323712677440), formatCell(1e15 - 1)]).toEqual(["1.663e+17", "999999999999999"]); // long integers are floats: exponent
  });
});

describe("progress", () => {
  it("shows the fraction done, the metrics and the elapsed time", () => {
    const out = progressOutput({ label: "fit", done: 5, total: 20, metrics: { loss: 0.5 }, seconds: 1.25 });
    expect(out.data["text/plain"]).toBe("fit [########......................] 5/20  loss=0.5  (1.3 s)");
    expect(out.data["text/html"]).toContain('style="width:25.0%');
    expect(out.metadata).toEqual({ mbrl: { kind: "progress" } });
  });
});

describe("show outside a kernel", () => {
  it("prints the plain-text part", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    show(tableOutput([{ a: 1 }]));
    expect(log).toHaveBeenCalledWith("a\n1");
    log.mockRestore();
  });
});

describe("claims output", () => {
  it("shows name and value as a table, with the exact values in metadata for the claims test", () => {
    const out = claimsOutput({ "settling angle (rad)": 0.15123456789, episodes: 32 });
    expect(out.metadata).toEqual({
      mbrl: { kind: "claims", values: { "settling angle (rad)": 0.15123456789, episodes: 32 } },
    });
    expect(out.data["text/plain"]).toContain("settling angle (rad)  0.151235");
    expect(out.data["text/html"]).toMatch(/^<table class="mbrl-table">/);
    expect(() => claimsOutput({})).toThrow(/showClaims: claims must be a non-empty object/);
    expect(() => claimsOutput({ x: Infinity })).toThrow(/showClaims: claims\["x"\] must be a finite number/);
  });
});
