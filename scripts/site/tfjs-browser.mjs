// "@tensorflow/tfjs" in the site's library bundle (bundle.mjs aliases it to this file): what the
// union package sets up from tfjs-core (its gradients and the chained methods such as
// `x.reshape()`) and its cpu backend, nothing more. The union package also brings the webgl
// backend, layers, converter and data (0.7 MB of the 1.3 MB bundle), none of which the library
// calls; the wasm backend comes from src/browser.ts's own import.
import { version_core } from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import "@tensorflow/tfjs-backend-cpu";

export * from "@tensorflow/tfjs-core";
/** The union package's `tf.version` (describeBackend prints its `tfjs`): the same release as core. */
export const version = { "tfjs-core": version_core, tfjs: version_core };
