/**
 * Backpropagation through time: training a policy by the gradient of the recursive objective
 * J(θ) through a (possibly learned, frozen) dynamics model (lecture step 03).
 *
 * ∇θ J sums, over every step, products of the Jacobians ∂f/∂s along the trajectory. Those
 * products grow or shrink geometrically with the horizon, so gradients explode or vanish; and
 * unlike an RNN designer we cannot choose f, it must fit the physics. The trainer therefore
 * checks every loss and gradient before it applies an update, and `gradientNormByHorizon`
 * measures ‖∇θ J‖ against H.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, inRange, positive, positiveInt, type Rule } from "../checks";
import { Rng } from "../random";
import type { Dynamics, Policy, RewardFn } from "../envs/types";
import { policyObjective } from "./rollout";

/** A policy together with the variables it closes over: the only things training updates. */
export interface TrainablePolicy {
  policy: Policy;
  variables: tf.Variable[];
}

/**
 * Draws n start states; called once per iteration. The caller's function owns no output:
 * the trainer disposes the tensor it returns.
 * @returns (n, S)
 */
export type StartStateSampler = (rng: Rng, n: number) => tf.Tensor2D;

/** Start states: a sampler drawing a fresh batch each time, or a fixed batch (B, S) reused. */
export type StartStates = tf.Tensor2D | StartStateSampler;

/** One training iteration's numbers, measured before its update was applied. */
export interface BpttProgress {
  /** 0-based iteration. */
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
  /** Where start states come from: a sampler called every iteration with the trainer's own child `Rng`, or a fixed (B, S) tensor used every iteration (the caller keeps ownership). @default none: required */
  startStates: StartStates;
  /** Start states per iteration. With a fixed tensor it defaults to, and must equal, its rows. @default 64 with a sampler; the tensor's rows with a fixed batch */
  batchSize: number | undefined;
  /** Step size of the optimiser. @default 1e-3 */
  learningRate: number;
  /** "adam" (the usual choice) or "sgd" (plain gradient steps, whose size shows the raw gradient: Adam rescales it away). @default "adam" */
  optimizer: "adam" | "sgd";
  /** Training iterations (one rollout, backward pass and update each). @default 100 */
  iterations: number;
  /** Clip the global gradient norm to this value before the update; undefined means no clipping. @default undefined */
  maxGradNorm: number | undefined;
  /** Discount γ of the rollout objective. @default 1 */
  discount: number;
  /** Roll out with process noise (`dynamics.step` receives an rng): stochastic BPTT through a reparameterised model. Off means the dynamics step their mean. @default false */
  processNoise: boolean;
  /** Seed of the trainer's `Rng` (start states and process noise). @default 0 */
  seed: number;
  /** Called after each applied update with plain numbers. @default undefined */
  onProgress: ((progress: BpttProgress) => void) | undefined;
}

/** Which iteration went non-finite, and what: "loss" or a named variable's gradient. */
export interface NonFiniteReport {
  iteration: number;
  what: string;
}

/** What `trainBptt` returns. */
export interface BpttResult {
  /** "finished" after all iterations; "non-finite" when it stopped before a bad update. */
  status: "finished" | "non-finite";
  /** One entry per applied update. */
  history: BpttProgress[];
  /** Set when status is "non-finite". The policy keeps its last good (finite) values. */
  nonFinite?: NonFiniteReport;
}

const DEFAULTS: Omit<BpttOptions, "startStates"> = {
  horizon: 20, batchSize: undefined, learningRate: 1e-3, optimizer: "adam", iterations: 100,
  maxGradNorm: undefined, discount: 1, processNoise: false, seed: 0, onProgress: undefined,
};

const optional = (rule: Rule<number>): Rule<number | undefined> => (v) => (v === undefined ? undefined : rule(v));
const startStatesRule: Rule<StartStates> = (v) =>
  v instanceof tf.Tensor || typeof v === "function" ? undefined : "must be a (B, S) tensor or a sampler (rng, n) => tensor";

/** Fill options shared by the trainer and the gradient-norm sweep; resolves the batch size. */
function fillWithStarts<T extends { startStates: StartStates; batchSize: number | undefined }>(
  where: string, defaults: Omit<T, "startStates">, given: Partial<T> | undefined, rules: { [K in keyof T]?: Rule<T[K]> },
  stateSize: number,
): T {
  const o = fillOptions<T>(where, { ...defaults, startStates: given?.startStates } as T, given,
    { ...rules, startStates: startStatesRule, batchSize: optional(positiveInt) } as { [K in keyof T]?: Rule<T[K]> });
  if (o.startStates instanceof tf.Tensor) {
    const [rows] = assertShape(where, "options.startStates", o.startStates, [null, stateSize]);
    check(o.batchSize === undefined || o.batchSize === rows, where,
      `option batchSize (${o.batchSize}) must equal the rows of the fixed startStates (${rows})`);
    return { ...o, batchSize: rows };
  }
  return { ...o, batchSize: o.batchSize ?? 64 };
}

