/**
 * The recursive objective of model-based policy learning (lecture step 02).
 *
 * A closed-loop policy is judged by unrolling it through the model:
 *
 *   J(θ) = Σ_{t=0}^{H−1} γ^t r(s_t, a_t, s_{t+1}),   a_t = π_θ(s_t),   s_{t+1} = f(s_t, a_t).
 *
 * Every s_t depends on θ through all earlier steps, so J is a deep composition of f and π_θ:
 * the same shape as a recurrent network unrolled over H steps, which is why its gradient is
 * computed by backpropagation through time. An open-loop plan is the same unroll with the
 * actions a_0..a_{H−1} given instead of chosen from the state.
 *
 * Conventions (shared with `RewardFn`): the return of one trajectory sums the H transition
 * rewards r(s_t, a_t, s_{t+1}) for t = 0..H−1, discounted by γ^t (γ = 1 by default), plus
 * γ^H r_H(s_H) when a terminal reward r_H is given (as LQR's terminal cost x_Hᵀ Q_f x_H). The
 * objective is the mean return over the batch of start states, a scalar that tfjs autodiff
 * can differentiate with respect to the policy's variables or the actions.
 *
 * Ensembles (`dynamics.members = M > 1`) see the batch as is, member-major: the batch size must
 * be a multiple of M, and the mean over the batch is then also the mean over members.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, inRange, positiveInt } from "../checks";
import type { Rng } from "../random";
import type { Dynamics, Policy, System } from "../envs/types";
import { rollout, type Actor } from "../rollout";

/** Options of a rollout objective. */
export interface RolloutOptions {
  /** Steps H of the unroll (for open-loop plans, the plan's length). Required for a policy. */
  horizon: number;
  /**
   * Discount γ in [0, 1]: the reward of step t is weighted by γ^t.
   * @default 1
   */
  discount: number;
  /**
   * Reward r_H(s_H) of the state the rollout ends in, added with weight γ^H: a target that
   * only the final state must reach (shooting's classic task), or LQR's terminal cost.
   * Takes states (B, S) and returns rewards (B). When omitted, nothing is added.
   * @default undefined
   */
  terminalReward: ((states: tf.Tensor2D) => tf.Tensor1D) | undefined;
}

/** `horizon` has no default: a policy's unroll length is always the caller's choice. */
export const ROLLOUT_DEFAULTS: Omit<RolloutOptions, "horizon"> = { discount: 1, terminalReward: undefined };
const RULES = {
  horizon: positiveInt,
  discount: inRange(0, 1),
  terminalReward: (v: unknown) =>
    v === undefined || typeof v === "function" ? undefined : "must be a function (states) => rewards",
};

function checkMembers(where: string, dynamics: Dynamics, batch: number): void {
  check(
    batch % dynamics.members === 0,
    where,
    `the batch (${batch} rows) must be a multiple of dynamics.members = ${dynamics.members} (member-major layout)`,
  );
}

/**
 * The unroll shared by the closed-loop and open-loop objectives: only the actor differs. Kept on
 * the tape (no per-step tidy) so that autodiff sees every step.
 *
 * The rewards of all H steps are computed in one call, on the H·B transitions stacked: a reward
 * treats its rows independently (the `RewardFn` contract), so the values are those of H calls,
 * while autodiff records and differentiates its few ops once instead of at every step (for a
 * BPTT step through a small model, the per-step reward ops were a seventh of the time).
 * @param startStates (B, S)
 * @returns returns (B)
 */
function unroll(
  where: string,
  system: System,
  startStates: tf.Tensor2D,
  actor: Actor,
  rng: Rng | undefined,
  options: RolloutOptions,
): tf.Tensor1D {
  return tf.tidy(() => {
    const [states, actions, nextStates]: tf.Tensor2D[][] = [[], [], []];
    const last = rollout(
      { dynamics: system.dynamics },
      actor,
      startStates,
      rng,
      { steps: options.horizon, tape: true, where },
      (step) => {
        states.push(step.states);
        actions.push(step.actions);
        nextStates.push(step.nextStates);
      },
    );
    return stackedReturns(
      where,
      system.reward,
      tf.concat(states),
      tf.concat(actions),
      tf.concat(nextStates),
      last,
      options,
    );
  });
}

