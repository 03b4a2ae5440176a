/**
 * The inverted pendulum of Gym's Pendulum-v1 (lecture step 03), batched and differentiable.
 *
 * State s = [cos θ, sin θ, θ̇] (B, 3), with θ = 0 upright and θ̇ in rad/s; action a = [u]
 * (B, 1), a torque in N·m. Keeping the angle as a point on the unit circle gives a learned
 * model bounded inputs with no jump at ±π. Each step first reads θ = atan2(sin, cos), so a
 * state slightly off the circle (from a learned model) is projected back onto it, and
 * perturbations along the radius have zero effect: the Jacobian ∂f/∂s then has the same
 * singular values as the Jacobian in (θ, θ̇) coordinates.
 *
 * The physics (semi-implicit Euler, as in Gym), with b the optional damping:
 *   u'  = clip(u, −maxTorque, maxTorque)
 *   θ̇'  = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u' − b·θ̇)·dt + kick, −maxSpeed, maxSpeed)
 *   θ'  = θ + θ̇'·dt
 *   r   = −(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u'²)
 * The clips make the gradient zero where they are active (a saturated torque or speed).
 * The optional process noise is a Gaussian kick to the angular velocity (rad/s), added
 * before the speed clip.
 *
 * The same physics exists in two forms: `step` on tensors (float32, for BPTT and planning)
 * and `stepScalar` on plain float64 numbers (bit-for-bit reproducible on every backend, used
 * to record the data set). The tests check that the two agree.
 */
import * as tf from "@tensorflow/tfjs";
import { columns, joinColumns } from "../columns";
import type { Rng } from "../random";
import type { ActionBounds, Dynamics, RewardFn, Task } from "./types";
import { assertShape, check, fillOptions, finite, nonNegative, positive, positiveInt } from "../checks";

/** Physical constants of the pendulum. The defaults are Gym Pendulum-v1's. */
export interface PendulumOptions {
  /** Gravitational acceleration g (m/s²). @default 10 */
  gravity: number;
  /** Mass m (kg). @default 1 */
  mass: number;
  /** Length l (m). @default 1 */
  length: number;
  /** Time step dt (s). @default 0.05 */
  dt: number;
  /** Torques are clipped to ±maxTorque (N·m). @default 2 */
  maxTorque: number;
  /** Angular velocities are clipped to ±maxSpeed (rad/s). @default 8 */
  maxSpeed: number;
  /** Damping b (1/s): adds −b·θ̇ to the angular acceleration. Gym has none. @default 0 */
  damping: number;
  /** Std of the Gaussian kick added to θ̇ each step when `step` gets an rng (rad/s). @default 0 */
  noiseStd: number;
}

export const PENDULUM_DEFAULTS: Readonly<PendulumOptions> = {
  gravity: 10,
  mass: 1,
  length: 1,
  dt: 0.05,
  maxTorque: 2,
  maxSpeed: 8,
  damping: 0,
  noiseStd: 0,
};

/** Names of the state's entries, in order. */
export const PENDULUM_STATE_NAMES: readonly string[] = ["cos_theta", "sin_theta", "theta_dot"];

/** Batched pendulum dynamics; also holds the reward and the float64 scalar step. */
export class Pendulum implements Dynamics {
  readonly stateSize = 3;
  readonly actionSize = 1;
  readonly members = 1;
  readonly options: Readonly<PendulumOptions>;

  /** @param options physical constants; unset fields take Gym's values. */
  constructor(options?: Partial<PendulumOptions>) {
    this.options = Object.freeze(
      fillOptions("Pendulum", { ...PENDULUM_DEFAULTS }, options, {
        gravity: finite,
        mass: positive,
        length: positive,
        dt: positive,
        maxTorque: positive,
        maxSpeed: positive,
        damping: nonNegative,
        noiseStd: nonNegative,
      }),
    );
  }

  /** Gravity's gain 3g/(2l) and the torque's gain 3/(m l²), from Gym's formula. */
  private gains(): { gravityGain: number; torqueGain: number } {
    const { gravity, mass, length } = this.options;
    return { gravityGain: (3 * gravity) / (2 * length), torqueGain: 3 / (mass * length * length) };
  }