/** This iteration's start states (B, S); `owned` tells whether the caller must dispose them. */
function drawStarts(where: string, starts: StartStates, rng: Rng, n: number, stateSize: number) {
  if (starts instanceof tf.Tensor) return { states: starts, owned: false };
  const states = starts(rng, n);
  assertShape(where, "sampled startStates", states, [n, stateSize]);
  return { states, owned: true };
}

/**
 * The value and gradients of f with respect to the variables, and their squared norms, read
 * from the device in ONE transfer: [value, ‖g_0‖², ‖g_1‖², …].
 */
function valueAndGrads(f: () => tf.Scalar, variables: tf.Variable[]) {
  const { value, grads } = tf.variableGrads(f, variables);
  const numbers = tf.tidy(() =>
    tf.stack([value, ...variables.map((v) => tf.sum(tf.square(grads[v.name])))]).dataSync() as Float32Array);
  return { value, grads, numbers };
}

function disposeAll(value: tf.Tensor, grads: tf.NamedTensorMap): void {
  value.dispose();
  tf.dispose(Object.values(grads));
}

/** The first non-finite number among [loss, ‖g_i‖²], described by name; undefined if all finite. */
function describeNonFinite(numbers: Float32Array, variables: tf.Variable[]): string | undefined {
  if (!Number.isFinite(numbers[0])) return `loss (${numbers[0]})`;
  const i = variables.findIndex((_, k) => !Number.isFinite(numbers[k + 1]));
  if (i < 0) return undefined;
  const v = variables[i];
  return `gradient of variables[${i}] (name "${v.name}", shape [${v.shape}]): its squared norm is ${numbers[i + 1]}`;
}

function checkTrainable(where: string, trainable: TrainablePolicy): void {
  check(typeof trainable?.policy === "function", where, "trainable.policy must be a function (states) => actions");
  check(Array.isArray(trainable.variables) && trainable.variables.length > 0, where,
    "trainable.variables must be a non-empty array of tf.Variable");
}

/**
 * Train a policy by BPTT: each iteration unrolls π_θ through the frozen dynamics from a batch
 * of start states, differentiates loss = −J(θ) with respect to the policy's variables only,
 * optionally clips the global gradient norm, and takes one optimiser step.
 *
 * Before every update the loss and each variable's gradient are checked; on a non-finite value
 * training stops WITHOUT applying that update and reports the iteration and what went bad, so
 * the policy keeps its last good parameters.
 *
 * @param trainable the policy and the variables to update (the dynamics' own are left alone)
 * @param options see `BpttOptions`; `startStates` (B, S) or a sampler is required
 */