/**
 * The returns (B) from the H·B transitions of an unroll stacked step-major (step t's rows are
 * t·B … (t+1)·B − 1), and the last state s_H (B, S): unroll's last part, shared with the adjoint
 * recursion (adjoint.ts), which differentiates it on its own.
 */
export function stackedReturns(
  where: string,
  reward: System["reward"],
  states: tf.Tensor2D,
  actions: tf.Tensor2D,
  nextStates: tf.Tensor2D,
  last: tf.Tensor2D,
  { horizon, discount, terminalReward }: RolloutOptions,
): tf.Tensor1D {
  const B = last.shape[0];
  const stacked = reward(states, actions, nextStates);
  assertShape(where, "reward output", stacked, [horizon * B]);
  // (H = 1 is not unstacked: tfjs's gradient of an unstack into one tensor fails.)
  const byStep = horizon === 1 ? [stacked] : (tf.unstack(stacked.reshape([horizon, B])) as tf.Tensor1D[]);
  const rewards = byStep.map((r, t) => (discount === 1 ? r : r.mul(discount ** t)));
  if (terminalReward) {
    const rH = terminalReward(last); //                    r_H(s_H)
    assertShape(where, "terminalReward output", rH, [B]);
    rewards.push(discount === 1 ? rH : rH.mul(discount ** horizon));
  }
  // One sum at the end rather than a running one: a single op to record and differentiate.
  return tf.addN(rewards) as tf.Tensor1D;
}

/**
 * Returns of a closed-loop policy unrolled through the dynamics, one per start state:
 * R_b = Σ_{t=0}^{H−1} γ^t r(s_t, π(s_t), s_{t+1}) [+ γ^H r_H(s_H)] with s_0 = startStates[b].
 * @param startStates (B, S)
 * @param rng process noise for stochastic dynamics, an input like the start state (gradients
 *   flow through the noisy trajectory); undefined steps the mean dynamics
 * @param options `horizon` H ≥ 1 is required
 * @returns returns (B)
 */
export function policyReturns(
  system: System,
  policy: Policy,
  startStates: tf.Tensor2D,
  rng: Rng | undefined,
  options: Partial<RolloutOptions> & Pick<RolloutOptions, "horizon">,
): tf.Tensor1D {
  const where = "policyReturns";
  check(options?.horizon !== undefined, where, "option horizon is required");
  const o = fillOptions<RolloutOptions>(where, { ...ROLLOUT_DEFAULTS, horizon: options.horizon }, options, RULES);
  const [B] = assertShape(where, "startStates", startStates, [null, system.dynamics.stateSize]);
  checkMembers(where, system.dynamics, B);
  return unroll(where, system, startStates, (state) => policy(state), rng, o);
}

/**
 * The policy objective J(θ): the mean over start states of the return of π_θ unrolled through
 * the dynamics for H steps. Differentiable with respect to the variables π closes over, e.g.
 * `tf.variableGrads(() => policyObjective(...))`.
 * @param startStates (B, S)
 * @param rng process noise, or undefined for the mean dynamics (see `policyReturns`)
 * @param options `horizon` H ≥ 1 is required
 * @returns J, a scalar
 */
export function policyObjective(
  system: System,
  policy: Policy,
  startStates: tf.Tensor2D,
  rng: Rng | undefined,
  options: Partial<RolloutOptions> & Pick<RolloutOptions, "horizon">,
): tf.Scalar {
  return tf.tidy(() => policyReturns(system, policy, startStates, rng, options).mean());
}

