/**
 * A seeded, splittable random number generator.
 *
 * Every random draw in the library comes from an `Rng` passed in explicitly, so re-running a
 * notebook reproduces its numbers. `split()` derives independent child streams, so one part
 * of an experiment can draw more or fewer numbers without shifting what the others see.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state),
 * seeded through splitmix32 so that nearby seeds give unrelated streams.
 */
import * as tf from "@tensorflow/tfjs";

/** splitmix32: a strong 32-bit mixer used to expand seeds into generator state. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
}

function checkShape(shape: readonly number[]): number {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new Error(`shape must hold non-negative integers, got [${shape.join(", ")}]`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** A cached second normal from the Box-Muller pair. */
  private spare: number | undefined;

  /** @param seed any integer; equal seeds give equal streams. */
  constructor(seed: number) {
    checkSeed(seed);
    let s = seed | 0;
    const next = () => (s = splitmix32(s));
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32(); // warm up past the seeding pattern
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform draw in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A standard normal draw (Box-Muller, both values of each pair used). */
  normal(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    const u = 1 - this.uniform(); // in (0, 1], so log(u) is finite
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`int(n): n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new Error(`bernoulli(p): p must be in [0, 1], got ${p}`);
    return this.uniform() < p;
  }

  /**
   * A new, independent generator. The parent advances, so successive splits differ;
   * the child's stream does not overlap the parent's in any practical sense.
   */
  split(): Rng {
    const child = new Rng(0);
    child.a = splitmix32(this.nextUint32());
    child.b = splitmix32(this.nextUint32() ^ 0x632be5ab);
    child.c = splitmix32(this.nextUint32() ^ 0x85157af5);
    child.d = splitmix32(this.nextUint32() ^ 0x5851f42d);
    for (let i = 0; i < 12; i++) child.nextUint32();
    return child;
  }

  /** n independent generators, e.g. one per ensemble member or per episode. */
  splitN(n: number): Rng[] {
    return Array.from({ length: n }, () => this.split());
  }

  /** A Fisher-Yates shuffled copy of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** n draws from U[low, high). */
  uniformArray(n: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(checkShape([n]));
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  /** n draws from N(mean, std²). */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(checkShape([n]));
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** A tensor of the given shape with entries from U[low, high). */
  uniformTensor(shape: number[], low = 0, high = 1): tf.Tensor {
    return tf.tensor(this.uniformArray(checkShape(shape), low, high), shape, "float32");
  }

  /** A tensor of the given shape with entries from N(mean, std²). */
  normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    return tf.tensor(this.normalArray(checkShape(shape), mean, std), shape, "float32");
  }
}

/** Shorthand for `new Rng(seed)`. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
