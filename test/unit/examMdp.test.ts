import { describe, it, expect } from "vitest";
import {
  EXAM_PLANS,
  examBestOpenLoopPlan,
  examClosedLoopStrategy,
  examMpcStrategy,
  examOpenLoopStrategy,
  examStrategyValue,
  examValueGrid,
  examValues,
  simulateExam,
  type ExamOptions,
} from "../../src/envs/examMdp";
import { meanCI } from "../../src/analysis/stats";
import { Rng } from "../../src/random";

/** The values derived by hand (see the module comment). */
function handValues({ p, reward: r, penalty: w }: ExamOptions) {
  const blindA = p * r + (1 - p) * w;
  const blindB = p * w + (1 - p) * r;
  const openLoop = Math.max(0, blindA, blindB);
  return {
    openLoop,
    closedLoop: Math.max(0, r, w), // sit only if the best informed answer beats going home
    mpc: openLoop > 0 ? Math.max(r, w) : 0, // sits iff the best open-loop plan does, then answers knowing the question
  };
}

describe("exam MDP, exact values", () => {
  it("gives the lecture's numbers at the defaults: open loop 0, closed loop +10, MPC 0", () => {
    expect(examValues()).toEqual({ openLoop: 0, closedLoop: 10, mpc: 0 });
    expect(examBestOpenLoopPlan().plan).toEqual({ first: "home" });
    expect(examStrategyValue(examOpenLoopStrategy({ first: "exam", answer: "A" }))).toBeCloseTo(
      0.5 * 10 + 0.5 * -20,
      12,
    );
    expect(examMpcStrategy().first).toBe("home");
    expect(examClosedLoopStrategy().first).toBe("exam");
  });

  it("matches the hand formulas on worked cases", () => {
    // A likely question makes blind answering pay (0.8·10 − 0.2·20 = 4); MPC then sits and answers right.
    expect(examValues({ p: 0.8 })).toEqual(expect.objectContaining({ closedLoop: 10, mpc: 10 }));
    expect(examValues({ p: 0.8 }).openLoop).toBeCloseTo(4, 12);
    expect(examBestOpenLoopPlan({ p: 0.2 }).plan).toEqual({ first: "exam", answer: "B" });
    // A big prize: 0.5·30 − 0.5·20 = 5 > 0.
    expect(examValues({ reward: 30 })).toEqual({ openLoop: 5, closedLoop: 30, mpc: 30 });
    // Nothing to win: everyone stays home.
    expect(examValues({ reward: -1, penalty: -5 })).toEqual({ openLoop: 0, closedLoop: 0, mpc: 0 });
  });

  it("matches the hand formulas on 300 random parameter settings", () => {
    const rng = new Rng(3);
    for (let i = 0; i < 300; i++) {
      const o = { p: rng.uniform(), reward: rng.uniform() * 60 - 20, penalty: rng.uniform() * 60 - 40 };
      const got = examValues(o);
      const want = handValues(o);
      expect(got.openLoop).toBeCloseTo(want.openLoop, 10);
      expect(got.closedLoop).toBeCloseTo(want.closedLoop, 10);
      expect(got.mpc).toBeCloseTo(want.mpc, 10);
    }
  });

  it("rejects bad options, naming them", () => {
    expect(() => examValues({ p: 1.5 })).toThrow(/examValues: option p must be in \[0, 1\]/);
    expect(() => examValues({ reward: NaN })).toThrow(/examValues: option reward must be finite/);
    expect(() => examValues({ bonus: 1 } as never)).toThrow(/examValues: unknown option "bonus"/);
    expect(() => simulateExam(examMpcStrategy(), new Rng(0), { episodes: 0 })).toThrow(/simulateExam: option episodes/);
    expect(() => examValueGrid({ rewards: [] })).toThrow(/examValueGrid: option rewards must be a non-empty array/);
  });
});

describe("exam MDP, Monte Carlo", () => {
  const cases: Partial<ExamOptions>[] = [{}, { p: 0.8 }, { p: 0.3, reward: 25, penalty: -15 }];

  // 18 intervals are checked, so at 95% about one would miss by chance: use 99.9% (a 1-in-55 chance of any miss).
  it("puts each strategy's exact value inside the 99.9% interval of its simulated returns", () => {
    for (const o of cases) {
      const strategies = [
        examOpenLoopStrategy(examBestOpenLoopPlan(o).plan),
        examClosedLoopStrategy(o),
        examMpcStrategy(o),
        ...EXAM_PLANS.map(examOpenLoopStrategy),
      ];
      strategies.forEach((s, i) => {
        const ci = meanCI(simulateExam(s, new Rng(100 + i), { ...o, episodes: 4000 }), { level: 0.999 });
        const exact = examStrategyValue(s, o);
        expect(ci.low).toBeLessThanOrEqual(exact);
        expect(ci.high).toBeGreaterThanOrEqual(exact);
      });
    }
  });

  it("draws the same questions for every strategy from the same seed", () => {
    const a = simulateExam(examOpenLoopStrategy({ first: "exam", answer: "A" }), new Rng(9), { episodes: 500 });
    const b = simulateExam(examOpenLoopStrategy({ first: "exam", answer: "B" }), new Rng(9), { episodes: 500 });
    a.forEach((ra, i) => expect(ra + b[i]).toBe(10 - 20)); // exactly one of the two is right
    const closed = simulateExam(examClosedLoopStrategy(), new Rng(9), { episodes: 500 });
    expect(Array.from(closed).every((r) => r === 10)).toBe(true);
  });
});

describe("exam value grid", () => {
  it("holds closed-loop minus open-loop and minus MPC values, rows by penalty", () => {
    const rewards = [0, 5, 10, 30];
    const penalties = [-30, -20, -5, 0];
    const grid = examValueGrid({ p: 0.6, rewards, penalties });
    expect(grid.openLoopGap).toHaveLength(penalties.length);
    penalties.forEach((penalty, i) => {
      expect(grid.openLoopGap[i]).toHaveLength(rewards.length);
      rewards.forEach((reward, j) => {
        const v = handValues({ p: 0.6, reward, penalty });
        expect(grid.openLoopGap[i][j]).toBeCloseTo(v.closedLoop - v.openLoop, 10);
        expect(grid.mpcGap[i][j]).toBeCloseTo(v.closedLoop - v.mpc, 10);
      });
    });
  });

  it("has a default grid whose gaps are never negative and MPC never below open loop", () => {
    const grid = examValueGrid();
    const i = grid.penalties.indexOf(-20);
    const j = grid.rewards.indexOf(10);
    expect(grid.openLoopGap[i][j]).toBe(10);
    for (const [row, gapRow] of grid.mpcGap.entries()) {
      gapRow.forEach((g, k) => {
        expect(g).toBeGreaterThanOrEqual(0);
        expect(g).toBeLessThanOrEqual(grid.openLoopGap[row][k] + 1e-12);
      });
    }
  });
});