/**
 * Returns of open-loop action sequences: R_b = Σ_{t=0}^{H−1} γ^t r(s_t, a_{b,t}, s_{t+1}) [+ γ^H r_H(s_H)].
 * A single start state or a single sequence is shared across the batch (broadcast), so one
 * state with B sequences (a shooting planner's candidates) and B states with one sequence both
 * work.
 * @param actions (H, A), (1, H, A) or (B, H, A)
 * @param startStates (S), (1, S) or (B, S)
 * @param rng process noise, or undefined for the mean dynamics (see `policyReturns`)
 * @param options the horizon is the plan's length H (a `horizon` option, if given, must equal it)
 * @returns returns (B), B = the larger of the two batch sizes
 */
export function openLoopReturns(
  system: System,
  actions: tf.Tensor2D | tf.Tensor3D,
  startStates: tf.Tensor1D | tf.Tensor2D,
  rng?: Rng,
  options?: Partial<RolloutOptions>,
): tf.Tensor1D {
  const where = "openLoopReturns";
  const { dynamics } = system;
  const [S, A] = [dynamics.stateSize, dynamics.actionSize];
  check(
    startStates.rank === 1 || startStates.rank === 2,
    where,
    `startStates must have shape [${S}] or [*, ${S}], got [${startStates.shape}]`,
  );
  check(
    actions.rank === 2 || actions.rank === 3,
    where,
    `actions must have shape [*, ${A}] or [*, *, ${A}], got [${actions.shape}]`,
  );
  const [Bs] = startStates.rank === 1 ? [1] : assertShape(where, "startStates", startStates, [null, S]);
  if (startStates.rank === 1) assertShape(where, "startStates", startStates, [S]);
  const [Ba, H] =
    actions.rank === 2
      ? [1, assertShape(where, "actions", actions, [null, A])[0]]
      : assertShape(where, "actions", actions, [null, null, A]);
  check(H > 0, where, "actions must hold at least one step");
  check(
    options?.horizon === undefined || options.horizon === H,
    where,
    `option horizon (${options?.horizon}) must equal the plan's length ${H}`,
  );
  const o = fillOptions<RolloutOptions>(where, { ...ROLLOUT_DEFAULTS, horizon: H }, options, RULES);
  const B = Math.max(Bs, Ba);
  check(
    Bs === Ba || Bs === 1 || Ba === 1,
    where,
    `startStates has ${Bs} rows and actions ${Ba} sequences; they must be equal, or one of them 1`,
  );
  checkMembers(where, dynamics, B);
  return tf.tidy(() => {
    const starts = startStates.reshape([Bs, S]).tile([B / Bs, 1]) as tf.Tensor2D;
    const plan = actions.reshape([Ba, H, A]).tile([B / Ba, 1, 1]) as tf.Tensor3D;
    const byStep = tf.unstack(plan, 1) as tf.Tensor2D[]; // H tensors (B, A)
    return unroll(where, system, starts, (_, t) => byStep[t], rng, o);
  });
}

/**
 * The open-loop (shooting) objective: the mean over the batch of `openLoopReturns`; for one
 * start state and one sequence it is that sequence's return. Differentiable with respect to
 * the actions, e.g. `tf.grad((a) => openLoopObjective(system, a, s0))(actions)` gives ∂J/∂a_t.
 * @param actions (H, A), (1, H, A) or (B, H, A)
 * @param startStates (S), (1, S) or (B, S)
 * @param rng process noise, or undefined for the mean dynamics
 * @returns J, a scalar
 */
export function openLoopObjective(
  system: System,
  actions: tf.Tensor2D | tf.Tensor3D,
  startStates: tf.Tensor1D | tf.Tensor2D,
  rng?: Rng,
  options?: Partial<RolloutOptions>,
): tf.Scalar {
  return tf.tidy(() => openLoopReturns(system, actions, startStates, rng, options).mean());
}
