/**
 * The "exam" MDP: the smallest case where acting on information beats any fixed plan.
 *
 * Step 0: go home (return 0, episode over) or take the exam. Taking it draws a question,
 * A with probability p, else B, and the student sees it. Step 1: answer A or B; the right
 * answer earns `reward`, the wrong one `penalty`.
 *
 * Three ways to act, valued exactly by enumerating the question:
 * - an open-loop plan fixes both actions up front, so its answer ignores the question;
 * - a closed-loop policy chooses each action from the current state (dynamic programming);
 * - MPC replans at every step, but judges each candidate plan open-loop, as if nothing
 *   would be learnt later. At step 0 that makes it pick the best open-loop plan's first
 *   action; at step 1 it sees the question, and since no information is left to arrive,
 *   open-loop and closed-loop planning agree and it answers as well as possible.
 *
 * At the defaults: open loop 0 (go home; an answer chosen blind is worth −5), closed loop +10,
 * MPC 0 (it goes home because it cannot count on seeing the question before answering).
 */
import { fillOptions, finite, inRange, positiveInt, type Rule } from "../checks";
import type { Rng } from "../random";

export type ExamQuestion = "A" | "B";
export type ExamAnswer = ExamQuestion;

/** An open-loop plan: both actions fixed before the question is seen. */
export type ExamPlan = { first: "home" } | { first: "exam"; answer: ExamAnswer };

export interface ExamOptions {
  /** Probability that the question is A. @default 0.5 */
  p: number;
  /** Reward for a right answer. @default 10 */
  reward: number;
  /** Reward for a wrong answer (negative: a penalty). @default -20 */
  penalty: number;
}

export const EXAM_DEFAULTS: ExamOptions = { p: 0.5, reward: 10, penalty: -20 };
const EXAM_RULES = { p: inRange(0, 1), reward: finite, penalty: finite };

function fillExam(where: string, given?: Partial<ExamOptions>): ExamOptions {
  return fillOptions(where, EXAM_DEFAULTS, given, EXAM_RULES);
}

/** Every open-loop plan, home first (ties in value go to the first listed). */
export const EXAM_PLANS: readonly ExamPlan[] = [
  { first: "home" },
  { first: "exam", answer: "A" },
  { first: "exam", answer: "B" },
];

const QUESTIONS: readonly ExamQuestion[] = ["A", "B"];

function questionProbability(question: ExamQuestion, p: number): number {
  return question === "A" ? p : 1 - p;
}

/** The step-1 reward: `reward` if the answer matches the question, else `penalty`. */
export function examAnswerReward(question: ExamQuestion, answer: ExamAnswer, options?: Partial<ExamOptions>): number {
  const o = fillExam("examAnswerReward", options);
  return answer === question ? o.reward : o.penalty;
}

/**
 * A way of acting in the exam: whether to sit it, and how to answer each question.
 * Open-loop strategies answer the same whatever the question.
 */
export interface ExamStrategy {
  readonly name: string;
  readonly first: "home" | "exam";
  answer(question: ExamQuestion): ExamAnswer;
}

/** Expected return of a strategy, by enumerating the question. */
export function examStrategyValue(strategy: ExamStrategy, options?: Partial<ExamOptions>): number {
  const o = fillExam("examStrategyValue", options);
  if (strategy.first === "home") return 0;
  return QUESTIONS.reduce((v, q) => v + questionProbability(q, o.p) * examAnswerReward(q, strategy.answer(q), o), 0);
}

/** Carry out a fixed plan, whatever the question. */
export function examOpenLoopStrategy(plan: ExamPlan): ExamStrategy {
  const name = plan.first === "home" ? "go home" : `answer ${plan.answer} blind`;
  return { name, first: plan.first, answer: () => (plan.first === "exam" ? plan.answer : "A") }; // a home plan never answers
}

/** The best open-loop plan and its expected return (home wins ties). */
export function examBestOpenLoopPlan(options?: Partial<ExamOptions>): { plan: ExamPlan; value: number } {
  const o = fillExam("examBestOpenLoopPlan", options);
  let best = { plan: EXAM_PLANS[0], value: examStrategyValue(examOpenLoopStrategy(EXAM_PLANS[0]), o) };
  for (const plan of EXAM_PLANS.slice(1)) {
    const value = examStrategyValue(examOpenLoopStrategy(plan), o);
    if (value > best.value) best = { plan, value };
  }
  return best;
}

/**
 * The best answer once the question is known. At the last step no more information can
 * arrive, so this is both the closed-loop choice and MPC's replanned (open-loop) choice.
 */
