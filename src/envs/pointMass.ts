/**
 * The point mass and the wall: a continuous exam, where replanning MPC still loses to a policy.
 *
 * The mass drifts forward one unit of x per step (a boat on a current) and is steered sideways:
 * y' = y + clip(a, ±maxSpeed) + noiseStd·w. A wall at x = stepsToWall spans |y| < wallHalfLength
 * with gaps at y = ±gapCenter; one is open (the upper with probability p), drawn on reaching
 * x = stepsToWall − revealSteps and written into the state. Passing the wall earns `reward`;
 * hitting it earns `penalty` and stops the mass for good; each step costs actionCost·a².
 *
 * The mass cannot wait, so revealSteps moves remain after the reveal: a reach of 3 · 0.5 = 1.5
 * by default, enough from the middle to either gap (centres 1.2 away) but not from one gap to
 * the other (near edge 2·1.2 − 0.4 = 2.0 away). Hence, at the defaults:
 * - closed loop, "hold the middle, then turn to the open gap": ≈ 10 − 4·0.54 ≈ 7.8;
 * - an open-loop plan through a gap cannot depend on the draw: ≈ 0.5·10 + 0.5·(−20) = −5;
 * - the long way round the wall's end (|y| ≥ 4) is safe but dear: ≈ 10 − 4·10·0.45² ≈ 1.9.
 *
 * State (B, 4): [x, y, gap, crashed], gap 0 before the reveal, then +1 (upper open) or −1.
 * Action (B, 1): the lateral move.
 */
import * as tf from "@tensorflow/tfjs";
import { columns, joinColumns } from "../columns";
import { assertShape, check, fillOptions, finite, inRange, nonNegative, positive, positiveInt } from "../checks";
import type { Rng } from "../random";
import type { Dynamics, Policy, RewardFn, Task } from "./types";

/** Column of each state entry. */
export const POINT_MASS_STATE = { x: 0, y: 1, gap: 2, crashed: 3 } as const;

export interface PointMassOptions {
  /** Steps from the start (x = 0) to the wall at x = stepsToWall. @default 10 */
  stepsToWall: number;
  /** Moves left after the reveal, which comes at x = stepsToWall − revealSteps. @default 3 */
  revealSteps: number;
  /** Gap centres: y = +gapCenter (upper) and −gapCenter (lower). @default 1.2 */
  gapCenter: number;
  /** Half-width of each gap. @default 0.4 */
  gapHalfWidth: number;
  /** The wall spans |y| < wallHalfLength; beyond is the long, safe way round. @default 4 */
  wallHalfLength: number;
  /** Largest lateral move per step; actions are clipped to ±maxSpeed. @default 0.5 */
  maxSpeed: number;
  /** Standard deviation of the lateral noise per step. @default 0.05 */
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

export const POINT_MASS_DEFAULTS: PointMassOptions = {
  stepsToWall: 10,
  revealSteps: 3,
  gapCenter: 1.2,
  gapHalfWidth: 0.4,
  wallHalfLength: 4,
  maxSpeed: 0.5,
  noiseStd: 0.05,
  p: 0.5,
  reward: 10,
  penalty: -20,
  actionCost: 4,
};

function fill(where: string, given?: Partial<PointMassOptions>): PointMassOptions {
  const o = fillOptions(where, POINT_MASS_DEFAULTS, given, {
    stepsToWall: positiveInt,
    revealSteps: positiveInt,
    gapCenter: positive,
    gapHalfWidth: positive,
    wallHalfLength: positive,
    maxSpeed: positive,
    noiseStd: nonNegative,
    p: inRange(0, 1),
    reward: finite,
    penalty: finite,
    actionCost: nonNegative,
  });
  check(o.revealSteps < o.stepsToWall, where, "option revealSteps must be < stepsToWall");
  check(o.gapHalfWidth < o.gapCenter, where, "option gapHalfWidth must be < gapCenter (the gaps must not merge)");
  check(
    o.gapCenter + o.gapHalfWidth < o.wallHalfLength,
    where,
    "option wallHalfLength must exceed gapCenter + gapHalfWidth",
  );
  return o;
}

// Masks are float 0/1 tensors combined by arithmetic, and branches blended as m·a + (1−m)·b:
// tfjs has no gradients for logical ops or most comparisons, and these keep the step
// differentiable in states and actions (the masks themselves have zero gradient).
type T = tf.Tensor | number;
const ge = (a: T, b: T) => tf.greaterEqual(a, b).cast("float32");
const not = (m: tf.Tensor) => tf.sub(1, m);
const and = (...ms: tf.Tensor[]) => ms.reduce((a, b) => a.mul(b));
const or = (a: tf.Tensor, b: tf.Tensor) => a.add(b).sub(a.mul(b));
const pick = (m: tf.Tensor, a: T, b: T) => m.mul(a).add(not(m).mul(b));

/** The true dynamics: pure and batched; randomness only from what is passed in. */
export class PointMass implements Dynamics {
  readonly stateSize = 4;
  readonly actionSize = 1;
  readonly members = 1;
  readonly options: PointMassOptions;

