import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/random";
import { randomMatrix, randomSpd } from "./helpers";
import { identity } from "../../src/linalg";
import { LQProblem, lqCost, lqRollout } from "../../src/control/lqr";
import { shootingGradientDescent } from "../../src/control/shootingHessian";
import { LinearDynamics, quadraticReward, quadraticTerminalReward } from "../../src/envs/linear";
import { lqTask } from "../../src/control/lqTask";
import { openLoopObjective, openLoopReturns, policyObjective } from "../../src/control/rollout";

/** A random problem with S = 2 states and U = 1..2 actions; A mildly unstable at most. */
function randomProblem(rng: Rng, horizon: number): LQProblem {
  const U = 1 + rng.int(2);
  return {
    A: randomMatrix(rng, 2, 2, 0.6),
    B: randomMatrix(rng, 2, U),
    Q: randomSpd(rng, 2, 0.7),
    R: randomSpd(rng, U, 0.7),
    Qf: randomSpd(rng, 2, 0.7),
    horizon,
  };
}

const relErr = (x: number, y: number) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-12);

describe("lqTask: the LQ problem as tensors", () => {
  it("open-loop returns equal −lqCost (float64 simulation) with the terminal reward, and the Q_f = 0 cost without it", () => {
    const rng = new Rng(21);
    for (let trial = 0; trial < 5; trial++) {
      const problem = randomProblem(rng, 3 + rng.int(8));
      const U = problem.B[0].length;
      const task = lqTask(problem);
      const x0 = [rng.normal(), rng.normal()];
      const plans = [0, 1, 2].map(() => randomMatrix(rng, problem.horizon, U));
      const starts = tf.tensor1d(x0);
      const actions = tf.tensor3d(plans);
      const withTerminal = openLoopReturns(task, actions, starts, undefined, {
        terminalReward: task.terminalReward,
      }).arraySync();
      const withoutTerminal = openLoopReturns(task, actions, starts).arraySync();
      plans.forEach((plan, b) => {
        expect(relErr(-withTerminal[b], lqCost(problem, x0, plan))).toBeLessThan(1e-4);
        expect(
          relErr(
            -withoutTerminal[b],
            lqCost(
              {
                ...problem,
                Qf: [
                  [0, 0],
                  [0, 0],
                ],
              },
              x0,
              plan,
            ),
          ),
        ).toBeLessThan(1e-4);
      });
      tf.dispose([starts, actions]);
    }
  });

  it("a stationary gain unrolled by policyObjective costs what lqRollout says, for a batch of start states", () => {
    const rng = new Rng(22);
    const problem = { ...randomProblem(rng, 12), B: [[0.5], [1]], R: [[0.3]] };
    const K = [[0.4, -0.2]];
    const task = lqTask(problem);
    const starts = [
      [1, -0.5],
      [0.2, 2],
    ];
    const x = tf.tensor2d(starts);
    const Kt = tf.tensor2d(K).transpose();
    const J = policyObjective(task, (s) => tf.neg(tf.matMul(s, Kt)) as tf.Tensor2D, x, undefined, {
      horizon: problem.horizon,
      terminalReward: task.terminalReward,
    });
    const expected =
      starts.reduce((sum, s0) => sum + lqRollout(problem, s0, new Array(problem.horizon).fill(K)).cost, 0) /
      starts.length;
    expect(relErr(-J.dataSync()[0], expected)).toBeLessThan(1e-4);
    tf.dispose([x, Kt, J]);
  });

  it("autodiff of −openLoopObjective equals the exact float64 shooting gradient 2(M u + HᵀQ̄G x₀)", () => {
    const rng = new Rng(23);
    const problem = randomProblem(rng, 6);
    const U = problem.B[0].length;
    const x0 = [0.7, -1.1];
    const u0 = randomMatrix(rng, problem.horizon, U);
    // One GD step from u0 reveals the exact gradient: g = (u0 − u1) / step.
    const { actions: u1, stepSize } = shootingGradientDescent(problem, x0, { iterations: 1, initialActions: u0 });
    const exact = u0.map((row, t) => row.map((v, j) => (v - u1[t][j]) / stepSize));
    const task = lqTask(problem);
    const start = tf.tensor1d(x0);
    const plan = tf.tensor2d(u0);
    const grad = tf.grad((a: tf.Tensor) =>
      tf.neg(openLoopObjective(task, a as tf.Tensor2D, start, undefined, { terminalReward: task.terminalReward })),
    )(plan);
    const scale = Math.max(...exact.flat().map(Math.abs));
    (grad.arraySync() as number[][]).forEach((row, t) =>
      row.forEach((g, j) => expect(Math.abs(g - exact[t][j]) / scale).toBeLessThan(1e-4)),
    );
    tf.dispose([start, plan, grad]);
  });

  it("weights the terminal reward by γ^H, like a plain loop", () => {
    const [a, b, q, r, qf, gamma, H] = [1.1, 0.5, 1, 0.2, 3, 0.9, 7];
    const task = lqTask({ A: [[a]], B: [[b]], Q: [[q]], R: [[r]], Qf: [[qf]], horizon: H });
    const plan = Array.from({ length: H }, (_, t) => Math.sin(t));
    let [x, total] = [1.5, 0];
    plan.forEach((u, t) => {
      total -= gamma ** t * (q * x * x + r * u * u);
      x = a * x + b * u;
    });
    total -= gamma ** H * qf * x * x;
    const start = tf.tensor1d([1.5]);
    const actions = tf.tensor2d(plan, [H, 1]);
    const J = openLoopObjective(task, actions, start, undefined, {
      discount: gamma,
      terminalReward: task.terminalReward,
    });
    expect(J.dataSync()[0]).toBeCloseTo(total, 4);
    tf.dispose([start, actions, J]);
  });

  it("leaks no tensors across rollouts and gradients", () => {
    const task = lqTask({
      A: [
        [1.2, 0.1],
        [0, 0.9],
      ],
      B: [[0], [1]],
      Q: identity(2),
      R: [[1]],
      horizon: 5,
    });
    const start = tf.tensor1d([1, 0]);
    const plan = tf.zeros([5, 1]);
    const run = () =>
      tf.tidy(() => {
        tf.grad((a: tf.Tensor) =>
          openLoopObjective(task, a as tf.Tensor2D, start, undefined, { terminalReward: task.terminalReward }),
        )(plan);
      });
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([start, plan]);
  });

  it("rejects bad systems, shapes and options, naming the argument", () => {
    expect(() => new LinearDynamics({ A: [[1, 0]], B: [[1]] })).toThrow(/LinearDynamics: system.A must be square/);
    expect(
      () =>
        new LinearDynamics({
          A: [
            [1, 0],
            [0, 1],
          ],
          B: [[1]],
        }),
    ).toThrow(/LinearDynamics: system.B must have shape \[2, \*\]/);
    expect(() => lqTask({ A: [[1]], B: [[1]], Q: [[-1]], R: [[1]], horizon: 3 })).toThrow(
      /lqTask: problem.Q must be positive semi-definite/,
    );
    expect(() => lqTask({ A: [[1]], B: [[1]], Q: [[1]], R: [[1]], horizon: 0 })).toThrow(/lqTask: problem.horizon/);
    expect(() => quadraticReward({ Q: [[1, 2]], R: [[1]] })).toThrow(/quadraticReward: system.Q must be square/);
    expect(() => quadraticTerminalReward([[1, 2, 3]])).toThrow(/quadraticTerminalReward: Qf must be square/);
    const dynamics = new LinearDynamics({
      A: [
        [1, 0],
        [0, 1],
      ],
      B: [[1], [0]],
    });
    const [s, a] = [tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([3, 2]) as tf.Tensor2D];
    expect(() => dynamics.step(s, a)).toThrow(/LinearDynamics.step: actions must have shape \[3, 1\]/);
    const task = lqTask({
      A: [
        [1, 0],
        [0, 1],
      ],
      B: [[1], [0]],
      Q: identity(2),
      R: [[1]],
      horizon: 2,
    });
    const plan = tf.zeros([2, 1]) as tf.Tensor2D;
    const start = tf.zeros([2]) as tf.Tensor1D;
    expect(() =>
      openLoopReturns(task, plan, start, undefined, {
        terminalReward: (x) => x.sum(1).reshape([1, -1]) as unknown as tf.Tensor1D,
      }),
    ).toThrow(/openLoopReturns: terminalReward output must have shape \[1\]/);
    expect(() => openLoopReturns(task, plan, start, undefined, { terminalReward: 3 as unknown as undefined })).toThrow(
      /openLoopReturns: option terminalReward must be a function/,
    );
    tf.dispose([s, a, plan, start]);
  });
});