  /**
   * log λ: how fast a small deviation from upright grows per step, λ being the larger eigenvalue
   * of the step linearised at the top in (θ, θ̇) (no torque, no clipping). With c = 3g/(2l)·dt²
   * and d = 1 − b·dt that matrix is [[1 + c, d·dt], [c/dt, d]], so λ = h + √(h² − d) with
   * h = (1 + c + d)/2. Gradients through a rollout near the top grow like λ^H (notebooks 03, 04).
   */
  uprightLogGrowth(): number {
    const { gravity, length, dt, damping } = this.options;
    const c = ((3 * gravity) / (2 * length)) * dt * dt;
    const half = 1 + c / 2 - (damping * dt) / 2;
    return Math.log(half + Math.sqrt(half ** 2 - (1 - damping * dt)));
  }

  /**
   * One step for a batch of states.
   * @param states (B, 3) rows [cos θ, sin θ, θ̇]
   * @param actions (B, 1) torques (clipped to ±maxTorque)
   * @param rng when given and noiseStd > 0, draws the θ̇ kick from it
   * @returns next states (B, 3)
   */
  step(states: tf.Tensor2D, actions: tf.Tensor2D, rng?: Rng): tf.Tensor2D {
    const [batch] = assertShape("Pendulum.step", "states", states, [null, 3]);
    assertShape("Pendulum.step", "actions", actions, [batch, 1]);
    const { dt, maxTorque, maxSpeed, damping, noiseStd } = this.options;
    const { gravityGain, torqueGain } = this.gains();
    const kick = rng && noiseStd > 0 ? rng.normalTensor([batch, 1], 0, noiseStd) : undefined;
    const next = tf.tidy(() => {
      const [cos, sin, speed] = columns(states);
      const theta = tf.atan2(sin, cos);
      const torque = tf.clipByValue(actions, -maxTorque, maxTorque);
      const accel = tf.sub(
        tf.add(tf.mul(tf.sin(theta), gravityGain), tf.mul(torque, torqueGain)),
        tf.mul(speed, damping),
      );
      let rawSpeed = tf.add(speed, tf.mul(accel, dt));
      if (kick) rawSpeed = tf.add(rawSpeed, kick);
      const nextSpeed = tf.clipByValue(rawSpeed, -maxSpeed, maxSpeed);
      const nextTheta = tf.add(theta, tf.mul(nextSpeed, dt));
      return joinColumns([tf.cos(nextTheta), tf.sin(nextTheta), nextSpeed]);
    });
    kick?.dispose();
    return next;
  }

  /**
   * The same step on one state in plain float64 (deterministic on every backend).
   * @param state [cos θ, sin θ, θ̇]
   * @param torque u (clipped to ±maxTorque)
   * @param kick the process-noise kick to θ̇ (rad/s), already scaled; 0 for the mean step
   * @returns the next state [cos θ', sin θ', θ̇']
   */
  stepScalar(state: readonly number[], torque: number, kick = 0): [number, number, number] {
    if (state.length !== 3 || !state.every(Number.isFinite)) {
      throw new Error(
        `Pendulum.stepScalar: state must be 3 finite numbers [cos θ, sin θ, θ̇], got [${state.join(", ")}]`,
      );
    }
    if (!Number.isFinite(torque) || !Number.isFinite(kick)) {
      throw new Error(`Pendulum.stepScalar: torque and kick must be finite, got ${torque} and ${kick}`);
    }
    const { dt, maxTorque, maxSpeed, damping } = this.options;
    const { gravityGain, torqueGain } = this.gains();
    const theta = Math.atan2(state[1], state[0]);
    const u = clip(torque, maxTorque);
    const accel = gravityGain * Math.sin(theta) + torqueGain * u - damping * state[2];
    const nextSpeed = clip(state[2] + accel * dt + kick, maxSpeed);
    const nextTheta = theta + nextSpeed * dt;
    return [Math.cos(nextTheta), Math.sin(nextTheta), nextSpeed];
  }

