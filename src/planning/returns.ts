/**
 * Returns of action sequences (open loop) and of policies (closed loop), batched for planners.
 *
 * The return of a sequence a_0..a_{H−1} from s_0 is Σ_{t=0}^{H−1} r(s_t, a_t, s_{t+1}). Planners
 * score thousands of sequences at once, so this is the hot path: all sequences advance
 * together with ONE `dynamics.step` per time step, and nothing is read back from the device
 * inside the time loop.
 *
 * Ensembles: a model with `members = M` splits its batch member-major, so the N sequences are
 * tiled M times (rows m·N … (m+1)·N − 1 go to member m) and the M returns of each sequence
 * are averaged. Sampled futures: with `particles = K ≥ 1` and an rng, each sequence is also
 * repeated K times, the model draws its noise, and the K returns are averaged. That average is
 * open-loop evaluation: every future must follow the same actions, whatever it reveals.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, isBoolean, nonNegativeInt } from "../checks";
import { Rng } from "../random";
import type { Dynamics, Policy, System } from "../envs/types";
import { rollout, type Actor } from "../rollout";

export interface ReturnOptions {
  /**
   * Sampled futures K per sequence. 0 scores each sequence once on the model's mean
   * (noise-free) dynamics, the certainty-equivalent choice; K ≥ 1 averages K futures whose
   * noise is drawn from the rng (which is then required). @default 0
   */
  particles: number;
  /**
   * Common random numbers: with particles ≥ 1, all N sequences of a start state meet the same K
   * futures (the same noise and the same reveals), so a comparison between candidates measures the
   * candidates, not their luck. Without it, each candidate draws its own K futures, and picking the
   * best of N noisy estimates favours lucky draws (the optimiser's curse). @default false
   */
  commonFutures: boolean;
}

export const RETURN_DEFAULTS: ReturnOptions = { particles: 0, commonFutures: false };

/**
 * An Rng whose tensor draws are shared by blocks of `block` consecutive rows: a draw of B rows takes
 * B / block rows from `base` and repeats each `block` times. In the (copy, start, sequence) layout
 * of `sequenceReturnsBatch`, a block of N rows is one future of one start under every sequence.
 * Dynamics that draw their noise as tensors with the batch first (every stochastic model here) are
 * supported; a scalar draw would not be shared, so it throws.
 */
class SharedAcrossBlocks extends Rng {
  constructor(
    private readonly base: Rng,
    private readonly block: number,
  ) {
    super(0);
  }
  private shared(shape: number[], draw: (shape: number[]) => tf.Tensor): tf.Tensor {
    check(
      shape.length >= 1 && shape[0] % this.block === 0,
      "commonFutures",
      `a draw of shape [${shape}] does not split into blocks of ${this.block} rows`,
    );
    return tf.tidy(() => {
      const rows = draw([shape[0] / this.block, ...shape.slice(1)]);
      return tf.add(tf.zeros([rows.shape[0], this.block, ...shape.slice(1)]), rows.expandDims(1)).reshape(shape);
    });
  }
  override uniformTensor(shape: number[], low = 0, high = 1): tf.Tensor {
    return this.shared(shape, (s) => this.base.uniformTensor(s, low, high));
  }
  override normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    return this.shared(shape, (s) => this.base.normalTensor(s, mean, std));
  }
  override uniform(): number {
    throw new Error("commonFutures: the dynamics drew a scalar, which cannot be shared between sequences");
  }
  override normal(): number {
    return this.uniform();
  }
}

/**
 * Repeat a batch `copies` times along its first axis, copy-major: row c·B + b is row b.
 * With copies = M this is the member-major layout of an ensemble `Dynamics`.
 * @param x (B, ...)
 * @returns (copies·B, ...)
 */
export function tileForMembers<T extends tf.Tensor>(x: T, copies: number): T {
  check(Number.isInteger(copies) && copies > 0, "tileForMembers", `copies must be a positive integer, got ${copies}`);
  check(x.rank >= 1, "tileForMembers", "x must have rank >= 1");
  // Concatenating copies gives the same result as tf.tile, and on wasm is a plain block copy
  // where tile is an index computation per element (~30x slower here).
  return tf.concat(new Array<T>(copies).fill(x), 0) as T;
}

/**
 * Each row repeated n times in a row: row p·n + i is row p.
 * @param x (P, S)
 * @returns (P·n, S)
 */
function repeatRows(x: tf.Tensor2D, n: number): tf.Tensor2D {
  const [P, S] = x.shape;
  // Broadcast, not the slow tile.
  return tf.add(tf.zeros([P, n, S]), x.expandDims(1)).reshape([P * n, S]) as tf.Tensor2D;
}

/** The copies (members × particles) each row is evaluated under. */
function copiesOf(where: string, dynamics: Dynamics, particles: number, rng: Rng | undefined): number {
  check(
    Number.isInteger(dynamics.members) && dynamics.members > 0,
    where,
    `dynamics.members must be a positive integer, got ${dynamics.members}`,
  );
  check(
    particles === 0 || rng !== undefined,
    where,
    `option particles = ${particles} draws sampled futures and needs an rng`,
  );
  return dynamics.members * Math.max(particles, 1);
}

