/**
 * Choosing the tfjs compute backend.
 *
 * Preference order: native `tensorflow` (a real tfjs-node), then `wasm`, then `cpu`.
 * The `MBRL_BACKEND` environment variable forces one of them; `MBRL_WASM_THREADS` and
 * `MBRL_WORKERS` say how many threads wasm may use.
 *
 * A real tfjs-node is detected by its backend registering, not by `require` succeeding:
 * danfojs-node's install override puts plain tfjs at `@tensorflow/tfjs-node`, which loads
 * fine but registers no `tensorflow` backend.
 */
import * as tf from "@tensorflow/tfjs";

// TensorFlow's C++ logs its start-up notes to stderr, which notebooks must keep clean; it reads
// this variable when its library loads, which may be through danfojs-node before initBackend,
// so it is set on import. A value the user set wins. (A browser has no process: nothing to set.)
processEnv().TF_CPP_MIN_LOG_LEVEL ??= "2";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export const BACKENDS: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

/** The environment variable that forces a backend. */
export const BACKEND_ENV = "MBRL_BACKEND";

export interface BackendInfo {
  /** The backend now active in tfjs. */
  name: BackendName;
  /** Why it was chosen: "forced by MBRL_BACKEND", "preferred", or the fallback reason. */
  reason: string;
  /** Backends that registered and could have been chosen. */
  available: BackendName[];
}

/** Try to load an optional package; tell only whether it loaded. */
function tryRequire(id: string): boolean {
  try {
    require(id);
    return true;
  } catch {
    return false;
  }
}

/** Whether a backend choice may pick native TensorFlow: none forced, or tensorflow forced. */
const mayUseNative = (forced: BackendName | undefined) => forced === undefined || forced === "tensorflow";

/**
 * Register every backend that can load here, and return the names that registered.
 * @param native also try native TensorFlow; by default only when MBRL_BACKEND does not force
 *   another backend: loading its library alone adds ~290 MB to the process's resident memory
 */
export function registerBackends(native = mayUseNative(forcedBackend())): BackendName[] {
  if (native) tryRequire("@tensorflow/tfjs-node");
  if (tryRequire("@tensorflow/tfjs-backend-wasm")) {
    useWasmThreads(wasmThreads());
    shareDataOnIdentity("wasm");
  }
  return BACKENDS.filter((name) => tf.findBackendFactory(name) != null);
}

/** Our Identity kernels, to tell them from the backends' own. */
const sharingIdentities = new WeakSet<tf.KernelFunc>();

/**
 * Make a backend's Identity kernel share its input's data instead of copying it. Autodiff runs
 * Identity (`tf.clone`) on every tensor it saves for the backward pass, 12 per step of a BPTT
 * rollout, and tfjs's wasm backend copies each one. tfjs's CPU and WebGL backends share the data
 * instead, as wasm's own Reshape does: tensors never change, and the backend counts references.
 */
function shareDataOnIdentity(backendName: BackendName): void {
  const registered = tf.getKernel(tf.Identity, backendName);
  if (registered === undefined || sharingIdentities.has(registered.kernelFunc)) return;
  const kernelFunc: tf.KernelFunc = ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    (backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  sharingIdentities.add(kernelFunc);
  tf.unregisterKernel(tf.Identity, backendName);
  tf.registerKernel({ kernelName: tf.Identity, backendName, kernelFunc });
}

/** The environment variable that gives the wasm backend more than one thread (Node only). */
export const WASM_THREADS_ENV = "MBRL_WASM_THREADS";

/**
 * The wasm backend's threads: MBRL_WASM_THREADS, else 1; always 1 in a browser. One by default:
 * on this project's shared 2-core machines, two threads made a CEM plan 1.3-1.8x slower and
 * small products several times slower (README, "Native speed").
 */
export function wasmThreads(env: Record<string, string | undefined> = processEnv()): number {
  const raw = env[WASM_THREADS_ENV]?.trim();
  if (!raw || typeof process === "undefined") return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new Error(`${WASM_THREADS_ENV}="${raw}" must be an integer from 1 to 8 (tfjs's wasm thread pool holds 8)`);
  }
  return n;
}