  constructor(options?: Partial<PointMassOptions>) {
    this.options = fill("PointMass", options);
  }

  /**
   * One step. With `rng`: B normals (noise), then B uniforms (reveal coins), drawn every step
   * whatever the states. Without: the mean dynamics, with no noise and no reveal;
   * a gap still unknown at the wall then counts as closed (the model cannot tell which is open).
   * @param states (B, 4)
   * @param actions (B, 1)
   * @returns (B, 4)
   */
  step(states: tf.Tensor2D, actions: tf.Tensor2D, rng?: Rng): tf.Tensor2D {
    const [batch] = assertShape("PointMass.step", "states", states, [null, 4]);
    return tf.tidy(() =>
      rng
        ? this.stepWith(
            states,
            actions,
            rng.normalTensor([batch, 1]) as tf.Tensor2D,
            rng.uniformTensor([batch, 1]) as tf.Tensor2D,
          )
        : this.stepWith(states, actions, tf.zeros([batch, 1]), null),
    );
  }

  /**
   * The step with its randomness given explicitly.
   * @param states (B, 4)
   * @param actions (B, 1)
   * @param noise (B, 1) standard normal draws, scaled by noiseStd
   * @param coins (B, 1) uniform draws (a revealed gap is the upper if coin < p), or null: no reveal
   * @returns (B, 4)
   */
  stepWith(states: tf.Tensor2D, actions: tf.Tensor2D, noise: tf.Tensor2D, coins: tf.Tensor2D | null): tf.Tensor2D {
    const where = "PointMass.step";
    const [batch] = assertShape(where, "states", states, [null, 4]);
    for (const [name, t] of [
      ["actions", actions],
      ["noise", noise],
      ["coins", coins],
    ] as const) {
      if (t) assertShape(where, name, t, [batch, 1]);
    }
    const o = this.options;
    return tf.tidy(() => {
      const [x, y, gap, crashed] = columns(states);
      const xMoved = x.add(1);
      const yMoved = y.add(actions.clipByValue(-o.maxSpeed, o.maxSpeed)).add(noise.mul(o.noiseStd));
      const revealing = and(not(ge(gap.abs(), 0.5)), ge(xMoved, o.stepsToWall - o.revealSteps), not(crashed));
      const drawn = coins ? tf.sub(1, ge(coins, o.p).mul(2)) : gap; // +1 (upper) if coin < p
      const newGap = pick(revealing, drawn, gap);
      const crossing = and(not(ge(x, o.stepsToWall)), ge(xMoved, o.stepsToWall));
      const hit = and(crossing, not(crashed), not(this.open(yMoved, newGap)));
      return joinColumns([
        pick(crashed, x, pick(hit, tf.fill([batch, 1], o.stepsToWall), xMoved)),
        pick(crashed, y, yMoved),
        newGap,
        pick(hit, tf.onesLike(crashed), crashed),
      ]) as tf.Tensor2D;
    });
  }