  /**
   * Gym's reward −(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²), u clipped; reads (s, a) only.
   * atan2 already returns the normalised angle. A `RewardFn`, so it takes nextStates too.
   * @param states (B, 3)
   * @param actions (B, 1)
   * @param nextStates (B, 3), unused
   * @returns rewards (B)
   */
  readonly reward: RewardFn = (states, actions, nextStates) => {
    const [batch] = assertShape("Pendulum.reward", "states", states, [null, 3]);
    assertShape("Pendulum.reward", "actions", actions, [batch, 1]);
    assertShape("Pendulum.reward", "nextStates", nextStates, [batch, 3]);
    const { maxTorque } = this.options;
    return tf.tidy(() => {
      const [cos, sin, speed] = columns(states);
      const theta = tf.atan2(sin, cos);
      const torque = tf.clipByValue(actions, -maxTorque, maxTorque);
      const cost = tf.addN([tf.square(theta), tf.mul(tf.square(speed), 0.1), tf.mul(tf.square(torque), 0.001)]);
      return tf.neg(tf.reshape(cost, [batch])) as tf.Tensor1D;
    });
  };

  /** The reward of one (state, torque) in plain float64; see `reward`. */
  rewardScalar(state: readonly number[], torque: number): number {
    const theta = Math.atan2(state[1], state[0]);
    const u = clip(torque, this.options.maxTorque);
    return -(theta * theta + 0.1 * state[2] * state[2] + 0.001 * u * u);
  }

  /** The state [cos θ, sin θ, θ̇] of an angle and angular velocity. */
  static stateOf(theta: number, thetaDot: number): [number, number, number] {
    return [Math.cos(theta), Math.sin(theta), thetaDot];
  }
}

function clip(x: number, bound: number): number {
  return Math.min(bound, Math.max(-bound, x));
}

/**
 * The pendulum as a control task: dynamics, Gym's reward and the torque bounds.
 * @param options physical constants; unset fields take Gym's values.
 */
export function pendulumTask(options?: Partial<PendulumOptions>): Task & { dynamics: Pendulum } {
  const dynamics = new Pendulum(options);
  const bounds: ActionBounds = { low: [-dynamics.options.maxTorque], high: [dynamics.options.maxTorque] };
  return { dynamics, reward: dynamics.reward, bounds };
}

/** Where start states are drawn from: θ and θ̇ uniform on intervals. Defaults are Gym's reset. */
export interface PendulumStartOptions {
  /** Centre of the angle interval (rad; 0 is upright, π hanging down). @default 0 */
  angleCenter: number;
  /** Half-width of the angle interval (rad). @default π */
  angleHalfWidth: number;
  /** θ̇ is drawn from [−speedHalfWidth, speedHalfWidth) (rad/s). @default 1 */
  speedHalfWidth: number;
}

export const PENDULUM_START_DEFAULTS: PendulumStartOptions = {
  angleCenter: 0,
  angleHalfWidth: Math.PI,
  speedHalfWidth: 1,
};

/**
 * Start states as plain float64 rows [cos θ, sin θ, θ̇], θ drawn before θ̇ for each row.
 * @param count number of rows
 */
export function sampleStartStateRows(rng: Rng, count: number, options?: Partial<PendulumStartOptions>): number[][] {
  const where = "sampleStartStateRows";
  const { angleCenter, angleHalfWidth, speedHalfWidth } = fillOptions(where, PENDULUM_START_DEFAULTS, options, {
    angleCenter: finite,
    angleHalfWidth: nonNegative,
    speedHalfWidth: nonNegative,
  });
  const problem = positiveInt(count);
  if (problem) throw new Error(`${where}: count ${problem}`);
  return Array.from({ length: count }, () => {
    const theta = angleCenter + angleHalfWidth * (2 * rng.uniform() - 1);
    const thetaDot = speedHalfWidth * (2 * rng.uniform() - 1);
    return Pendulum.stateOf(theta, thetaDot);
  });
}

/**
 * Start states as a tensor; the same draws as `sampleStartStateRows`.
 * @returns (count, 3)
 */
export function sampleStartStates(rng: Rng, count: number, options?: Partial<PendulumStartOptions>): tf.Tensor2D {
  return tf.tensor2d(sampleStartStateRows(rng, count, options), [count, 3], "float32");
}

/** The angle θ ∈ (−π, π] of a state row [cos θ, sin θ, θ̇]: 0 upright, ±π hanging. */
export function pendulumAngle(state: ArrayLike<number>): number {
  check(state.length === 3, "pendulumAngle", `state must be a row [cos θ, sin θ, θ̇], got length ${state.length}`);
  return Math.atan2(state[1], state[0]);
}

/** An angle wrapped into (−π, π]; the signed difference of two angles is wrapAngle(a − b). */
export function wrapAngle(angle: number): number {
  return Math.atan2(Math.sin(angle), Math.cos(angle));
}
