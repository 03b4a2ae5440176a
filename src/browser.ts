/**
 * The library for a web page (the course site's "try it" panels): the same functions the
 * notebooks call, without `display/` (which writes kernel outputs and needs Node's fs, path and
 * crypto). scripts/site/bundle.mjs bundles this file into one classic script whose global is
 * `mbrl`, with tfjs's SIMD wasm binary embedded, because a page opened from file:// may neither
 * fetch a .wasm file nor load an ES module.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { initBackend, type BackendInfo } from "./backend";

export { tf };
export { describeBackend, type BackendInfo } from "./backend";
export { Rng, rng } from "./random";
export {
  EXAM_DEFAULTS,
  EXAM_PLANS,
  examOpenLoopStrategy,
  examBestOpenLoopPlan,
  examClosedLoopStrategy,
  examMpcStrategy,
  examStrategyValue,
  examValues,
  simulateExam,
} from "./envs/examMdp";
export {
  linearGaussianTask,
  linearGaussianFeedbackPolicy,
  linearGaussianPlanCost,
  linearGaussianOpenLoopCost,
  linearGaussianFeedbackCost,
  linearGaussianRunPolicy,
  linearGaussianRunPlan,
} from "./envs/linearGaussian";
export { openLoopPlan } from "./planning/openLoopPlan";
export { openLoopObjective } from "./control/rollout";
export { shootingConditionNumber } from "./control/shootingHessian";
export { lqTask } from "./control/lqTask";
export { meanCI } from "./analysis/stats";
export { gradientNormByHorizon } from "./analysis/gradientCheck";
export { Pendulum, pendulumTask, sampleStartStates } from "./envs/pendulum";
export { MLP } from "./models/mlp";
export { loadDynamicsModel, type SavedDynamicsModel } from "./models/weights";

/**
 * Start tfjs in a page: the wasm backend from an embedded binary (a data: URL, since file://
 * pages cannot fetch one); the cpu backend without one or when wasm cannot start.
 * @param wasmSimdUrl URL of tfjs-backend-wasm-simd.wasm (e.g. a data: URL)
 */
export async function initBrowserBackend(wasmSimdUrl?: string): Promise<BackendInfo> {
  if (wasmSimdUrl === undefined) return initBackend("cpu"); // no binary: do not let tfjs go looking for one
  // tfjs wants an entry for each of its three binaries; only the SIMD one is shipped (file://
  // pages have no SharedArrayBuffer for the threaded one), so a browser that needs another
  // fails to start wasm and takes the cpu fallback below.
  setWasmPaths({
    "tfjs-backend-wasm-simd.wasm": wasmSimdUrl,
    "tfjs-backend-wasm.wasm": wasmSimdUrl,
    "tfjs-backend-wasm-threaded-simd.wasm": wasmSimdUrl,
  });
  try {
    return await initBackend();
  } catch {
    return initBackend("cpu"); // wasm refused (no WebAssembly, blocked binary): slower, same functions
  }
}
