/**
 * A learned dynamics model s' = f̂(s, a): an MLP (or an ensemble of M of them) that predicts
 * the normalised change of state,
 *
 *   s' = s + net((concat(s, a) − μ_in) / σ_in) · σ_Δ + μ_Δ.
 *
 * Predicting the delta rather than s' itself matters when dt is small: s' ≈ s, so the network
 * only has to learn the small correction, and "do nothing" is the easy default. The input and
 * delta statistics (μ, σ) come from the training data (`fitDynamics` sets them).
 *
 * It is a `Dynamics`, so planners and BPTT use it exactly like the true environment. With
 * M > 1 its batch is member-major: rows [m·N, (m+1)·N) are stepped by member m.
 */
import * as tf from "@tensorflow/tfjs";
import { joinColumns } from "../columns";
import { assertShape, check, fillOptions, positiveInt, type Rule } from "../checks";
import type { Dynamics } from "../envs/types";
import type { Rng } from "../random";
import { EnsembleLayers, type MemberWeights } from "./fast";
import { MLP } from "./mlp";
import type { Scaling } from "./fast";
import { Normalizer } from "./normalizer";

/** Options of a `DynamicsModel`. */
export interface DynamicsModelOptions {
  /**
   * Widths of the hidden (tanh) layers.
   * @default [64, 64]
   */
  hiddenSizes: number[];
  /**
   * Ensemble members M, each an independently initialised network.
   * @default 1
   */
  members: number;
}

export const DYNAMICS_MODEL_DEFAULTS: DynamicsModelOptions = { hiddenSizes: [64, 64], members: 1 };

const positiveInts: Rule<number[]> = (v) =>
  Array.isArray(v) && v.every((d) => Number.isInteger(d) && d > 0)
    ? undefined
    : `must be an array of positive integers, got [${v}]`;

export class DynamicsModel implements Dynamics {
  readonly stateSize: number;
  readonly actionSize: number;
  readonly members: number;
  /**
   * The network(s): (S + A) → hidden… → S, on normalised inputs and deltas. Its variables are
   * trainable, so when backpropagating through the model to train something else (BPTT),
   * pass that thing's variables as `varList` to keep the model frozen.
   */
  readonly net: MLP;
  private inputNorm: Normalizer;
  private deltaNorm: Normalizer;
  /** The network with the normalisation folded into its kept weights, for `step`. */
  private readonly scaledNet: EnsembleLayers;

  /**
   * Starts with identity normalisation (μ = 0, σ = 1) until `setNormalization` is called.
   * @param rng source of the initial weights
   */
  constructor(stateSize: number, actionSize: number, rng: Rng, options?: Partial<DynamicsModelOptions>) {
    const where = "DynamicsModel";
    check(
      Number.isInteger(stateSize) && stateSize > 0,
      where,
      `stateSize must be a positive integer, got ${stateSize}`,
    );
    check(
      Number.isInteger(actionSize) && actionSize > 0,
      where,
      `actionSize must be a positive integer, got ${actionSize}`,
    );
    const o = fillOptions(where, DYNAMICS_MODEL_DEFAULTS, options, { hiddenSizes: positiveInts, members: positiveInt });
    this.stateSize = stateSize;
    this.actionSize = actionSize;
    this.members = o.members;
    this.net = new MLP([stateSize + actionSize, ...o.hiddenSizes, stateSize], rng, { members: o.members });
    this.inputNorm = Normalizer.identity(stateSize + actionSize);
    this.deltaNorm = Normalizer.identity(stateSize);
    this.scaledNet = new EnsembleLayers(o.members, this.parameters(), [stateSize, actionSize], this.scaling());
  }

  /** Statistics of concat(s, a), size S + A. */
  get inputNormalizer(): Normalizer {
    return this.inputNorm;
  }

  /** Statistics of s' − s, size S. */
  get deltaNormalizer(): Normalizer {
    return this.deltaNorm;
  }

  /** Replace the normalisation statistics; the model takes ownership and frees the old ones. */
  setNormalization(input: Normalizer, delta: Normalizer): void {
    const where = "DynamicsModel.setNormalization";
    check(
      input.size === this.stateSize + this.actionSize,
      where,
      `input must have size S + A = ${this.stateSize + this.actionSize}, got ${input.size}`,
    );
    check(delta.size === this.stateSize, where, `delta must have size S = ${this.stateSize}, got ${delta.size}`);
    if (input !== this.inputNorm) this.inputNorm.dispose();
    if (delta !== this.deltaNorm) this.deltaNorm.dispose();
    this.inputNorm = input;
    this.deltaNorm = delta;
  }

  /**
   * The network's input (concat(s, a) − μ_in) / σ_in.
   * @param states (B, S)
   * @param actions (B, A)
   * @returns (B, S + A)
   */
  normalizedInputs(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const where = "DynamicsModel.normalizedInputs";
    const [b] = assertShape(where, "states", states, [null, this.stateSize]);
    assertShape(where, "actions", actions, [b, this.actionSize]);
    return tf.tidy(() => this.inputNorm.normalize(joinColumns([states, actions])));
  }

  /**
   * The network's target (s' − s − μ_Δ) / σ_Δ.
   * @param states (B, S)
   * @param nextStates (B, S)
   * @returns (B, S)
   */
  normalizedDeltas(states: tf.Tensor2D, nextStates: tf.Tensor2D): tf.Tensor2D {
    const where = "DynamicsModel.normalizedDeltas";
    const [b] = assertShape(where, "states", states, [null, this.stateSize]);
    assertShape(where, "nextStates", nextStates, [b, this.stateSize]);
    return tf.tidy(() => this.deltaNorm.normalize(tf.sub(nextStates, states)));
  }

  /**
   * One step of every member on its share of the batch. Deterministic (the model predicts
   * the mean next state), and differentiable with respect to states and actions.
   * @param states (M·N, S), member-major
   * @param actions (M·N, A), member-major
   * @returns next states (M·N, S)
   */
  step(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const where = "DynamicsModel.step";
    const [b] = assertShape(where, "states", states, [null, this.stateSize]);
    assertShape(where, "actions", actions, [b, this.actionSize]);
    check(
      b % this.members === 0,
      where,
      `states must have a multiple of members = ${this.members} rows (member-major), got ${b}`,
    );
    // s + deltaNormalizer.denormalize(net.forward(normalizedInputs(s, a))) as one node, with
    // the normalisation folded into the network's weights (see mlpPasses): fewer kernels.
    return this.scaledNet.apply([states, actions], this.parameters(), { scaling: this.scaling(), residual: true });
  }

  /**
   * The weights `step` computes with, per member, the normalisation folded in (see
   * `EnsembleLayers.weightsFor`); `step` subtracts `inputNormalizer.mean` first.
   */
  passWeights(): MemberWeights[] {
    return this.scaledNet.weightsFor(this.parameters(), this.scaling());
  }

  /** The network's parameters in the order `EnsembleLayers` takes them. */
  private parameters(): tf.Tensor[] {
    return [...this.net.weights, ...this.net.biases];
  }

  private scaling(): Scaling {
    return {
      inShift: this.inputNorm.mean,
      inScale: this.inputNorm.std,
      outScale: this.deltaNorm.std,
      outShift: this.deltaNorm.mean,
    };
  }

  /** Free the network and the statistics. */
  dispose(): void {
    this.scaledNet.dispose();
    this.net.dispose();
    this.inputNorm.dispose();
    this.deltaNorm.dispose();
  }
}
