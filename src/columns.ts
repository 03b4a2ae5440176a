/**
 * A batch's columns, and a batch from columns: what `tf.split(t, k, 1)` and `tf.concat(cs, 1)`
 * do. On the wasm backend both copy along the inner axis element by element: for an (800, 3)
 * batch of pendulum states that cost more than all the step's arithmetic (about 0.17 ms against
 * 0.03 ms per op), and for a (32768, 4) point-mass batch about 6 ms. From 128 rows on, transposing
 * and working along the outer axis moves the same numbers in contiguous blocks (0.03 ms and 1 ms);
 * below, the extra ops of the transpose cost more than they save. Pure data movement either way,
 * so values and gradients are exactly those of split and concat.
 */
import * as tf from "@tensorflow/tfjs";

/** From this many rows on, go through a transpose (measured on wasm: the two ways cross at 64–128 rows). */
const TRANSPOSE_FROM_ROWS = 128;

/**
 * The columns of a batch.
 * @param t (B, k)
 * @returns k tensors (B, 1)
 */
export function columns(t: tf.Tensor2D): tf.Tensor2D[] {
  const [rows, k] = t.shape;
  if (rows < TRANSPOSE_FROM_ROWS) return tf.split(t, k, 1);
  return tf.tidy(() => tf.unstack(t.transpose()).map((c) => c.expandDims(1) as tf.Tensor2D));
}

/**
 * Columns side by side: `tf.concat(blocks, 1)`.
 * @param blocks (B, k_i) each (typed loosely: elementwise ops return rank-generic tensors)
 * @returns (B, Σ k_i)
 */
export function joinColumns(blocks: tf.Tensor[]): tf.Tensor2D {
  if (blocks[0].shape[0] < TRANSPOSE_FROM_ROWS) return tf.concat(blocks, 1) as tf.Tensor2D;
  return tf.tidy(() => {
    const transposed = blocks.map((b) => b.transpose()); // (k_i, B) each
    return tf.concat(transposed, 0).transpose() as tf.Tensor2D;
  });
}

/**
 * Blocks of columns side by side, minus `shift` if given, on plain arrays: what `joinColumns`
 * then a subtraction compute, each value one float32 subtraction (x − 0 = x without a shift).
 * @param blocks (rows, k_i) each, row-major
 * @param shift (Σ k_i)
 * @returns (rows, Σ k_i), row-major
 */
export function joinedShifted(blocks: Float32Array[], rows: number, shift?: Float32Array): Float32Array {
  const cols = blocks.reduce((sum, b) => sum + b.length / rows, 0);
  const mu = shift ?? new Float32Array(cols);
  const x = new Float32Array(rows * cols);
  let offset = 0;
  for (const values of blocks) {
    const width = values.length / rows;
    for (let r = 0, i = 0, o = offset; r < rows; r++, o += cols - width) {
      for (let j = offset; j < offset + width; j++, i++, o++) x[o] = values[i] - mu[j];
    }
    offset += width;
  }
  return x;
}
