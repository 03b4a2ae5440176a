/**
 * A live progress bar for long loops, updated in place (one output, replaced by display id).
 *
 * Library loops never import this: they take an `onProgress` callback, and the notebook
 * connects it to a bar, e.g. `onProgress: (p) => bar.update(p.epoch, { loss: p.trainLoss })`.
 */
import { randomBytes } from "crypto";
import type { Output } from "./output";
import { escapeHtml, show } from "./output";
import { OUTPUT_KIND } from "./plotly";
import { formatCell } from "./table";

const PROGRESS_INTERVAL_MS = 1000;

export interface ProgressOptions {
  /** What the loop does, shown before the bar. */
  label: string;
  /** Number of steps at completion. */
  total: number;
  /**
   * Minimum milliseconds between redraws; the final state is always drawn. One redraw a second
   * keeps the bar live while sending few messages (each is stored in the executed notebook's
   * history of the output). @default 1000
   */
  intervalMs?: number;
}

/** The state a bar shows. */
export interface ProgressState {
  label: string;
  done: number;
  total: number;
  metrics: Record<string, number>;
  seconds: number;
}

/** The output for one state of the bar: an HTML bar and a text line. */
export function progressOutput(s: ProgressState): Output {
  const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 1;
  const metrics = Object.entries(s.metrics)
    .map(([k, v]) => `${k}=${formatCell(v, 4)}`)
    .join("  ");
  const status = `${s.done}/${s.total}  ${metrics}  (${s.seconds.toFixed(1)} s)`;
  const width = 30;
  const filled = Math.round(frac * width);
  const text = `${s.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${status}`;
  const html = `<div class="mbrl-progress" style="font-family:monospace">${escapeHtml(s.label)}
<div style="display:inline-block;width:240px;height:10px;background:#ddd;vertical-align:middle;margin:0 8px">
<div style="width:${(frac * 100).toFixed(1)}%;height:100%;background:#1f77b4"></div></div>${escapeHtml(status)}</div>`;
  return { data: { "text/html": html, "text/plain": text }, metadata: { [OUTPUT_KIND]: { kind: "progress" } } };
}

export class ProgressBar {
  private readonly id = randomBytes(8).toString("hex");
  private readonly started = Date.now();
  private lastDraw = -Infinity;
  private shown = false;
  private state: ProgressState;

  constructor(private readonly options: ProgressOptions) {
    if (!(Number.isInteger(options.total) && options.total >= 0))
      throw new Error(`progress: total must be a non-negative integer, got ${options.total}`);
    this.state = { label: options.label, done: 0, total: options.total, metrics: {}, seconds: 0 };
    this.draw(true);
  }

  /** Record that `done` steps are complete, with the latest metrics. Redraws at most every intervalMs. */
  update(done: number, metrics: Record<string, number> = {}): void {
    this.state = { ...this.state, done, metrics, seconds: (Date.now() - this.started) / 1000 };
    this.draw(done >= this.state.total);
  }

  /** Draw the final state (call when a loop ends early). */
  finish(): void {
    this.state = { ...this.state, seconds: (Date.now() - this.started) / 1000 };
    this.draw(true);
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.options.intervalMs ?? PROGRESS_INTERVAL_MS)) return;
    this.lastDraw = now;
    show(progressOutput(this.state), this.id, this.shown);
    this.shown = true;
  }
}

/** Start a live progress bar in the current cell. */
export function progress(options: ProgressOptions): ProgressBar {
  return new ProgressBar(options);
}
