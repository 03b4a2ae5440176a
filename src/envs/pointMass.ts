/**
 * The point mass and the wall: a continuous exam, where replanning MPC still loses to a policy.
 *
 * A point mass is carried forward one unit of x per step (like a boat on a current) and steered
 * sideways: y' = y + clip(a, ±maxSpeed) + noiseStd·w. A wall stands at x = stepsToWall, spanning
 * |y| < wallHalfLength, with two gaps centred at y = ±gapCenter; only one is open. Which one is
 * drawn (upper with probability p) when the mass reaches x = stepsToWall − revealSteps, and
 * written into the state. Passing the wall earns `reward`, hitting it `penalty` and the mass
 * stops there for good; each step costs actionCost·a².
 *
 * Constant forward speed means the mass cannot wait for the reveal: after it, there are
 * exactly revealSteps moves left. With the defaults that reach is 3 · 0.5 = 1.5, enough from
 * the middle to either gap (centres 1.2 away) but not from one gap to the other (near edge
 * 2·1.2 − 0.4 = 2.0 away). So:
 * - the closed-loop policy "hold the middle, then turn to the open gap" passes every time
 *   (return ≈ 10 − 4·0.54 ≈ 7.8);
 * - an open-loop plan through a gap cannot depend on the draw: ≈ 0.5·10 + 0.5·(−20) = −5;
 * - the long way round the wall's end (|y| ≥ 4) is safe but dear: ≈ 10 − 4·10·0.45² ≈ 1.9.
 *
 * State (B, 4): [x, y, gap, crashed]; gap is 0 until the reveal, then +1 (upper open) or −1;
 * crashed is 0 or 1. Action (B, 1): the lateral move.
 */
import * as tf from "@tensorflow/tfjs";
import { assertShape, check, fillOptions, finite, inRange, nonNegative, positive, positiveInt } from "../checks";
import type { Rng } from "../random";
import type { Dynamics, Policy, RewardFn, Task } from "./types";

/** Column of each state entry. */
export const POINT_MASS_STATE = { x: 0, y: 1, gap: 2, crashed: 3 } as const;

export interface PointMassOptions {
  /** Steps from the start (x = 0) to the wall, which stands at x = stepsToWall. @default 10 */
  stepsToWall: number;
  /** Moves left after the reveal (it happens on reaching x = stepsToWall − revealSteps). @default 3 */
  revealSteps: number;
  /** The gaps are centred at y = +gapCenter (upper) and y = −gapCenter (lower). @default 1.2 */
  gapCenter: number;
  /** Half-width of each gap. @default 0.4 */
  gapHalfWidth: number;
  /** The wall spans |y| < wallHalfLength; beyond it is the long, always-open way round. @default 4 */
  wallHalfLength: number;
  /** Largest lateral move per step; actions are clipped to ±maxSpeed. @default 0.5 */
  maxSpeed: number;
  /** Standard deviation of the lateral process noise per step. @default 0.05 */
  noiseStd: number;
  /** Probability that the upper gap is the open one. @default 0.5 */
  p: number;
  /** Reward for passing the wall. @default 10 */
  reward: number;
  /** Reward for hitting the wall (negative: a penalty). @default -20 */
  penalty: number;
  /** Each step costs actionCost·a² (a after clipping). @default 4 */
  actionCost: number;
}

const DEFAULTS: PointMassOptions = {
  stepsToWall: 10, revealSteps: 3, gapCenter: 1.2, gapHalfWidth: 0.4, wallHalfLength: 4,
  maxSpeed: 0.5, noiseStd: 0.05, p: 0.5, reward: 10, penalty: -20, actionCost: 4,
};