/**
 * Σ_t r(s_t, a_t, s_{t+1}) for a batch of B rows, with a_t = act(s_t, t). Streamed: the states
 * and the running total are the only tensors carried from one step to the next.
 * @param states (B, S)
 * @returns (B), kept out of every tidy: the caller disposes it
 */
function accumulate(
  where: string,
  system: System,
  states: tf.Tensor2D,
  horizon: number,
  act: Actor,
  rng: Rng | undefined,
): tf.Tensor1D {
  let total = tf.zeros([states.shape[0]]) as tf.Tensor1D;
  try {
    const last = rollout(system, act, states, rng, { steps: horizon, where }, ({ rewards }) => {
      const sum = tf.keep(total.add(rewards!) as tf.Tensor1D);
      total.dispose();
      total = sum;
    });
    if (last !== states) last.dispose();
    return total;
  } catch (error) {
    total.dispose();
    throw error;
  }
}

/**
 * Returns of N action sequences from each of P start states, averaged over ensemble members
 * (and sampled futures). The caller disposes the result.
 * @param sequences (P, N, H, A): N sequences per start state
 * @param starts (P, S)
 * @param rng noise for the sampled futures; required iff particles ≥ 1
 * @returns (P, N)
 */
export function sequenceReturnsBatch(
  system: System,
  sequences: tf.Tensor4D,
  starts: tf.Tensor2D,
  rng?: Rng,
  options?: Partial<ReturnOptions>,
): tf.Tensor2D {
  const where = "sequenceReturnsBatch";
  const o = fillOptions(where, RETURN_DEFAULTS, options, { particles: nonNegativeInt, commonFutures: isBoolean });
  const [P] = assertShape(where, "starts", starts, [null, system.dynamics.stateSize]);
  const [, N, H, A] = assertShape(where, "sequences", sequences, [P, null, null, system.dynamics.actionSize]);
  check(P > 0 && N > 0, where, `starts and sequences must hold at least one row and sequence, got P = ${P}, N = ${N}`);
  check(H > 0, where, "sequences must have a horizon H >= 1 (their third axis)");
  const copies = copiesOf(where, system.dynamics, o.particles, rng);
  const noise = o.particles > 0 && rng ? (o.commonFutures ? new SharedAcrossBlocks(rng, N) : rng) : undefined;
  return tf.tidy(() => {
    // Row (c, p, n) of the big batch: copy c of start p under sequence n.
    const s0 = tileForMembers(repeatRows(starts, N), copies);
    // Time-major first, so that each step's actions are one contiguous block to cut out.
    const byTime = tf.unstack(tf.transpose(sequences.reshape([P * N, H, A]), [1, 0, 2])) as tf.Tensor2D[];
    const byStep = byTime.map((a) => tileForMembers(a, copies)); // H tensors (copies·P·N, A)
    const total = accumulate(where, system, s0, H, (_, t) => byStep[t], noise);
    const mean = total
      .reshape([copies, P * N])
      .mean(0)
      .reshape([P, N]) as tf.Tensor2D;
    total.dispose();
    return mean;
  });
}

/**
 * Returns of N action sequences from one start state, averaged over ensemble members (and
 * sampled futures). The caller disposes the result.
 * @param sequences (N, H, A)
 * @param start (S)
 * @param rng noise for the sampled futures; required iff particles ≥ 1
 * @returns (N)
 */
export function sequenceReturns(
  system: System,
  sequences: tf.Tensor3D,
  start: tf.Tensor1D,
  rng?: Rng,
  options?: Partial<ReturnOptions>,
): tf.Tensor1D {
  const where = "sequenceReturns";
  const [S] = assertShape(where, "start", start, [system.dynamics.stateSize]);
  const [N, H, A] = assertShape(where, "sequences", sequences, [null, null, system.dynamics.actionSize]);
  return tf.tidy(() => {
    const r = sequenceReturnsBatch(system, sequences.reshape([1, N, H, A]), start.reshape([1, S]), rng, options);
    return r.reshape([N]) as tf.Tensor1D;
  });
}

/**
 * Closed-loop returns: the policy chooses a_t = π(s_t) from the state it reaches, for each of
 * E start states, averaged over ensemble members. With an rng, stochastic dynamics draw their
 * noise from it; without, they step their mean. The caller disposes the result.
 * @param starts (E, S)
 * @param rng process noise, or undefined for the mean dynamics
 * @param options.horizon H ≥ 1, the steps of each rollout
 * @returns (E)
 */
export function closedLoopReturns(
  system: System,
  policy: Policy,
  starts: tf.Tensor2D,
  rng: Rng | undefined,
  options: { horizon: number },
): tf.Tensor1D {
  const where = "closedLoopReturns";
  const [E] = assertShape(where, "starts", starts, [null, system.dynamics.stateSize]);
  check(E > 0, where, "starts must hold at least one row");
  const horizon = options?.horizon;
  check(Number.isInteger(horizon) && horizon > 0, where, `option horizon must be a positive integer, got ${horizon}`);
  const M = copiesOf(where, system.dynamics, 0, rng);
  return tf.tidy(() => {
    const total = accumulate(where, system, tileForMembers(starts, M), horizon, (s) => policy(s), rng);
    const mean = total.reshape([M, E]).mean(0) as tf.Tensor1D;
    total.dispose();
    return mean;
  });
}
