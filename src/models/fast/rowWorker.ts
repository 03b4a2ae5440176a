/**
 * Big forward passes: their layers on the kernel of simdDense.ts, and the last rows of each
 * member on a second thread (Node only).
 *
 * Why. A CEM plan through a learned ensemble steps thousands of rows through 250-unit layers,
 * and ~90% of its time is matrix products. So forward passes big enough, with no gradient being
 * recorded, on the single-threaded wasm backend, run on simdDense's kernel (about 1.3x tfjs-wasm's
 * product on these layers), and a worker thread computes the last half of each member's rows
 * while the calling thread computes the first half. tfjs's threaded wasm build
 * (MBRL_WASM_THREADS) would split every product instead, and make every small op of BPTT and
 * model fitting pay a hand-over between threads. Both threads run the same kernel on each row, so
 * the numbers are the same, bit for bit, with or without the worker (test/unit/rowWorker.test.ts).
 *
 * Hand-over. The library's API is synchronous, and so is the hand-over: messages go through a
 * MessagePort and each side counts the messages it sent in a SharedArrayBuffer, waking the other
 * with Atomics.notify. A thread blocked in Atomics.wait receives nothing through its event loop,
 * so both sides read the port with `receiveMessageOnPort`.
 *
 * Weights. Each side keeps each ensemble's forward weights A_l, c_l (mlpPasses) packed for the
 * kernel, made again only when the ensemble made them again; `forgetRows` drops them.
 *
 * Start. The worker is started by the first call that could use it and used once it is ready;
 * until then, or if it cannot start, the calling thread computes every row (same numbers). It is
 * unref'd, so it never keeps Node alive. MBRL_WORKERS=0 turns it off (`rowWorkers` in backend.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { nodeRequire, rowWorkers, wasmThreads } from "../../backend";
import { joinedShifted } from "../../columns";
import type { MemberWeights } from "./mlpPasses";
import { denseKernel, denseModule, denseRunner, type DenseRunner, type PackedLayers } from "./simdDense";

export const ROW_WORKER_DEFAULTS = {
  /**
   * Multiply-adds per member (rows × Σ_l in_l·out_l) from which a forward pass runs on the
   * kernel and is split: the hand-over costs about the same whatever the work, so it must be
   * worth it. On the mpc-cem network (68,500 per row; README, "Native speed") a step of 64 rows
   * per member was slower split, one of 128 already faster; 16 million (about 256 of its rows)
   * leaves a margin for a busier machine. A BPTT step's 256 rows through a 64-unit model (1.2
   * million) stay on tfjs.
   */
  minMultiplyAdds: 16e6,
  /** How long the calling thread waits for the worker's rows before computing them itself. */
  timeoutMs: 60_000,
};

/** The slots of the shared counters. */
const [POSTED, ANSWERED, STATE] = [0, 1, 2];
/** The worker's states in slot STATE. */
const [STARTING, READY, FAILED] = [0, 1, 2];

interface RowWorker {
  worker: { terminate(): void };
  port: { postMessage(message: unknown, transfer?: ArrayBuffer[]): void };
  receive: () => { message: Answer } | undefined;
  flags: Int32Array;
  /** Answers read so far. */
  answered: number;
  /** Each ensemble's id in the worker, and the weights last sent for it. */
  ids: WeakMap<object, number>;
  sent: WeakMap<object, MemberWeights[]>;
  nextId: number;
}

type Answer = { y?: Float32Array; models?: number; forwards?: number; error?: string };

/** The worker: undefined before the first use, null once it failed or was stopped. */
let rows: RowWorker | undefined | null;

/** How `forwardRows` makes the network's input from its blocks, and its output into the result. */
export interface RowsOptions {
  /** Subtracted from the joined input (the scaling's μ; `EnsembleLayers.apply`). */
  shift?: tf.Tensor1D;
  /** Add the first input block to the output (s' = s + …). */
  residual: boolean;
}

/** Each ensemble's weights packed for this thread's kernel (by the weights they were made from). */
const packedHere = new WeakMap<object, { weights: MemberWeights[]; packed: PackedLayers[] }>();

/**
 * The ensemble's output on simdDense's kernel, each member's last rows by the worker when it is
 * ready; or undefined when the caller should compute it with tfjs's kernels: a gradient is being
 * recorded, the work is small, or the backend is not single-threaded wasm.
 *
 * The kernel takes arrays, so the input is put together here from one read of each block,
 * joined, shifted (x − μ) and cut into each member's rows in one loop, and the output likewise,
 * with the residual added: each value one float32 subtraction or addition, as the engine's
 * kernels would compute it.
 * @param owner the ensemble the weights belong to (the key of both sides' packed copies)
 * @param inputs (M·N, width_i) each, member-major
 * @param weights per member, as made by `memberWeights`
 * @returns (M·N, out)
 */