/** The environment variable that turns the row worker on (1) or off (0) (Node only). */
export const WORKERS_ENV = "MBRL_WORKERS";

/**
 * Whether big forward passes off the tape may use a second thread, the row worker
 * (src/models/fast/rowWorker.ts): MBRL_WORKERS (0 or 1), by default 1 when the machine has at
 * least two cores; never in a browser. Unlike MBRL_WASM_THREADS it leaves small operations on one
 * thread, so BPTT and model fitting pay no hand-over (README, "Native speed").
 */
export function rowWorkers(env: Record<string, string | undefined> = processEnv()): boolean {
  if (typeof process === "undefined" || !process.versions?.node) return false;
  const raw = env[WORKERS_ENV]?.trim();
  if (!raw) return cores() >= 2;
  if (raw !== "0" && raw !== "1") throw new Error(`${WORKERS_ENV}="${raw}" must be 0 or 1`);
  return raw === "1";
}

let coreCount: number | undefined;
const cores = (): number => (coreCount ??= nodeRequire("os").availableParallelism());

/** `require` of a module named at run time, which the site's browser bundler leaves alone. */
export const nodeRequire = (id: string) => require(id);

let wasmThreadsRegistered = 1;

/**
 * Make the `wasm` backend tfjs's multi-threaded build, whose matrix products (XNNPACK) split
 * their output tiles over `threads` threads. Each output element is computed by the same code
 * whatever the thread count, so the numbers do not change with it (test/unit/backend.test.ts).
 *
 * tfjs-backend-wasm uses that build only in browsers (tfjs issue #3830): its loader hands the
 * pthread workers Blob URLs, which Node's worker_threads cannot load. The build itself supports
 * Node, so here it is created with what Node can load: the worker script as a data: URL (an ES
 * module, given the `require` and `__filename` the script expects) and the factory's own file as
 * the script each worker imports. Emscripten sizes the pool from the logical cores / 2, so the
 * core count it reads is set to 2·threads; of the 8 workers it starts, those the pool did not
 * take are stopped, and the pool's own are unref'd so that they do not keep Node alive.
 */
function useWasmThreads(threads: number): void {
  if (wasmThreadsRegistered === threads) return;
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", () => threadedWasmBackend(threads), 2);
  wasmThreadsRegistered = threads;
}

