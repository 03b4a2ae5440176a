import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import {
  Pendulum,
  pendulumAngle,
  pendulumTask,
  sampleStartStateRows,
  sampleStartStates,
  wrapAngle,
} from "../../src/envs/pendulum";
import { stepJacobians } from "../../src/analysis/jacobians";

interface Consts {
  g: number;
  m: number;
  l: number;
  dt: number;
  maxTorque: number;
  maxSpeed: number;
  damping: number;
}
const GYM: Consts = { g: 10, m: 1, l: 1, dt: 0.05, maxTorque: 2, maxSpeed: 8, damping: 0 };

/** Gym Pendulum-v1's step written out in (θ, θ̇) coordinates, as an independent reference. */
function gymStep(theta: number, thetaDot: number, torque: number, c: Consts): [number, number] {
  const u = Math.min(Math.max(torque, -c.maxTorque), c.maxTorque);
  const accel = ((3 * c.g) / (2 * c.l)) * Math.sin(theta) + (3 / (c.m * c.l * c.l)) * u - c.damping * thetaDot;
  const newThetaDot = Math.min(Math.max(thetaDot + accel * c.dt, -c.maxSpeed), c.maxSpeed);
  return [theta + newThetaDot * c.dt, newThetaDot];
}

function gymReward(theta: number, thetaDot: number, torque: number, c: Consts): number {
  const a = ((((theta + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
  const u = Math.min(Math.max(torque, -c.maxTorque), c.maxTorque);
  return -(a * a + 0.1 * thetaDot * thetaDot + 0.001 * u * u);
}

/** Random angles (beyond ±π), speeds and torques that also hit both clips. */
function randomInputs(seed: number, n: number) {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => ({
    theta: -2 * Math.PI + 4 * Math.PI * rng.uniform(),
    thetaDot: -9 + 18 * rng.uniform(),
    torque: -3 + 6 * rng.uniform(),
  }));
}

function stateTensor(items: { theta: number; thetaDot: number }[]): tf.Tensor2D {
  return tf.tensor2d(items.map((x) => Pendulum.stateOf(x.theta, x.thetaDot)));
}

function actionTensor(items: { torque: number }[]): tf.Tensor2D {
  return tf.tensor2d(items.map((x) => [x.torque]));
}

describe("Pendulum dynamics", () => {
  for (const damping of [0, 1.5]) {
    it(`tensor and float64 steps match Gym's formula (damping ${damping})`, () => {
      const consts = { ...GYM, damping };
      const pendulum = new Pendulum({ damping });
      const items = randomInputs(damping === 0 ? 1 : 2, 300);
      const [s, a] = [stateTensor(items), actionTensor(items)];
      const next = pendulum.step(s, a);
      const rows = next.arraySync();
      items.forEach((x, i) => {
        const [theta, thetaDot] = gymStep(x.theta, x.thetaDot, x.torque, consts);
        const want = [Math.cos(theta), Math.sin(theta), thetaDot];
        rows[i].forEach((v, j) => expect(v).toBeCloseTo(want[j], 4));
        const scalar = pendulum.stepScalar(Pendulum.stateOf(x.theta, x.thetaDot), x.torque);
        scalar.forEach((v, j) => expect(Math.abs(v - want[j])).toBeLessThan(1e-12));
      });
      tf.dispose([s, a, next]);
    });
  }

  it("clips the torque, and the gradient is zero where it is clipped", () => {
    const pendulum = new Pendulum();
    const state = Pendulum.stateOf(2.0, 0.5);
    expect(pendulum.stepScalar(state, 5)).toEqual(pendulum.stepScalar(state, 2));
    expect(pendulum.stepScalar(state, -7)).toEqual(pendulum.stepScalar(state, -2));
    const s = tf.tensor2d([state, state]);
    const a = tf.tensor2d([[5], [1]]);
    const [clipped, inside] = stepJacobians(pendulum, s, a).actionJacobians;
    expect(clipped.flat().map(Math.abs)).toEqual([0, 0, 0]);
    expect(inside[2][0]).toBeCloseTo(3 * GYM.dt, 5); // ∂θ̇'/∂u = 3/(m l²)·dt
    tf.dispose([s, a]);
  });

  it("clips the speed at ±8, and the speed's gradient is zero there", () => {
    const pendulum = new Pendulum();
    const s = tf.tensor2d([Pendulum.stateOf(0.3, 7.9), Pendulum.stateOf(-0.3, -7.9)]);
    const a = tf.tensor2d([[2], [-2]]);
    const next = pendulum.step(s, a);
    const speeds = next.arraySync().map((row) => row[2]);
    expect(speeds).toEqual([8, -8]);
    const { stateJacobians, actionJacobians } = stepJacobians(pendulum, s, a);
    for (const t of [0, 1]) {
      expect(stateJacobians[t][2].map(Math.abs)).toEqual([0, 0, 0]);
      expect(actionJacobians[t][2].map(Math.abs)).toEqual([0]);
    }
    tf.dispose([s, a, next]);
  });

  it("has reward 0 at upright rest and Gym's reward elsewhere", () => {
    const pendulum = new Pendulum();
    const items = [{ theta: 0, thetaDot: 0, torque: 0 }, ...randomInputs(3, 100)];
    const [s, a] = [stateTensor(items), actionTensor(items)];
    const next = pendulum.step(s, a);
    const r = pendulum.reward(s, a, next).arraySync();
    expect(Math.abs(r[0])).toBe(0);
    items.forEach((x, i) => {
      const want = gymReward(x.theta, x.thetaDot, x.torque, GYM);
      expect(r[i]).toBeCloseTo(want, 3);
      expect(pendulum.rewardScalar(Pendulum.stateOf(x.theta, x.thetaDot), x.torque)).toBeCloseTo(want, 10);
    });
    tf.dispose([s, a, next]);
  });

  it("matches the analytic linearisation at the upright equilibrium", () => {
    for (const damping of [0, 2]) {
      const { dt } = GYM;
      const k = (3 * GYM.g) / (2 * GYM.l);
      const s = tf.tensor2d([[1, 0, 0]]);
      const a = tf.tensor2d([[0]]);
      const { stateJacobians, actionJacobians } = stepJacobians(new Pendulum({ damping }), s, a);
      // θ = atan2(sin, cos) ignores the cos entry at the top; θ' = θ + θ̇'·dt, cos θ' is flat at 0.
      const want = [
        [0, 0, 0],
        [0, 1 + k * dt * dt, dt * (1 - damping * dt)],
        [0, k * dt, 1 - damping * dt],
      ];
      stateJacobians[0].forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i][j], 5)));
      [0, 3 * dt * dt, 3 * dt].forEach((v, i) => expect(actionJacobians[0][i][0]).toBeCloseTo(v, 5));
      tf.dispose([s, a]);
    }
  });

  it("has Jacobians that match finite differences and ∂θ̇'/∂θ = 3g/(2l)·dt·cos θ", () => {
    const pendulum = new Pendulum({ damping: 0.7 });
    const items = randomInputs(4, 20).map((x) => ({ ...x, thetaDot: x.thetaDot / 3, torque: x.torque / 2 }));
    const [s, a] = [stateTensor(items), actionTensor(items)];
    const { stateJacobians, actionJacobians } = stepJacobians(pendulum, s, a);
    const h = 1e-6;
    items.forEach((x, t) => {
      const state = Pendulum.stateOf(x.theta, x.thetaDot);
      for (let j = 0; j < 4; j++) {
        const shifted = (d: number) => {
          const st = state.slice();
          if (j < 3) st[j] += d;
          return pendulum.stepScalar(st, j === 3 ? x.torque + d : x.torque);
        };
        const [up, down] = [shifted(h), shifted(-h)];
        for (let i = 0; i < 3; i++) {
          const fd = (up[i] - down[i]) / (2 * h);
          const auto = j < 3 ? stateJacobians[t][i][j] : actionJacobians[t][i][0];
          expect(Math.abs(auto - fd)).toBeLessThan(2e-4);
        }
      }
      // Chain rule to the angle: ∂/∂θ = −sin θ·∂/∂cos + cos θ·∂/∂sin.
      const row = stateJacobians[t][2];
      const dSpeedDTheta = -Math.sin(x.theta) * row[0] + Math.cos(x.theta) * row[1];
      expect(dSpeedDTheta).toBeCloseTo(15 * GYM.dt * Math.cos(x.theta), 4);
    });
    tf.dispose([s, a]);
  });

  it("adds process noise to θ̇ from the rng, and steps the mean without one", () => {
    const pendulum = new Pendulum({ noiseStd: 0.3 });
    const items = randomInputs(5, 50).map((x) => ({ ...x, thetaDot: x.thetaDot / 3 }));
    const [s, a] = [stateTensor(items), actionTensor(items)];
    const noisy = pendulum.step(s, a, new Rng(9)).arraySync();
    const mean = pendulum.step(s, a).arraySync();
    const kicks = new Rng(9).normalArray(items.length, 0, 0.3);
    items.forEach((x, i) => {
      const state = Pendulum.stateOf(x.theta, x.thetaDot);
      pendulum.stepScalar(state, x.torque, kicks[i]).forEach((v, j) => expect(noisy[i][j]).toBeCloseTo(v, 4));
      pendulum.stepScalar(state, x.torque).forEach((v, j) => expect(mean[i][j]).toBeCloseTo(v, 4));
    });
    expect(noisy.some((row, i) => Math.abs(row[2] - mean[i][2]) > 0.1)).toBe(true);
    tf.dispose([s, a]);
  });

  it("leaks no tensors over repeated steps, rewards and Jacobians", () => {
    const pendulum = new Pendulum({ noiseStd: 0.1 });
    const s = sampleStartStates(new Rng(1), 8);
    const a = tf.zeros([8, 1]) as tf.Tensor2D;
    const rng = new Rng(2);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const next = pendulum.step(s, a, rng);
      tf.dispose([next, pendulum.reward(s, a, next)]);
      stepJacobians(pendulum, s, a);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, a]);
  });

  it("rejects bad shapes and options with messages naming them", () => {
    const pendulum = new Pendulum();
    const s2 = tf.zeros([4, 2]) as tf.Tensor2D;
    const s3 = tf.zeros([4, 3]) as tf.Tensor2D;
    const a1 = tf.zeros([4, 1]) as tf.Tensor2D;
    const a2 = tf.zeros([4, 2]) as tf.Tensor2D;
    expect(() => pendulum.step(s2, a1)).toThrow(/Pendulum\.step: states must have shape \[\*, 3\]/);
    expect(() => pendulum.step(s3, a2)).toThrow(/Pendulum\.step: actions must have shape \[4, 1\]/);
    expect(() => pendulum.reward(s3, a2, s3)).toThrow(/Pendulum\.reward: actions/);
    expect(() => pendulum.stepScalar([1, 0], 0)).toThrow(/stepScalar: state/);
    expect(() => new Pendulum({ mass: -1 })).toThrow(/Pendulum: option mass/);
    expect(() => new Pendulum({ gravty: 9.8 } as never)).toThrow(/unknown option "gravty"/);
    expect(() => sampleStartStateRows(new Rng(0), 0)).toThrow(/sampleStartStateRows: count/);
    tf.dispose([s2, s3, a1, a2]);
  });
});