export function forwardRows(
  owner: object,
  inputs: tf.Tensor2D[],
  weights: MemberWeights[],
  options: RowsOptions,
): tf.Tensor2D | undefined {
  const M = weights.length;
  const n = inputs[0].shape[0] / M;
  const perRow = weights[0].a.reduce((sum, a) => sum + a.shape[1] * a.shape[2], 0);
  if (n * perRow < ROW_WORKER_DEFAULTS.minMultiplyAdds || tf.engine().state.gradientDepth > 0) return undefined;
  const kernel = denseKernel();
  if (tf.getBackend() !== "wasm" || wasmThreads() > 1 || !kernel) return undefined;
  const w = readyWorker();
  const mine = w ? Math.ceil(n / 2) : n;
  const theirs = n - mine;
  const x = joinedShifted(
    inputs.map((t) => t.dataSync() as Float32Array),
    inputs[0].shape[0],
    options.shift?.dataSync() as Float32Array | undefined,
  );
  const inCols = x.length / (M * n);
  if (w) {
    const their = new Float32Array(M * theirs * inCols);
    for (let m = 0; m < M; m++)
      their.set(x.subarray((m * n + mine) * inCols, (m + 1) * n * inCols), m * theirs * inCols);
    sendWeights(w, owner, weights);
    post(w, { type: "forward", ask: true, id: w.ids.get(owner), rows: theirs, x: their }, [their.buffer]);
  }
  const packed = packFor(kernel, owner, weights);
  const here = (m: number, from: number, count: number) =>
    kernel.forward(packed[m], x.subarray((m * n + from) * inCols, (m * n + from + count) * inCols), count);
  const own = weights.map((_, m) => here(m, 0, mine));
  const y = w ? answer(w)?.y : undefined;
  const outCols = own[0].length / mine;
  const out = new Float32Array(M * n * outCols);
  for (let m = 0; m < M; m++) {
    out.set(own[m], m * n * outCols);
    if (theirs === 0) continue;
    // the worker's rows, or, if it failed, the same rows computed here
    const rest = y ? y.subarray(m * theirs * outCols, (m + 1) * theirs * outCols) : here(m, mine, theirs);
    out.set(rest, (m * n + mine) * outCols);
  }
  if (options.residual) {
    const first = inputs[0].dataSync() as Float32Array;
    for (let i = 0; i < out.length; i++) out[i] = first[i] + out[i];
  }
  return tf.tensor2d(out, [M * n, outCols]);
}

/** The ensemble's weights packed for this thread's kernel, packed again when they were made again. */
function packFor(kernel: DenseRunner, owner: object, weights: MemberWeights[]): PackedLayers[] {
  const kept = packedHere.get(owner);
  if (kept?.weights === weights) return kept.packed;
  const packed = weights.map((p) =>
    kernel.pack(
      p.a.map((t) => t.dataSync() as Float32Array),
      p.c.map((t) => t.dataSync() as Float32Array),
    ),
  );
  packedHere.set(owner, { weights, packed });
  return packed;
}

/** Tell the worker to drop an ensemble's weights (its `dispose`). */
export function forgetRows(owner: object): void {
  packedHere.delete(owner);
  const id = rows?.ids.get(owner);
  if (!rows || id === undefined) return;
  post(rows, { type: "drop", id });
  rows.ids.delete(owner);
  rows.sent.delete(owner);
}

/**
 * The worker's state, for tests: whether it started, and (asked synchronously, when it is ready)
 * how many ensembles' weights it holds and how many forward passes it has served.
 */
export function rowWorkerStatus(): {
  state: "off" | "starting" | "ready" | "failed";
  models?: number;
  forwards?: number;
} {
  if (rows === undefined) return { state: "off" };
  if (rows === null) return { state: "failed" };
  const state = Atomics.load(rows.flags, STATE);
  if (state !== READY) return { state: state === STARTING ? "starting" : "failed" };
  post(rows, { type: "count", ask: true });
  const { models, forwards } = answer(rows) ?? {};
  return { state: "ready", models, forwards };
}

/** Start the worker if it is enabled and not started yet; resolves when it is ready (true) or failed. */
export async function rowWorkerReady(): Promise<boolean> {
  readyWorker();
  while (rows && Atomics.load(rows.flags, STATE) === STARTING) await new Promise((r) => setTimeout(r, 10));
  return readyWorker() !== undefined;
}

/** The worker if it is enabled and ready; starts it on first use. */
function readyWorker(): RowWorker | undefined {
  if (!rowWorkers()) return undefined;
  rows ??= startWorker();
  return rows && Atomics.load(rows.flags, STATE) === READY ? rows : undefined;
}