/** tfjs's threaded wasm build, loaded the Node way (see `useWasmThreads`), as a tfjs backend. */
async function threadedWasmBackend(threads: number): Promise<tf.KernelBackend> {
  const path = nodeRequire("path");
  const wasm = nodeRequire("@tensorflow/tfjs-backend-wasm");
  const dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  const factoryFile = path.join(dir, "wasm-out", "tfjs-backend-wasm-threaded-simd.js");
  const workerFile = path.join(dir, "wasm-out", "tfjs-backend-wasm-threaded-simd.worker.js");
  const binary = path.join(dir, "dist", "tfjs-backend-wasm-threaded-simd.wasm");
  const prelude =
    `import { createRequire } from "node:module"; const require = createRequire(${JSON.stringify(workerFile)});` +
    `const __filename = ${JSON.stringify(workerFile)};`;
  // tfjs's own loader escapes the script's newlines the same way before loading it.
  const workerSource = prelude + nodeRequire(workerFile).wasmWorkerContents.replace(/\n/g, "\\n");
  const workerUrl = new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`);
  const module = await nodeRequire(factoryFile)({
    locateFile: (name: string) => (name.endsWith(".worker.js") ? workerUrl : binary),
    mainScriptUrlOrBlob: factoryFile,
    instantiateWasm: (imports: { env: Record<string, unknown> }, done: (i: unknown, m: unknown) => void) => {
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      webAssembly()
        .instantiate(nodeRequire("fs").readFileSync(binary), imports)
        .then((r) => done(r.instance, r.module));
      return {};
    },
  });
  // What tfjs's own loader adds to the module before handing it to the backend.
  const call = (name: string, returns: string | null, args: string[]) => module.cwrap(name, returns, args);
  module.tfjs = {
    init: call("init", null, []),
    initWithThreadsCount: call("init_with_threads_count", null, ["number"]),
    getThreadsCount: call("get_threads_count", "number", []),
    registerTensor: call("register_tensor", null, ["number", "number", "number"]),
    disposeData: call("dispose_data", null, ["number"]),
    dispose: call("dispose", null, []),
  };
  wasm.setThreadsCount(threads);
  const backend = new wasm.BackendWasm(module);
  for (const worker of module.PThread.unusedWorkers.splice(0)) worker.terminate();
  for (const worker of module.PThread.runningWorkers) worker.unref();
  return backend;
}

/** WebAssembly's instantiate (the library's ES2020 typings do not declare WebAssembly). */
function webAssembly(): {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: unknown; module: unknown }>;
} {
  return (globalThis as unknown as { WebAssembly: ReturnType<typeof webAssembly> }).WebAssembly;
}

/** The process environment, or an empty one in a browser (which has no `process`). */
export function processEnv(): Record<string, string | undefined> {
  return typeof process === "undefined" ? {} : process.env;
}

/** Parse the forced backend from the environment; throws on an unknown name. */
export function forcedBackend(env: Record<string, string | undefined> = processEnv()): BackendName | undefined {
  const raw = env[BACKEND_ENV]?.trim().toLowerCase();
  if (!raw) return undefined;
  if (!(BACKENDS as readonly string[]).includes(raw)) {
    throw new Error(`${BACKEND_ENV}="${raw}" is not a backend; expected one of ${BACKENDS.join(", ")}`);
  }
  return raw as BackendName;
}

/**
 * Pick a backend from what is available: the forced one if given, else the first of
 * BACKENDS that registered. Pure, so the choice can be tested without switching tfjs.
 */
export function chooseBackend(available: readonly BackendName[], forced?: BackendName): BackendName {
  if (forced) {
    if (!available.includes(forced)) {
      throw new Error(
        `${BACKEND_ENV}=${forced} but that backend did not register here (available: ${available.join(", ")})`,
      );
    }
    return forced;
  }
  const best = BACKENDS.find((name) => available.includes(name));
  if (!best) throw new Error("no tfjs backend registered");
  return best;
}

let active: BackendInfo | undefined;

/**
 * Select and initialise the backend once per process; later calls return the same info, unless
 * they ask for another backend (`prefer`, or MBRL_BACKEND when called without one).
 * @param prefer force a backend for this process (overrides the environment variable).
 */
export async function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  const forced = prefer ?? forcedBackend();
  // tfjs-node switches tfjs to itself when it is first loaded, even after a choice was made.
  if (active && (forced ?? active.name) === active.name && tf.getBackend() === active.name) return active;
  const available = registerBackends(mayUseNative(forced));
  const name = chooseBackend(available, forced);
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
  const reason = forced
    ? prefer
      ? "requested"
      : `forced by ${BACKEND_ENV}`
    : name === "tensorflow"
      ? "native tfjs-node is installed"
      : `tfjs-node is not installed; ${name} is the fastest available`;
  active = { name, reason, available };
  return active;
}

/** One line saying which backend is in use, for notebooks and logs. */
export function describeBackend(info: BackendInfo): string {
  const threads =
    info.name !== "wasm"
      ? ""
      : wasmThreads() > 1
        ? ` with ${wasmThreads()} threads`
        : rowWorkers()
          ? " and a second thread for big forward passes"
          : "";
  return `tfjs ${tf.version.tfjs} on the ${info.name} backend${threads} (${info.reason}; available: ${info.available.join(", ")})`;
}