describe("growth at the top", () => {
  /** The step's Jacobian in (θ, θ̇) at the top, by central differences of stepScalar. */
  function topJacobian(pendulum: Pendulum, h = 1e-6): number[][] {
    const step = (theta: number, speed: number) => {
      const [c, s, next] = pendulum.stepScalar([Math.cos(theta), Math.sin(theta), speed], 0);
      return [Math.atan2(s, c), next];
    };
    const dTheta = [step(h, 0), step(-h, 0)];
    const dSpeed = [step(0, h), step(0, -h)];
    return [0, 1].map((row) => [
      (dTheta[0][row] - dTheta[1][row]) / (2 * h),
      (dSpeed[0][row] - dSpeed[1][row]) / (2 * h),
    ]);
  }

  it("uprightLogGrowth is the log of the linearised step's larger eigenvalue, with and without damping", () => {
    for (const options of [{}, { damping: 0.5 }, { dt: 0.1, length: 2 }]) {
      const pendulum = new Pendulum(options);
      const [[a, b], [c, d]] = topJacobian(pendulum);
      const half = (a + d) / 2;
      const largest = half + Math.sqrt(half * half - (a * d - b * c));
      expect(pendulum.uprightLogGrowth()).toBeCloseTo(Math.log(largest), 6);
    }
  });
});