function startWorker(): RowWorker | null {
  try {
    const { Worker, MessageChannel, receiveMessageOnPort } = nodeRequire("worker_threads");
    const { port1, port2 } = new MessageChannel();
    const flags = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(`(${serveRows.toString()})(require, ${denseRunner.toString()})`, {
      eval: true,
      workerData: { port: port2, flags, kernel: denseModule() },
      transferList: [port2],
    });
    worker.on("error", () => Atomics.store(flags, STATE, FAILED));
    worker.unref();
    const receive = () => receiveMessageOnPort(port1);
    return { worker, port: port1, receive, flags, answered: 0, ids: new WeakMap(), sent: new WeakMap(), nextId: 0 };
  } catch {
    return null;
  }
}

/** Send an ensemble's forward weights unless the worker has these already. */
function sendWeights(w: RowWorker, owner: object, weights: MemberWeights[]): void {
  if (w.sent.get(owner) === weights) return;
  if (!w.ids.has(owner)) w.ids.set(owner, w.nextId++);
  const members = weights.map((p) => ({ a: p.a.map((t) => t.dataSync()), c: p.c.map((t) => t.dataSync()) }));
  post(w, { type: "weights", id: w.ids.get(owner), members });
  w.sent.set(owner, weights);
}

function post(w: RowWorker, message: object, transfer: ArrayBuffer[] = []): void {
  w.port.postMessage(message, transfer);
  Atomics.add(w.flags, POSTED, 1);
  Atomics.notify(w.flags, POSTED);
}

/** Wait for the worker's next answer; undefined (and the worker stopped) if it failed or timed out. */
function answer(w: RowWorker): Answer | undefined {
  const seen = w.answered++;
  if (Atomics.wait(w.flags, ANSWERED, seen, ROW_WORKER_DEFAULTS.timeoutMs) === "timed-out") return stop(w);
  const a = w.receive()?.message;
  return a && !a.error ? a : stop(w);
}

function stop(w: RowWorker): undefined {
  w.worker.terminate();
  rows = null;
  return undefined;
}

/**
 * The worker's side, run there from its source text: it may use only its arguments and globals.
 * Its forward pass is the calling thread's: `denseRunner`, given as source text too.
 */
function serveRows(req: (id: string) => unknown, makeRunner: typeof denseRunner): void {
  const { workerData, receiveMessageOnPort } = req("worker_threads") as typeof import("worker_threads");
  const { port, flags, kernel } = workerData as {
    port: import("worker_threads").MessagePort;
    flags: Int32Array;
    kernel: Uint8Array;
  };
  const runner = makeRunner(kernel);
  const models = new Map<number, PackedLayers[]>();
  let forwards = 0;
  type Message = {
    type: string;
    ask?: boolean;
    id: number;
    rows: number;
    x: Float32Array;
    members: { a: Float32Array[]; c: Float32Array[] }[];
  };
  type Reply = { transfer?: ArrayBuffer[]; [key: string]: unknown };
  const handlers: Record<string, (m: Message) => Reply | void> = {
    weights: ({ id, members }) =>
      void models.set(
        id,
        members.map((p) => runner.pack(p.a, p.c)),
      ),
    drop: ({ id }) => void models.delete(id),
    count: () => ({ models: models.size, forwards }),
    forward: ({ id, rows, x }) => {
      const model = models.get(id) as PackedLayers[];
      const inCols = x.length / (model.length * rows);
      const outCols = model[0].layers[model[0].layers.length - 1].outputs;
      const y = new Float32Array(model.length * rows * outCols);
      model.forEach((p, m) =>
        y.set(runner.forward(p, x.subarray(m * rows * inCols, (m + 1) * rows * inCols), rows), m * rows * outCols),
      );
      forwards++;
      return { y, transfer: [y.buffer] };
    },
  };
  const reply = ({ transfer, ...message }: Reply) => {
    port.postMessage(message, transfer);
    Atomics.add(flags, 1, 1);
    Atomics.notify(flags, 1);
  };
  // The slots of the shared counters and states, as in the module: 0 POSTED, 1 ANSWERED, 2 STATE (1 READY, 2 FAILED).
  const serve = () => {
    Atomics.store(flags, 2, 1);
    for (let seen = 0; ;) {
      Atomics.wait(flags, 0, seen);
      seen = Atomics.load(flags, 0);
      for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) {
        const message = r.message as Message;
        try {
          const result = handlers[message.type](message);
          if (message.ask) reply(result as Reply);
        } catch (e) {
          if (message.ask) reply({ error: String(e) });
        }
      }
    }
  };
  serve();
}