  /** 1 where the wall lets a mass at lateral position y through, else 0. */
  private open(y: tf.Tensor, gap: tf.Tensor): tf.Tensor {
    const o = this.options;
    const inUpper = and(ge(o.gapHalfWidth, y.sub(o.gapCenter).abs()), ge(gap, 0.5));
    const inLower = and(ge(o.gapHalfWidth, y.add(o.gapCenter).abs()), ge(gap.neg(), 0.5));
    return or(ge(y.abs(), o.wallHalfLength), or(inUpper, inLower));
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
    const where = "pointMassReward";
    const [batch] = assertShape(where, "states", states, [null, 4]);
    assertShape(where, "actions", actions, [batch, 1]);
    assertShape(where, "nextStates", nextStates, [batch, 4]);
    return tf.tidy(() => {
      const [x, , , crashed] = columns(states);
      const [x2, , , crashed2] = columns(nextStates);
      const moving = not(crashed);
      const hit = moving.mul(crashed2);
      const passed = and(not(ge(x, o.stepsToWall)), ge(x2, o.stepsToWall), not(crashed2));
      const effort = actions.clipByValue(-o.maxSpeed, o.maxSpeed).square().mul(moving);
      return passed.mul(o.reward).add(hit.mul(o.penalty)).sub(effort.mul(o.actionCost)).reshape([batch]) as tf.Tensor1D;
    });
  };
}

/** The task plus what an episode needs. An episode ends at the wall, where all is decided. */
export interface PointMassTask extends Task {
  readonly dynamics: PointMass;
  /** Steps of an episode: stepsToWall. */
  readonly steps: number;
  readonly options: PointMassOptions;
  /** Start states [0, 0, 0, 0], shape (batch, 4). */
  initialStates(batch: number): tf.Tensor2D;
}

/** The point mass as a control task, with its episode length and start states. */
export function pointMassTask(options?: Partial<PointMassOptions>): PointMassTask {
  const dynamics = new PointMass(options);
  const o = dynamics.options;
  return {
    dynamics,
    reward: pointMassReward(o),
    bounds: { low: [-o.maxSpeed], high: [o.maxSpeed] },
    steps: o.stepsToWall,
    options: o,
    initialStates: (batch) => {
      check(Number.isInteger(batch) && batch > 0, "PointMassTask.initialStates", `batch must be a positive integer`);
      return tf.zeros([batch, 4]);
    },
  };
}

/**
 * A feedback family for policy search: steer towards a target lateral position,
 * a = clip(gain·(target − y), ±maxSpeed), with target = theta[0] before the reveal and
 * gap·theta[1] after it (towards the open gap's side).
 * @param theta (3) [target before the reveal, target offset after it, gain]
 */
export function pointMassFeedbackPolicy(theta: ArrayLike<number>, options?: Partial<PointMassOptions>): Policy {
  const o = fill("pointMassFeedbackPolicy", options);
  const [before, after, gain] = Array.from(theta);
  check(
    theta.length === 3 && [before, after, gain].every(Number.isFinite),
    "pointMassFeedbackPolicy",
    `theta must be 3 finite numbers [before, after, gain], got [${Array.from(theta).join(", ")}]`,
  );
  return (states) => {
    assertShape("pointMassFeedbackPolicy", "states", states, [null, 4]);
    return tf.tidy(() => {
      const [, y, gap] = columns(states);
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

/** How a point-mass episode ended. */
export type PointMassOutcome = "hit the wall" | "through a gap" | "round the end";

/**
 * How an episode ended, read off its recorded states [x, y, gap, crashed].
 * @param states (T + 1, 4) one episode's states, as `Episodes.states[e]`
 */
export function pointMassOutcome(states: number[][], options?: Partial<PointMassOptions>): PointMassOutcome {
  const o = fill("pointMassOutcome", options);
  check(
    Array.isArray(states) && states.length > 0 && states.every((s) => s.length === 4),
    "pointMassOutcome",
    "states must be rows [x, y, gap, crashed]",
  );
  const end = states[states.length - 1];
  if (end[POINT_MASS_STATE.crashed] === 1) return "hit the wall";
  return Math.abs(end[POINT_MASS_STATE.y]) < o.wallHalfLength ? "through a gap" : "round the end";
}

/**
 * Whether the open gap was already out of reach when it was revealed: its near edge farther from
 * y at the reveal than the moves left can cover (revealSteps · maxSpeed). Such an episode is lost
 * whatever is done after the reveal.
 * @param states (T + 1, 4) one episode's states, T ≥ stepsToWall
 */
export function pointMassGapOutOfReach(states: number[][], options?: Partial<PointMassOptions>): boolean {
  const o = fill("pointMassGapOutOfReach", options);
  check(
    Array.isArray(states) && states.length > o.stepsToWall,
    "pointMassGapOutOfReach",
    `states must hold at least ${o.stepsToWall + 1} rows`,
  );
  const revealAt = o.stepsToWall - o.revealSteps;
  const gap = states[states.length - 1][POINT_MASS_STATE.gap];
  const distance = Math.abs(gap * o.gapCenter - states[revealAt][POINT_MASS_STATE.y]) - o.gapHalfWidth;
  return distance > o.revealSteps * o.maxSpeed;
}