describe("pendulum task and start states", () => {
  it("bundles Gym's torque bounds with the dynamics and reward", () => {
    const task = pendulumTask({ maxTorque: 3 });
    expect(task.bounds).toEqual({ low: [-3], high: [3] });
    expect(task.dynamics.options.maxTorque).toBe(3);
    expect(task.reward).toBe(task.dynamics.reward);
  });

  it("samples start states on the circle within the requested intervals, reproducibly", () => {
    const options = { angleCenter: Math.PI, angleHalfWidth: 0.5, speedHalfWidth: 2 };
    const rows = sampleStartStateRows(new Rng(3), 500, options);
    for (const [c, s, w] of rows) {
      expect(Math.hypot(c, s)).toBeCloseTo(1, 12);
      const offset = Math.atan2(-s, -c); // angle measured from the bottom
      expect(Math.abs(offset)).toBeLessThanOrEqual(0.5 + 1e-12);
      expect(Math.abs(w)).toBeLessThanOrEqual(2);
    }
    expect(Math.max(...rows.map((r) => Math.abs(r[2])))).toBeGreaterThan(1.9);
    const t = sampleStartStates(new Rng(3), 500, options);
    const fromTensor = t.arraySync();
    rows.forEach((row, i) => row.forEach((v, j) => expect(fromTensor[i][j]).toBeCloseTo(v, 6)));
    t.dispose();
  });
});

describe("angle helpers", () => {
  it("read θ from [cos θ, sin θ, θ̇] and wrap differences into (−π, π]", () => {
    for (const theta of [0, 0.3, -2, 3]) expect(pendulumAngle(Pendulum.stateOf(theta, 1))).toBeCloseTo(theta, 12);
    expect(wrapAngle((3 * Math.PI) / 2)).toBeCloseTo(-Math.PI / 2, 12);
    expect(wrapAngle(-0.1 - 2 * Math.PI)).toBeCloseTo(-0.1, 12);
    expect(() => pendulumAngle([1, 0])).toThrow(/pendulumAngle: state must be a row/);
  });
});
