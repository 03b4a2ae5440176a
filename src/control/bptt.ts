/**
 * Backpropagation through time (lecture step 03): train a policy by the gradient of the
 * recursive objective J(θ) through a frozen (possibly learned) dynamics model.
 *
 * ∇θ J sums products of the Jacobians ∂f/∂s along each trajectory; they grow or shrink
 * geometrically with the horizon, so gradients explode or vanish, and we cannot choose f to
 * avoid it (it must fit the physics). So the trainer checks every loss and gradient before
 * updating (`gradientNormByHorizon` in analysis/gradientCheck measures ‖∇θ J‖ against H).
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, inRange, positive, positiveInt, type Rule } from "../checks";
import type { Rng } from "../random";
import type { Policy, System } from "../envs/types";
import { adjointLossGradient, type SquashedMlp } from "./adjoint";
import { ROLLOUT_DEFAULTS, policyObjective } from "./rollout";

/** A policy and the variables it closes over: the only things training updates. */
export interface TrainablePolicy {
  policy: Policy;
  variables: tf.Variable[];
  /**
   * What `policy` is when it is maxAction·tanh(net(s)) with `variables` the network's (as
   * `mlpPolicy` makes it): `trainBptt` then computes the gradient by the adjoint recursion
   * (adjoint.ts), the same numbers as autodiff's tape in less time. Leave it out otherwise.
   */
  squashedMlp?: SquashedMlp;
}

/** Draws n start states (n, S); the caller of the sampler disposes what it returns. */
export type StartStateSampler = (rng: Rng, n: number) => tf.Tensor2D;

/** Start states: a sampler drawing a fresh batch each time, or a fixed (B, S) batch reused. */
export type StartStates = tf.Tensor2D | StartStateSampler;

/** One iteration's numbers, measured before its update. */
export interface BpttProgress {
  /** 0-based. */
  iteration: number;
  /** loss = −J(θ), the negative mean return over the batch. */
  loss: number;
  /** ‖∇θ loss‖₂ over all policy variables, before clipping. */
  gradNorm: number;
}

/** Options of `trainBptt`. */
export interface BpttOptions {
  /** Rollout length H through the model. @default 20 */
  horizon: number;
  /** Start states per iteration; with a fixed tensor, its rows. @default 64, or the fixed tensor's rows */
  batchSize: number | undefined;
  /** Optimiser step size. @default 1e-3 */
  learningRate: number;
  /** "adam", or "sgd" whose steps show the raw gradient (Adam rescales it). @default "adam" */
  optimizer: "adam" | "sgd";
  /** Iterations: one rollout, backward pass and update each. @default 100 */
  iterations: number;
  /** Clip the global gradient norm to this before updating; undefined: no clipping. @default undefined */
  maxGradNorm: number | undefined;
  /** Discount γ of the objective. @default 1 */
  discount: number;
  /** Pass an rng to `dynamics.step` (stochastic BPTT, reparameterised noise); else mean dynamics. @default false */
  processNoise: boolean;
  /** Called after each applied update. @default undefined */
  onProgress: ((progress: BpttProgress) => void) | undefined;
}

/** What `trainBptt` returns. */
export interface BpttResult {
  /** "finished" after all iterations; "non-finite" when it stopped before a bad update. */
  status: "finished" | "non-finite";
  /** One entry per applied update. */
  history: BpttProgress[];
  /** When status is "non-finite": the iteration, and what was bad ("loss …" or "gradient of …"). */
  nonFinite?: { iteration: number; what: string };
}

export const BPTT_DEFAULTS: BpttOptions = {
  horizon: 20,
  batchSize: undefined,
  learningRate: 1e-3,
  optimizer: "adam",
  iterations: 100,
  maxGradNorm: undefined,
  discount: 1,
  processNoise: false,
  onProgress: undefined,
};

type Rules<T> = { [K in keyof T]?: Rule<T[K]> };
const optional =
  (rule: Rule<number>): Rule<number | undefined> =>
  (v) =>
    v === undefined ? undefined : rule(v);
