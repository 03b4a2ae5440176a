/** A scalar linear-quadratic task and its closed forms, shared by the BPTT and gradient tests. */
import * as tf from "@tensorflow/tfjs";
import type { Dynamics, RewardFn } from "../../src/envs/types";
import type { TrainablePolicy } from "../../src/control/bptt";

/** Scalar x' = a x + b u. */
export function scalarSystem(a: number, b: number): Dynamics {
  return {
    stateSize: 1,
    actionSize: 1,
    members: 1,
    step: (s, u) => tf.tidy(() => s.mul(a).add(u.mul(b)) as tf.Tensor2D),
  };
}

/** r = −(q x² + r u²) */
export function quadratic(q: number, r: number): RewardFn {
  return (s, u) => tf.tidy(() => s.square().mul(q).add(u.square().mul(r)).neg().reshape([-1]) as tf.Tensor1D);
}

/** u = −k x with k a variable. */
export function linearPolicy(k0: number): TrainablePolicy & { k: tf.Variable } {
  const init = tf.scalar(k0);
  const k = tf.variable(init);
  init.dispose(); // the variable keeps the data
  return { k, policy: (s) => tf.tidy(() => s.mul(k).neg() as tf.Tensor2D), variables: [k] };
}

/**
 * Closed forms for u = −k x: with c = a − b k and m = mean(x0²),
 * J(k) = −(q + r k²)·m·Σ_{t<H} c^{2t} and dJ/dk = −m·[2 r k Σ c^{2t} − b (q + r k²) Σ 2t c^{2t−1}].
 */
export function closedForm(a: number, b: number, q: number, r: number, H: number, k: number, m: number) {
  const c = a - b * k;
  let [series, dSeries] = [0, 0];
  for (let t = 0; t < H; t++) {
    series += c ** (2 * t);
    if (t > 0) dSeries += 2 * t * c ** (2 * t - 1);
  }
  return { J: -(q + r * k * k) * m * series, dJdk: -m * (2 * r * k * series - b * (q + r * k * k) * dSeries) };
}
