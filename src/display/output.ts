/**
 * Sending outputs to the notebook.
 *
 * tslab's public `display` sends one mime type per output, but a figure needs a bundle
 * (Plotly's JSON, `text/html` and `text/plain`). The kernel's internal writer,
 * `lastWriteDisplayData` in tslab's `dist/jupyter.js`, takes whole bundles and display ids.
 * The kernel's copy of that module may not be the one `require("tslab")` would give this
 * library, so we look it up in `require.cache` by path.
 */
import * as path from "path";

/** A Jupyter mime bundle: every output carries at least `text/plain`. */
export interface MimeBundle {
  "text/plain": string;
  "text/html"?: string;
  /** A Plotly figure `{data, layout, config}`, sent as JSON (not a string). */
  "application/vnd.plotly.v1+json"?: Record<string, unknown>;
}

/** What `show` sends: the bundle plus metadata (kept for tools that read outputs). */
export interface Output {
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

type Writer = (
  msg: { data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string } },
  update: boolean,
) => void;

const JUPYTER_MODULE = path.join("tslab", "dist", "jupyter.js");
const ZEROMQ_MODULE = path.join("zeromq", "lib", "index.js");

/** The kernel's writer for the cell now running, or undefined outside a tslab kernel. */
function kernelWriter(): Writer | undefined {
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!file.endsWith(JUPYTER_MODULE)) continue;
    const writer = (mod?.exports as { lastWriteDisplayData?: Writer | null } | undefined)?.lastWriteDisplayData;
    if (writer) {
      sendImmediately();
      return writer;
    }
  }
  return undefined;
}

type Socket = { sendTimeout: number; send(message: unknown): unknown };
let sendsPatched = false;

/**
 * Make the kernel's output socket send every message at once. tslab sends outputs on a zeromq 6
 * Publisher without waiting, and zeromq hands at most 512 messages in a row to its I/O thread
 * synchronously: it defers the next one to the event loop, and a send before the loop turns
 * throws "Socket is busy writing", which kills the kernel. A cell runs synchronously, so the kernel
 * died wherever its 513th message (counted over the whole session) fell in a burst: in a long
 * loop's progress updates, or on re-running a notebook's cells. With sendTimeout 0 zeromq always
 * sends at once, and a Publisher never blocks (at its high-water mark it drops).
 */
function sendImmediately(): void {
  if (sendsPatched) return;
  for (const [file, mod] of Object.entries(require.cache)) {
    const Publisher = file.endsWith(ZEROMQ_MODULE) ? (mod?.exports?.Publisher as { prototype: Socket }) : undefined;
    if (!Publisher) continue;
    const send = Publisher.prototype.send;
    // An own property: the inherited native `send` is read-only, so plain assignment fails.
    Object.defineProperty(Publisher.prototype, "send", {
      configurable: true,
      value: function (this: Socket, message: unknown) {
        if (this.sendTimeout !== 0) this.sendTimeout = 0;
        return send.call(this, message);
      },
    });
    sendsPatched = true;
  }
}

sendImmediately(); // at import, inside a kernel: before any burst of the notebook's own output

/** True when running inside a tslab kernel that can take outputs. */
export function inKernel(): boolean {
  return kernelWriter() !== undefined;
}

/**
 * Show an output in the current cell. Outside a kernel (a script, a test) the
 * `text/plain` part is printed instead, so library demos still say something.
 * @param displayId with `update`, replaces the output first shown under this id
 */
export function show(output: Output, displayId?: string, update = false): void {
  const writer = kernelWriter();
  if (!writer) {
    if (!update) console.log(output.data["text/plain"]);
    return;
  }
  writer(
    { data: output.data, metadata: output.metadata, transient: displayId ? { display_id: displayId } : {} },
    update,
  );
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
