/**
 * Choosing the tfjs compute backend.
 *
 * Preference order: native `tensorflow` (a real tfjs-node), then `wasm`, then `cpu`.
 * The `MBRL_BACKEND` environment variable forces one of them.
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

/** Register every backend that can load here, and return the names that registered. */
export function registerBackends(): BackendName[] {
  tryRequire("@tensorflow/tfjs-node");
  tryRequire("@tensorflow/tfjs-backend-wasm");
  return BACKENDS.filter((name) => tf.findBackendFactory(name) != null);
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
 * Select and initialise the backend once per process; later calls return the same info.
 * @param prefer force a backend for this process (overrides the environment variable).
 */
export async function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  if (active && (!prefer || prefer === active.name)) return active;
  const available = registerBackends();
  const forced = prefer ?? forcedBackend();
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
  return `tfjs ${tf.version.tfjs} on the ${info.name} backend (${info.reason}; available: ${info.available.join(", ")})`;
}
