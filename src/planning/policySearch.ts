/**
 * Policy search by CEM: the same optimiser as the planner, pointed at a different object.
 *
 * Instead of an action sequence, a candidate is the parameter vector θ of a feedback policy
 * π_θ, and it is scored by running π_θ closed loop: the policy sees each state it reaches and
 * reacts. That is what lets it value information that open-loop plans (and MPC) cannot.
 *
 * Common random numbers: within one CEM iteration every candidate is rolled out from the same
 * start states under the same noise, so candidates are compared on equal episodes; each
 * iteration draws fresh episodes, so the search does not overfit one noise sample.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, positiveInt } from "../checks";
import type { Policy, System } from "../envs/types";
import { Rng } from "../random";
import { cem, CEM_DEFAULTS, CEM_RULES, checkElites, type CemOptions, type CemResult, type SearchSpace } from "./cem";
import { closedLoopReturns } from "./returns";

export interface PolicySearchOptions extends CemOptions {
  /** Candidate parameter vectors N per iteration (each costs E rollouts). @default 64 */
  samples: number;
  /** Elites E the Gaussian is refitted to. @default 8 */
  elites: number;
  /** CEM iterations. @default 10 */
  iterations: number;
  /** Steps H of each closed-loop rollout. @default 10 */
  horizon: number;
}

export const POLICY_SEARCH_DEFAULTS: PolicySearchOptions = {
  ...CEM_DEFAULTS,
  samples: 64,
  elites: 8,
  iterations: 10,
  horizon: 10,
};

/** The family of policies searched: π_θ for θ in a box. */
export interface PolicyFamily {
  /** Builds the feedback policy of a parameter vector (D). Called inside a tidy. */
  makePolicy: (params: Float32Array) => Policy;
  /** The box of parameter vectors (D entries) and an optional warm-start mean. */
  space: SearchSpace;
}

/**
 * CEM over policy parameters, each candidate scored by the mean closed-loop return of its
 * policy over the E start states, with noise drawn per iteration from `rng` (identical for
 * every candidate of that iteration).
 * @param system where candidates are rolled out: true or learned dynamics (ensembles averaged) and reward
 * @param family the policies π_θ and the box of θ
 * @param starts (E, S): the start state of each scoring episode
 * @returns CEM's result: `mean` is the parameter vector found (D)
 */
export function policySearch(
  system: System,
  family: PolicyFamily,
  starts: tf.Tensor2D,
  rng: Rng,
  options?: Partial<PolicySearchOptions>,
): CemResult {
  const where = "policySearch";
  const o = fillOptions(where, POLICY_SEARCH_DEFAULTS, options, { ...CEM_RULES, horizon: positiveInt });
  checkElites(where, o);
  const { makePolicy } = family;
  const [E] = assertShape(where, "starts", starts, [null, system.dynamics.stateSize]);
  check(E > 0, where, "starts must hold at least one row");
  const episodeSeeds = rng.split();
  const objective = (candidates: tf.Tensor2D): tf.Tensor1D => {
    const [N, D] = candidates.shape;
    const params = candidates.dataSync() as Float32Array;
    const seed = episodeSeeds.nextUint32() | 0;
    const scores = Array.from({ length: N }, (_, n) => {
      const policy = makePolicy(params.slice(n * D, (n + 1) * D));
      return closedLoopReturns(system, policy, starts, new Rng(seed), { horizon: o.horizon }).mean();
    });
    return tf.stack(scores) as tf.Tensor1D;
  };
  const { horizon: _horizon, ...cemOptions } = o;
  return cem(objective, family.space, rng, cemOptions);
}
