/**
 * The fast path of the MLP, behind one seam: `MLP.forward` and `DynamicsModel.step` call
 * `EnsembleLayers`, `fitDynamics` calls `mseGradients` (its minibatch gradient, by hand on
 * the library's own kernel), BPTT's adjoint recursion (control/adjoint.ts) runs the passes on
 * that kernel too, and nothing else in the library reaches in here.
 *
 * Why it exists: on the default wasm backend, the readable forward pass (`models/reference.ts`:
 * tanh layers, one member at a time, tfjs autodiff) spends most of its time in per-kernel
 * overhead and in slow kernels (a scalar tanh, transposed products off the fast path; the
 * factors are in mlpPasses.ts and ensembleLayers.ts), and BPTT, model fitting and planning
 * run it thousands of times (npm run bench). This path computes the same function with fused
 * σ-form layers, normalisation folded into the weights, weights kept between calls and a
 * hand-written backward pass; big forward passes off the tape run on a dense-layer kernel of
 * its own (simdDense.ts), half of their rows on a second thread (rowWorker.ts), and so do
 * model fitting's whole minibatch gradient (mseGradients.ts) and BPTT's recursion.
 * Its reliance on tfjs internals is here only: tensors' `dataId` (to notice a weight change),
 * `tf.engine().state.activeTape` (to share one weights node per tape) and `.gradientDepth` (whether
 * a gradient is being recorded), beside `tf.customGrad`. The
 * equivalence tests (test/unit/fastMlp.test.ts) hold it equal to the reference, values and
 * gradients, on every backend that registers here.
 */
export { EnsembleLayers, type ApplyOptions } from "./ensembleLayers";
export { backwardMember, forwardMember, weightGradients, type MemberWeights, type Scaling } from "./mlpPasses";
export { mseGradients } from "./mseGradients";