/**
 * Fill an options object holding `batchSize`, resolved against the start states: the fixed
 * tensor's rows, else 64. Shared by `trainBptt` and `gradientNormByHorizon`.
 */
export function fillWithStartStates<T extends Pick<BpttOptions, "batchSize">>(
  where: string,
  startStates: StartStates,
  defaults: T,
  given: Partial<T> | undefined,
  rules: Rules<T>,
  stateSize: number,
): T {
  check(
    startStates instanceof tf.Tensor || typeof startStates === "function",
    where,
    "startStates must be a (B, S) tensor or a sampler (rng, n) => tensor",
  );
  const o = fillOptions<T>(where, defaults, given, { ...rules, batchSize: optional(positiveInt) } as Rules<T>);
  if (startStates instanceof tf.Tensor) {
    const [rows] = assertShape(where, "startStates", startStates, [null, stateSize]);
    check(
      o.batchSize === undefined || o.batchSize === rows,
      where,
      `option batchSize (${o.batchSize}) must equal the rows of the fixed startStates (${rows})`,
    );
    return { ...o, batchSize: rows };
  }
  return { ...o, batchSize: o.batchSize ?? 64 };
}

/**
 * A batch of start states: the fixed tensor, or n fresh ones from the sampler (checked).
 * @returns states (n, S), and `owned`: whether the caller must dispose them
 */
export function drawStartStates(
  where: string,
  starts: StartStates,
  rng: Rng,
  n: number,
  stateSize: number,
): { states: tf.Tensor2D; owned: boolean } {
  if (starts instanceof tf.Tensor) return { states: starts, owned: false };
  const states = starts(rng, n);
  try {
    assertShape(where, "sampled startStates", states, [n, stateSize]);
  } catch (error) {
    tf.dispose(states);
    throw error;
  }
  return { states, owned: true };
}

/** f's value and gradients, with [value, ‖g_0‖², ‖g_1‖², …] read from the device at once. */
function valueAndGrads(f: () => tf.Scalar, variables: tf.Variable[]) {
  return withNumbers(tf.variableGrads(f, variables), variables);
}

function withNumbers({ value, grads }: { value: tf.Scalar; grads: tf.NamedTensorMap }, variables: tf.Variable[]) {
  const numbers = tf.tidy(
    () => tf.stack([value, ...variables.map((v) => tf.sum(tf.square(grads[v.name])))]).dataSync() as Float32Array,
  );
  return { value, grads, numbers };
}

const disposeAll = (value: tf.Tensor, grads: tf.NamedTensorMap) => tf.dispose([value, ...Object.values(grads)]);
const globalNorm = (numbers: Float32Array) => Math.sqrt(numbers.slice(1).reduce((a, b) => a + b, 0));

/**
 * The value of f and the global norm of its gradient with respect to the variables, read from
 * the device in one transfer; nothing is kept. Non-finite values are returned as they are.
 */
export function valueAndGradNorm(f: () => tf.Scalar, variables: tf.Variable[]): { value: number; gradNorm: number } {
  const { value, grads, numbers } = valueAndGrads(f, variables);
  disposeAll(value, grads);
  return { value: numbers[0], gradNorm: globalNorm(numbers) };
}

/** The first non-finite number among [loss, ‖g_i‖²], described by name; undefined if all finite. */
function describeNonFinite(numbers: Float32Array, variables: tf.Variable[]): string | undefined {
  if (!Number.isFinite(numbers[0])) return `loss (${numbers[0]})`;
  const i = variables.findIndex((_, k) => !Number.isFinite(numbers[k + 1]));
  if (i < 0) return undefined;
  const v = variables[i];
  return `gradient of variables[${i}] (name "${v.name}", shape [${v.shape}]), squared norm ${numbers[i + 1]}`;
}

