/** Helpers shared by the unit tests: leak counting and random matrices. */
import * as tf from "@tensorflow/tfjs";
import { add, identity, matmul, transpose, type Matrix } from "../../src/linalg";
import type { Rng } from "../../src/random";

/** Count tensors before and after running `body` a few times. */
export function leakedTensors(body: () => void, repeats = 3): number {
  body(); // first call may allocate caches (e.g. backend kernels)
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) body();
  return tf.memory().numTensors - before;
}

/** An r×c matrix of independent N(0, scale²) entries, drawn row by row. */
export function randomMatrix(rng: Rng, r: number, c: number, scale = 1): Matrix {
  return Array.from({ length: r }, () => Array.from({ length: c }, () => scale * rng.normal()));
}

/** MᵀM + 0.1·I with M = randomMatrix(n, n, scale): a random symmetric positive-definite matrix. */
export function randomSpd(rng: Rng, n: number, scale = 1): Matrix {
  const m = randomMatrix(rng, n, n, scale);
  return add(
    matmul(transpose(m), m),
    identity(n).map((row) => row.map((x) => 0.1 * x)),
  );
}