function fill(where: string, given?: Partial<PointMassOptions>): PointMassOptions {
  const o = fillOptions(where, DEFAULTS, given, {
    stepsToWall: positiveInt, revealSteps: positiveInt, gapCenter: positive, gapHalfWidth: positive,
    wallHalfLength: positive, maxSpeed: positive, noiseStd: nonNegative, p: inRange(0, 1),
    reward: finite, penalty: finite, actionCost: nonNegative,
  });
  check(o.revealSteps < o.stepsToWall, where, `option revealSteps must be < stepsToWall (${o.stepsToWall}), got ${o.revealSteps}`);
  check(o.gapHalfWidth < o.gapCenter, where, `option gapHalfWidth must be < gapCenter so the gaps do not merge, got ${o.gapHalfWidth}`);
  check(o.gapCenter + o.gapHalfWidth < o.wallHalfLength, where, "option wallHalfLength must exceed gapCenter + gapHalfWidth");
  return o;
}

const cols = (t: tf.Tensor2D) => tf.split(t, t.shape[1], 1) as tf.Tensor2D[];

/** The true dynamics. Pure and batched; randomness only from the `rng` or tensors passed in. */
export class PointMassDynamics implements Dynamics {
  readonly stateSize = 4;
  readonly actionSize = 1;
  readonly members = 1;
  readonly options: PointMassOptions;

  constructor(options?: Partial<PointMassOptions>) {
    this.options = fill("PointMassDynamics", options);
  }

  /**
   * One step, with noise w ~ N(0, 1) and reveal coins ~ U[0, 1) drawn from `rng`, one each per
   * row, every step (so the draws do not depend on the states). Without `rng` the mean dynamics:
   * no noise and no reveal, and a gap still unknown at the wall counts as closed (the model
   * cannot know which is open, so it counts on neither).
   * @param states (B, 4)
   * @param actions (B, 1)
   * @returns (B, 4)
   */
  step(states: tf.Tensor2D, actions: tf.Tensor2D, rng?: Rng): tf.Tensor2D {
    const [batch] = assertShape("PointMassDynamics.step", "states", states, [null, 4]);
    assertShape("PointMassDynamics.step", "actions", actions, [batch, 1]);
    if (!rng) return tf.tidy(() => this.stepWith(states, actions, tf.zeros([batch, 1]), null));
    return tf.tidy(() => this.stepWith(states, actions, rng.normalTensor([batch, 1]) as tf.Tensor2D, rng.uniformTensor([batch, 1]) as tf.Tensor2D));
  }

  /**
   * The step with its randomness given explicitly (for tests and common random numbers).
   * @param states (B, 4)
   * @param actions (B, 1)
   * @param noise (B, 1) standard normal draws, scaled by noiseStd
   * @param coins (B, 1) uniform draws; a row being revealed opens the upper gap if coin < p.
   *   null: nothing is revealed.
   * @returns (B, 4)
   */
  stepWith(states: tf.Tensor2D, actions: tf.Tensor2D, noise: tf.Tensor2D, coins: tf.Tensor2D | null): tf.Tensor2D {
    const where = "PointMassDynamics.stepWith";
    const [batch] = assertShape(where, "states", states, [null, 4]);
    assertShape(where, "actions", actions, [batch, 1]);
    assertShape(where, "noise", noise, [batch, 1]);
    if (coins) assertShape(where, "coins", coins, [batch, 1]);
    const o = this.options;
    return tf.tidy(() => {
      const [x, y, gap, crashed] = cols(states);
      const stopped = crashed.greater(0.5);
      const xMoved = x.add(1);
      const yMoved = y.add(actions.clipByValue(-o.maxSpeed, o.maxSpeed)).add(noise.mul(o.noiseStd));
      const revealing = gap.equal(0).logicalAnd(xMoved.greaterEqual(o.stepsToWall - o.revealSteps));
      const drawn = coins ? tf.where(coins.less(o.p), tf.onesLike(gap), tf.onesLike(gap).neg()) : gap;
      const newGap = tf.where(revealing.logicalAnd(stopped.logicalNot()), drawn, gap);
      const crossing = x.less(o.stepsToWall).logicalAnd(xMoved.greaterEqual(o.stepsToWall));
      const hit = crossing.logicalAnd(stopped.logicalNot()).logicalAnd(this.open(yMoved, newGap).logicalNot());
      const wallX = tf.fill([batch, 1], o.stepsToWall);
      return tf.concat([
        tf.where(stopped, x, tf.where(hit, wallX, xMoved)),
        tf.where(stopped, y, yMoved),
        newGap,
        tf.where(hit, tf.onesLike(crashed), crashed),
      ], 1) as tf.Tensor2D;
    });
  }

