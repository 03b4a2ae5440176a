// columns/joinColumns against tf.split/tf.concat along axis 1: the same numbers and gradients.
import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { columns, joinColumns } from "../../src/columns";
import { Rng } from "../../src/random";

describe("columns and joinColumns", () => {
  it.each([5, 300])(
    "give exactly what split and concat along the inner axis give, values and gradients (%i rows)",
    (rows) => {
      const rng = new Rng(1);
      const x = rng.normalTensor([rows, 3]) as tf.Tensor2D;
      const a = rng.normalTensor([rows, 1]) as tf.Tensor2D;
      const mine = columns(x);
      const theirs = tf.split(x, 3, 1);
      expect(mine.map((c) => c.shape)).toEqual(theirs.map((c) => c.shape));
      expect(mine.map((c) => c.arraySync())).toEqual(theirs.map((c) => c.arraySync()));
      const joined = joinColumns([a, x, a]);
      expect(joined.arraySync()).toEqual(tf.concat([a, x, a], 1).arraySync());
      // A function that reads columns and joins them again, differentiated both ways.
      const f = (useMine: boolean) => (t: tf.Tensor) => {
        const [c0, c1, c2] = useMine ? columns(t as tf.Tensor2D) : tf.split(t, 3, 1);
        const out = useMine ? joinColumns([c1.mul(c0), c2.sin(), c0]) : tf.concat([c1.mul(c0), c2.sin(), c0], 1);
        return out.square().sum();
      };
      expect(tf.grad(f(true))(x).arraySync()).toEqual(tf.grad(f(false))(x).arraySync());
      tf.dispose([x, a, joined, ...mine, ...theirs]);
    },
  );

  it.each([4, 200])("leak nothing (%i rows)", (rows) => {
    const x = tf.ones([rows, 2]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const cs = columns(x);
    const back = joinColumns(cs);
    expect(tf.memory().numTensors).toBe(before + cs.length + 1);
    tf.dispose([...cs, back]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