export function trainBptt(
  dynamics: Dynamics, reward: RewardFn, trainable: TrainablePolicy,
  options: Partial<BpttOptions> & Pick<BpttOptions, "startStates">,
): BpttResult {
  const where = "trainBptt";
  checkTrainable(where, trainable);
  const o = fillWithStarts<BpttOptions>(where, DEFAULTS, options, {
    horizon: positiveInt, learningRate: positive, iterations: positiveInt, maxGradNorm: optional(positive),
    discount: inRange(0, 1), seed: (v) => (Number.isInteger(v) ? undefined : `must be an integer, got ${v}`),
    optimizer: (v) => (v === "adam" || v === "sgd" ? undefined : `must be "adam" or "sgd", got ${v}`),
  }, dynamics.stateSize);
  const B = o.batchSize as number;
  const rng = new Rng(o.seed);
  const [startRng, noiseRng] = [rng.split(), rng.split()];
  const { policy, variables } = trainable;
  const optimizer = o.optimizer === "adam" ? tf.train.adam(o.learningRate) : tf.train.sgd(o.learningRate);
  const history: BpttProgress[] = [];
  try {
    for (let iteration = 0; iteration < o.iterations; iteration++) {
      const starts = drawStarts(where, o.startStates, startRng, B, dynamics.stateSize);
      const loss = () => tf.neg(policyObjective(dynamics, reward, policy, starts.states, o.horizon,
        { discount: o.discount, rng: o.processNoise ? noiseRng : undefined }));
      const { value, grads, numbers } = valueAndGrads(loss, variables);
      if (starts.owned) starts.states.dispose();
      const bad = describeNonFinite(numbers, variables);
      if (bad !== undefined) {
        disposeAll(value, grads);
        return { status: "non-finite", history, nonFinite: { iteration, what: bad } };
      }
      const gradNorm = Math.sqrt(numbers.slice(1).reduce((a, b) => a + b, 0));
      const scale = o.maxGradNorm !== undefined && gradNorm > o.maxGradNorm ? o.maxGradNorm / gradNorm : 1;
      tf.tidy(() => optimizer.applyGradients(
        variables.map((v) => ({ name: v.name, tensor: scale === 1 ? grads[v.name] : grads[v.name].mul(scale) }))));
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

/** Options of `gradientNormByHorizon`. */
export interface GradientNormOptions {
  /** Horizons H at which to measure ‖∇θ J‖. @default [1, 2, 5, 10, 20, 50, 100] */
  horizons: number[];
  /** One measurement per seed and horizon; the seed draws the start states (shared by all horizons) and, when the policy is given as a factory, the policy's initial parameters. @default [0, 1, 2] */
  seeds: number[];
  /** A sampler or a fixed (B, S) batch, as in `trainBptt`. @default none: required */
  startStates: StartStates;
  /** Start states per measurement; with a fixed tensor, its rows. @default 64 with a sampler; the tensor's rows with a fixed batch */
  batchSize: number | undefined;
  /** Discount γ of the objective. @default 1 */
  discount: number;
}

/** One measurement: plain numbers for a table or a log-scale plot. */
export interface GradientNormPoint {
  horizon: number;
  seed: number;
  /** J(θ), the mean return. */
  objective: number;
  /** ‖∇θ J‖₂ over all policy variables. */
  gradNorm: number;
  /** False when J or the gradient is non-finite: exclude the point from plots, report it. */
  finite: boolean;
}

const NORM_DEFAULTS: Omit<GradientNormOptions, "startStates"> = {
  horizons: [1, 2, 5, 10, 20, 50, 100], seeds: [0, 1, 2], batchSize: undefined, discount: 1,
};

/**
 * ‖∇θ J‖ against the horizon, for the exploding/vanishing-gradient plots. Nothing is trained.
 * @param trainable a fixed policy, or a factory making a fresh one per seed (its variables are
 *   disposed after that seed's measurements)
 * @returns one point per (seed, horizon), seeds outermost
 */
export function gradientNormByHorizon(
  dynamics: Dynamics, reward: RewardFn, trainable: TrainablePolicy | ((rng: Rng) => TrainablePolicy),
  options: Partial<GradientNormOptions> & Pick<GradientNormOptions, "startStates">,
): GradientNormPoint[] {
  const where = "gradientNormByHorizon";
  const o = fillWithStarts<GradientNormOptions>(where, NORM_DEFAULTS, options, {
    horizons: (v) => (Array.isArray(v) && v.length > 0 && v.every((h) => positiveInt(h) === undefined)
      ? undefined : `must be a non-empty array of positive integers, got [${v}]`),
    seeds: (v) => (Array.isArray(v) && v.length > 0 && v.every(Number.isInteger)
      ? undefined : `must be a non-empty array of integers, got [${v}]`),
    discount: inRange(0, 1),
  }, dynamics.stateSize);
  const points: GradientNormPoint[] = [];
  for (const seed of o.seeds) {
    const rng = new Rng(seed);
    const [policyRng, startRng] = [rng.split(), rng.split()];
    const made = typeof trainable === "function" ? trainable(policyRng) : undefined;
    const current = made ?? (trainable as TrainablePolicy);
    checkTrainable(where, current);
    const starts = drawStarts(where, o.startStates, startRng, o.batchSize as number, dynamics.stateSize);
    try {
      for (const horizon of o.horizons) {
        const { value, grads, numbers } = valueAndGrads(() => policyObjective(dynamics, reward, current.policy,
          starts.states, horizon, { discount: o.discount }), current.variables);
        disposeAll(value, grads);
        const gradNorm = Math.sqrt(numbers.slice(1).reduce((a, b) => a + b, 0));
        points.push({ horizon, seed, objective: numbers[0], gradNorm, finite: Number.isFinite(numbers[0]) && Number.isFinite(gradNorm) });
      }
    } finally {
      if (starts.owned) starts.states.dispose();
      made?.variables.forEach((v) => v.dispose());
    }
  }
  return points;
}