  /** Whether the wall lets a mass at lateral position y through, given the revealed gap. */
  private open(y: tf.Tensor2D, gap: tf.Tensor2D): tf.Tensor {
    const o = this.options;
    const inUpper = y.sub(o.gapCenter).abs().lessEqual(o.gapHalfWidth).logicalAnd(gap.equal(1));
    const inLower = y.add(o.gapCenter).abs().lessEqual(o.gapHalfWidth).logicalAnd(gap.equal(-1));
    return y.abs().greaterEqual(o.wallHalfLength).logicalOr(inUpper).logicalOr(inLower);
  }
}

/**
 * The reward of a transition: `reward` on passing the wall, `penalty` on hitting it, and
 * −actionCost·clip(a)² while the mass still moves.
 * @returns a RewardFn: (states (B, 4), actions (B, 1), nextStates (B, 4)) → (B)
 */
export function pointMassReward(options?: Partial<PointMassOptions>): RewardFn {
  const o = fill("pointMassReward", options);
  return (states, actions, nextStates) => {
    const [batch] = assertShape("pointMassReward", "states", states, [null, 4]);
    assertShape("pointMassReward", "actions", actions, [batch, 1]);
    assertShape("pointMassReward", "nextStates", nextStates, [batch, 4]);
    return tf.tidy(() => {
      const [x, , , crashed] = cols(states);
      const [x2, , , crashed2] = cols(nextStates);
      const moving = tf.sub(1, crashed);
      const hit = moving.mul(crashed2);
      const passed = x.less(o.stepsToWall).logicalAnd(x2.greaterEqual(o.stepsToWall)).cast("float32").mul(tf.sub(1, crashed2));
      const effort = actions.clipByValue(-o.maxSpeed, o.maxSpeed).square().mul(moving);
      return passed.mul(o.reward).add(hit.mul(o.penalty)).sub(effort.mul(o.actionCost)).reshape([batch]) as tf.Tensor1D;
    });
  };
}

/** The task plus what an episode needs. The horizon ends at the wall: everything is decided by then. */
export interface PointMassTask extends Task {
  readonly dynamics: PointMassDynamics;
  readonly horizon: number;
  readonly options: PointMassOptions;
  /** Start states [0, 0, 0, 0], shape (batch, 4). */
  initialStates(batch: number): tf.Tensor2D;
}

export function createPointMassTask(options?: Partial<PointMassOptions>): PointMassTask {
  const dynamics = new PointMassDynamics(options);
  const o = dynamics.options;
  return {
    dynamics,
    reward: pointMassReward(o),
    bounds: { low: [-o.maxSpeed], high: [o.maxSpeed] },
    horizon: o.stepsToWall,
    options: o,
    initialStates: (batch) => {
      check(Number.isInteger(batch) && batch > 0, "PointMassTask.initialStates", `batch must be a positive integer, got ${batch}`);
      return tf.zeros([batch, 4]);
    },
  };
}

/** Number of parameters of `pointMassFeedbackPolicy`. */
export const POINT_MASS_POLICY_PARAMS = 3;

/**
 * A feedback family for policy search: steer towards a target lateral position,
 * a = clip(gain·(target − y), ±maxSpeed), with target = theta[0] before the reveal and
 * gap·theta[1] after it (towards the open gap's side).
 * @param theta (3) [target before the reveal, target offset after it, gain]
 */