const sameList = <T>(a: T[], b: T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Throw unless t is a policy function with a non-empty list of variables. */
export function checkTrainable(where: string, t: TrainablePolicy): void {
  check(typeof t?.policy === "function", where, "trainable.policy must be a function (states) => actions");
  check(Array.isArray(t.variables) && t.variables.length > 0, where, "trainable.variables must be a non-empty array");
}

/**
 * Train a policy by BPTT. Each iteration unrolls π_θ through the frozen dynamics from a batch
 * of start states, differentiates loss = −J(θ) with respect to the policy's variables only,
 * optionally clips the global gradient norm, and takes one optimiser step. The loss and each
 * gradient are checked first: on a non-finite value training stops WITHOUT that update and
 * reports it, so the policy keeps its last good parameters.
 *
 * The gradient is autodiff's, through the unrolled loop; for an `mlpPolicy` through a
 * `DynamicsModel` on wasm it comes from the same backward pass written out as the adjoint
 * recursion (adjoint.ts): the same numbers, in about three quarters of the time.
 *
 * @param system the frozen dynamics (true or learned) and the reward
 * @param trainable the policy and the variables to update (the dynamics' own are left alone)
 * @param startStates a sampler called every iteration with the trainer's own child `Rng`, or
 *   a fixed (B, S) tensor used every iteration (the caller keeps ownership)
 * @param rng its first split draws the start states, its second the process noise
 * @param options see `BPTT_DEFAULTS`
 */
export function trainBptt(
  system: System,
  trainable: TrainablePolicy,
  startStates: StartStates,
  rng: Rng,
  options?: Partial<BpttOptions>,
): BpttResult {
  const where = "trainBptt";
  checkTrainable(where, trainable);
  const { dynamics } = system;
  const o = fillWithStartStates<BpttOptions>(
    where,
    startStates,
    BPTT_DEFAULTS,
    options,
    {
      horizon: positiveInt,
      learningRate: positive,
      iterations: positiveInt,
      maxGradNorm: optional(positive),
      discount: inRange(0, 1),
      optimizer: (v) => (v === "adam" || v === "sgd" ? undefined : `must be "adam" or "sgd", got ${v}`),
    },
    dynamics.stateSize,
  );
  const B = o.batchSize as number;
  const [startRng, noiseRng] = [rng.split(), rng.split()];
  const { policy, variables } = trainable;
  const optimizer = o.optimizer === "adam" ? tf.train.adam(o.learningRate) : tf.train.sgd(o.learningRate);
  const rolloutOptions = { horizon: o.horizon, discount: o.discount };
  const adjoint =
    trainable.squashedMlp && sameList(variables, trainable.squashedMlp.net.variables())
      ? trainable.squashedMlp
      : undefined;
  const history: BpttProgress[] = [];
  try {
    for (let iteration = 0; iteration < o.iterations; iteration++) {
      const starts = drawStartStates(where, startStates, startRng, B, dynamics.stateSize);
      const loss = () =>
        tf.neg(policyObjective(system, policy, starts.states, o.processNoise ? noiseRng : undefined, rolloutOptions));
      let computed;
      try {
        // (A DynamicsModel steps its mean whether or not process noise is asked for.)
        const byAdjoint =
          adjoint && adjointLossGradient(system, adjoint, starts.states, { ...ROLLOUT_DEFAULTS, ...rolloutOptions });
        computed = byAdjoint ? withNumbers(byAdjoint, variables) : valueAndGrads(loss, variables);
      } finally {
        if (starts.owned) starts.states.dispose();
      }
      const { value, grads, numbers } = computed;
      const bad = describeNonFinite(numbers, variables);
      if (bad !== undefined) {
        disposeAll(value, grads);
        return { status: "non-finite", history, nonFinite: { iteration, what: bad } };
      }
      const gradNorm = globalNorm(numbers);
      const scale = o.maxGradNorm !== undefined && gradNorm > o.maxGradNorm ? o.maxGradNorm / gradNorm : 1;
      tf.tidy(() =>
        optimizer.applyGradients(
          variables.map((v) => ({ name: v.name, tensor: scale === 1 ? grads[v.name] : grads[v.name].mul(scale) })),
        ),
      );
      disposeAll(value, grads);
      const progress = { iteration, loss: numbers[0], gradNorm };
      history.push(progress);
      o.onProgress?.(progress);
    }
  } finally {
    optimizer.dispose();
  }
  return { status: "finished", history };
}
