// "@tensorflow/tfjs" in the site's library bundle (bundle.mjs aliases it to this file): tfjs-core
// and its cpu backend only. The union package also brings the webgl backend, layers, converter
// and data (0.7 MB of the 1.3 MB bundle), none of which the library calls; the wasm backend
// comes from src/browser.ts's own import.
import { version_core } from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

export * from "@tensorflow/tfjs-core";
/** The union package's `tf.version` (describeBackend prints its `tfjs`): the same release as core. */
export const version = { "tfjs-core": version_core, tfjs: version_core };