export function pointMassFeedbackPolicy(theta: ArrayLike<number>, options?: Partial<PointMassOptions>): Policy {
  const o = fill("pointMassFeedbackPolicy", options);
  check(theta.length === POINT_MASS_POLICY_PARAMS, "pointMassFeedbackPolicy", `theta must have ${POINT_MASS_POLICY_PARAMS} entries, got ${theta.length}`);
  const [before, after, gain] = Array.from(theta);
  check([before, after, gain].every(Number.isFinite), "pointMassFeedbackPolicy", "theta must be finite");
  return (states) => {
    assertShape("pointMassFeedbackPolicy", "states", states, [null, 4]);
    return tf.tidy(() => {
      const [, y, gap] = cols(states);
      const target = tf.sub(1, gap.abs()).mul(before).add(gap.mul(after));
      return target.sub(y).mul(gain).clipByValue(-o.maxSpeed, o.maxSpeed) as tf.Tensor2D;
    });
  };
}

/** The hand-written closed-loop policy: hold the middle, then head for the centre of the open gap. */
export function pointMassMiddleThenGapPolicy(options?: Partial<PointMassOptions>): Policy {
  const o = fill("pointMassMiddleThenGapPolicy", options);
  return pointMassFeedbackPolicy([0, o.gapCenter, 1], o);
}

/** Episodes run side by side. */
export interface PointMassRollout {
  /** (B) per-episode returns. */
  returns: Float64Array;
  /** (horizon + 1, B, 4) visited states, time-major, flattened. */
  states: Float32Array;
  horizon: number;
  batch: number;
}

/** One episode's path (x and y at t = 0 … horizon) from a rollout, for plotting. */
export function pointMassPath(rollout: PointMassRollout, episode: number): { x: number[]; y: number[] } {
  check(Number.isInteger(episode) && episode >= 0 && episode < rollout.batch, "pointMassPath", `episode must be in [0, ${rollout.batch}), got ${episode}`);
  const at = (t: number, i: number) => rollout.states[(t * rollout.batch + episode) * 4 + i];
  const times = Array.from({ length: rollout.horizon + 1 }, (_, t) => t);
  return { x: times.map((t) => at(t, POINT_MASS_STATE.x)), y: times.map((t) => at(t, POINT_MASS_STATE.y)) };
}

function rollout(task: PointMassTask, act: (s: tf.Tensor2D, t: number) => tf.Tensor2D, batch: number, rng: Rng): PointMassRollout {
  const states = new Float32Array((task.horizon + 1) * batch * 4);
  const returns = new Float64Array(batch);
  let s = task.initialStates(batch);
  for (let t = 0; t < task.horizon; t++) {
    states.set(s.dataSync(), t * batch * 4);
    const [next, r] = tf.tidy(() => {
      const a = act(s, t);
      const s2 = task.dynamics.step(s, a, rng);
      return [s2, task.reward(s, a, s2)];
    });
    r.dataSync().forEach((v, i) => (returns[i] += v));
    tf.dispose([s, r]);
    s = next as tf.Tensor2D;
  }
  states.set(s.dataSync(), task.horizon * batch * 4);
  s.dispose();
  return { returns, states, horizon: task.horizon, batch };
}

export interface PointMassRunOptions {
  /** Number of episodes run side by side as one batch. @default 200 */
  episodes: number;
}

/** Run a feedback policy for many episodes in one batch, with noise and reveals from `rng`. */
export function pointMassRunPolicy(task: PointMassTask, policy: Policy, rng: Rng, options?: Partial<PointMassRunOptions>): PointMassRollout {
  const { episodes } = fillOptions<PointMassRunOptions>("pointMassRunPolicy", { episodes: 200 }, options, { episodes: positiveInt });
  return rollout(task, (s) => {
    const a = policy(s);
    assertShape("pointMassRunPolicy", "policy output", a, [episodes, 1]);
    return a;
  }, episodes, rng);
}

/**
 * Run open-loop plans, one episode per row, with noise and reveals from `rng`.
 * @param plans (B, horizon): row b is episode b's action sequence
 */
export function pointMassRunPlans(task: PointMassTask, plans: tf.Tensor2D, rng: Rng): PointMassRollout {
  const [batch] = assertShape("pointMassRunPlans", "plans", plans, [null, task.horizon]);
  return rollout(task, (_, t) => plans.slice([0, t], [batch, 1]), batch, rng);
}
