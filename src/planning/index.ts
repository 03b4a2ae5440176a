/** Planning (lecture step 01): returns of action sequences, random shooting, CEM, MPC, policy search. */
export { tileForMembers, sequenceReturns, sequenceReturnsBatch, closedLoopReturns, type System, type ReturnOptions } from "./returns";
export type { Box, BatchBox, SearchObjective, BatchSearchObjective } from "./search";
export {
  randomShooting, randomShootingBatch, RANDOM_SHOOTING_DEFAULTS,
  type RandomShootingOptions, type RandomShootingResult, type RandomShootingBatchResult,
} from "./randomShooting";
export {
  cem, cemBatch, CEM_DEFAULTS,
  type CemOptions, type CemProgress, type CemResult, type CemBatchResult, type SearchSpace, type BatchSearchSpace,
} from "./cem";
export { openLoopPlan, PLAN_DEFAULTS, type PlanOptions, type PlanMethod, type OpenLoopPlans } from "./openLoopPlan";
export { runPolicy, executePlan, RUN_DEFAULTS, type Episodes, type RunOptions, type RunProgress } from "./execute";
export { mpc, MPC_DEFAULTS, type MpcOptions, type MpcProgress, type MpcEpisodes } from "./mpc";
export { policySearch, POLICY_SEARCH_DEFAULTS, type PolicySearchOptions, type PolicySearchProblem } from "./policySearch";