function bestAnswer(question: ExamQuestion, o: ExamOptions): ExamAnswer {
  const other: ExamAnswer = question === "A" ? "B" : "A";
  return examAnswerReward(question, question, o) >= examAnswerReward(question, other, o) ? question : other;
}

/** The optimal closed-loop policy, by dynamic programming backwards from step 1. */
export function examClosedLoopStrategy(options?: Partial<ExamOptions>): ExamStrategy {
  const o = fillExam("examClosedLoopStrategy", options);
  const answer = (q: ExamQuestion) => bestAnswer(q, o);
  const sitValue = examStrategyValue({ name: "", first: "exam", answer }, o); // V(step 0 | exam)
  return { name: "closed-loop policy", first: sitValue > 0 ? "exam" : "home", answer };
}

/** MPC with open-loop plan evaluation: first action of the best open-loop plan, then replan. */
export function examMpcStrategy(options?: Partial<ExamOptions>): ExamStrategy {
  const o = fillExam("examMpcStrategy", options);
  return { name: "MPC (replanning)", first: examBestOpenLoopPlan(o).plan.first, answer: (q) => bestAnswer(q, o) };
}

/** The three exact values of the lecture's comparison. */
export function examValues(options?: Partial<ExamOptions>): { openLoop: number; closedLoop: number; mpc: number } {
  const o = fillExam("examValues", options);
  return {
    openLoop: examBestOpenLoopPlan(o).value,
    closedLoop: examStrategyValue(examClosedLoopStrategy(o), o),
    mpc: examStrategyValue(examMpcStrategy(o), o),
  };
}

export interface ExamSimulationOptions extends ExamOptions {
  /** Number of independent episodes. @default 1000 */
  episodes: number;
}

/**
 * Monte Carlo: run a strategy for many episodes, drawing each question from `rng`.
 * One question is drawn per episode, whether or not it is used, so the draws do not depend on
 * the strategy: strategies simulated from equal seeds face the same questions.
 * @returns (episodes) per-episode returns
 */
export function simulateExam(strategy: ExamStrategy, rng: Rng, options?: Partial<ExamSimulationOptions>): Float64Array {
  const o = fillOptions("simulateExam", { ...EXAM_DEFAULTS, episodes: 1000 }, options, {
    ...EXAM_RULES,
    episodes: positiveInt,
  });
  const questions: ExamQuestion[] = Array.from({ length: o.episodes }, () => (rng.bernoulli(o.p) ? "A" : "B"));
  const exam = { p: o.p, reward: o.reward, penalty: o.penalty };
  return Float64Array.from(questions, (q) =>
    strategy.first === "home" ? 0 : examAnswerReward(q, strategy.answer(q), exam),
  );
}

export interface ExamGridOptions {
  /** Probability that the question is A. @default 0.5 */
  p: number;
  /** Right-answer rewards along the grid's x axis. @default 0, 2, …, 40 */
  rewards: number[];
  /** Wrong-answer rewards along the grid's y axis. @default −40, −38, …, 0 */
  penalties: number[];
}

const nonEmptyFinite: Rule<number[]> = (v) =>
  Array.isArray(v) && v.length > 0 && v.every(Number.isFinite)
    ? undefined
    : "must be a non-empty array of finite numbers";

/**
 * Value of information over a (reward, penalty) grid at fixed p, for a heatmap.
 * Entry [i][j] is at penalties[i], rewards[j] (rows are y, as Plotly's heatmap z expects).
 * @returns openLoopGap = closed-loop − best open-loop value; mpcGap = closed-loop − MPC value.
 */
export function examValueGrid(options?: Partial<ExamGridOptions>): {
  rewards: number[];
  penalties: number[];
  openLoopGap: number[][];
  mpcGap: number[][];
} {
  const steps = Array.from({ length: 21 }, (_, i) => 2 * i);
  const o = fillOptions("examValueGrid", { p: 0.5, rewards: steps, penalties: steps.map((r) => r - 40) }, options, {
    p: inRange(0, 1),
    rewards: nonEmptyFinite,
    penalties: nonEmptyFinite,
  });
  const values = o.penalties.map((penalty) => o.rewards.map((reward) => examValues({ p: o.p, reward, penalty })));
  return {
    rewards: o.rewards.slice(),
    penalties: o.penalties.slice(),
    openLoopGap: values.map((row) => row.map((v) => v.closedLoop - v.openLoop)),
    mpcGap: values.map((row) => row.map((v) => v.closedLoop - v.mpc)),
  };
}
