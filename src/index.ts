/**
 * The course library: everything the notebooks compute comes from here.
 * Notebooks import the built copy: `import * as mbrl from "../dist";`.
 *
 * This list is the public API (src/README.md explains the conventions and lists it): what the
 * notebooks call, every algorithm with its options type and `*_DEFAULTS`, and the contracts
 * (`System`, `Task`, `Policy`, ...). Checks, matrix helpers, batched planner variants, the parts a
 * task factory assembles and the fast MLP path stay inside: tests import them from their module.
 * test/unit/publicApi.test.ts fails when a notebook uses a name not listed here.
 */
export * as tf from "@tensorflow/tfjs";
export { initBackend, describeBackend, type BackendName, type BackendInfo } from "./backend";
export { Rng, rng } from "./random";
export { rollout, type Actor, type Transition, type RolloutLoopOptions } from "./rollout";

// Environments (envs/): the true systems and the contracts every model and planner shares.
export type { Dynamics, RewardFn, ActionBounds, System, Task, Policy } from "./envs/types";
export {
  EXAM_DEFAULTS,
  EXAM_PLANS,
  examAnswerReward,
  examStrategyValue,
  examOpenLoopStrategy,
  examBestOpenLoopPlan,
  examClosedLoopStrategy,
  examMpcStrategy,
  examValues,
  simulateExam,
  examValueGrid,
  type ExamQuestion,
  type ExamAnswer,
  type ExamPlan,
  type ExamOptions,
  type ExamStrategy,
  type ExamSimulationOptions,
  type ExamGridOptions,
} from "./envs/examMdp";
export {
  LinearGaussian,
  linearGaussianTask,
  LINEAR_GAUSSIAN_DEFAULTS,
  linearGaussianReward,
  linearGaussianFeedbackPolicy,
  linearGaussianPlanCost,
  linearGaussianOpenLoopCost,
  linearGaussianFeedbackCost,
  linearGaussianLinearFeedbackCost,
  linearGaussianRunPolicy,
  linearGaussianRunPlan,
  type LinearGaussianOptions,
  type LinearGaussianTask,
  type LinearGaussianSimulationOptions,
} from "./envs/linearGaussian";
export {
  pointMassTask,
  POINT_MASS_DEFAULTS,
  pointMassFeedbackPolicy,
  pointMassMiddleThenGapPolicy,
  pointMassOutcome,
  pointMassGapOutOfReach,
  type PointMassOptions,
  type PointMassTask,
  type PointMassOutcome,
} from "./envs/pointMass";
export {
  Pendulum,
  pendulumTask,
  PENDULUM_DEFAULTS,
  PENDULUM_STATE_NAMES,
  sampleStartStates,
  PENDULUM_START_DEFAULTS,
  pendulumAngle,
  wrapAngle,
  type PendulumOptions,
  type PendulumStartOptions,
} from "./envs/pendulum";

// Learned dynamics (models/).
export { MLP, MLP_DEFAULTS, type MLPOptions } from "./models/mlp";
export { DynamicsModel, DYNAMICS_MODEL_DEFAULTS, type DynamicsModelOptions } from "./models/dynamicsModel";
export { transitionsFromEpisodes, type TransitionData, type Trajectories } from "./models/data";
export { fitDynamics, FIT_DEFAULTS, type FitOptions, type FitProgress } from "./models/fit";
export { predictionErrorByHorizon, uninformedPredictionError } from "./models/predictionError";
export {
  transitionsFromTable,
  trajectoriesFromTable,
  TABLE_COLUMNS_DEFAULTS,
  type ColumnTable,
  type TableColumns,
} from "./models/fromTable";

// Planning (planning/): open-loop returns, optimisers, execution, MPC, policy search.
export { sequenceReturns, closedLoopReturns, RETURN_DEFAULTS, type ReturnOptions } from "./planning/returns";
export type { Box, SearchObjective } from "./planning/search";
export { cem, CEM_DEFAULTS, type CemOptions, type CemProgress, type CemResult, type SearchSpace } from "./planning/cem";
export {
  openLoopPlan,
  PLAN_DEFAULTS,
  type PlanOptions,
  type PlanMethod,
  type OpenLoopPlans,
} from "./planning/openLoopPlan";
export {
  runPolicy,
  executePlan,
  RUN_DEFAULTS,
  type Episodes,
  type RunOptions,
  type RunProgress,
} from "./planning/execute";
export { mpc, MPC_DEFAULTS, type MpcOptions, type MpcProgress, type MpcEpisodes } from "./planning/mpc";
export {
  policySearch,
  POLICY_SEARCH_DEFAULTS,
  type PolicySearchOptions,
  type PolicyFamily,
} from "./planning/policySearch";

// Control (control/): the recursive objective, BPTT, LQR.
export { policyObjective, openLoopObjective, ROLLOUT_DEFAULTS, type RolloutOptions } from "./control/rollout";
export {
  trainBptt,
  BPTT_DEFAULTS,
  type BpttOptions,
  type BpttProgress,
  type BpttResult,
  type TrainablePolicy,
  type StartStateSampler,
  type StartStates,
} from "./control/bptt";
export { mlpPolicy, MLP_POLICY_DEFAULTS, type MlpPolicyOptions } from "./control/mlpPolicy";
export {
  riccatiGains,
  lqRollout,
  lqCost,
  dareGain,
  DARE_DEFAULTS,
  scalarPolicyCost,
  type LQSystem,
  type LQProblem,
  type RiccatiSolution,
  type LQTrajectory,
  type DareOptions,
  type DareSolution,
  type ScalarLQ,
} from "./control/lqr";
export {
  shootingConditionNumber,
  shootingOptimalActions,
  shootingGradientDescent,
  SHOOTING_GD_DEFAULTS,
  type ShootingGDOptions,
  type ShootingGDResult,
} from "./control/shootingHessian";
export { lqTask, type LQTask } from "./control/lqTask";

// Analysis (analysis/): statistics, gradient checks, landscapes, Jacobian products.
export {
  meanCI,
  MEAN_CI_DEFAULTS,
  leastSquaresSlope,
  compareToExact,
  type MeanCI,
  type MeanCIOptions,
  type ExactComparison,
} from "./analysis/stats";
export {
  gradientCheck,
  GRADIENT_CHECK_DEFAULTS,
  gradientNormByHorizon,
  GRADIENT_NORM_DEFAULTS,
  type GradientCheckOptions,
  type GradientCheckEntry,
  type GradientCheckResult,
  type GradientNormOptions,
  type GradientNormPoint,
} from "./analysis/gradientCheck";
export {
  linspace,
  randomUnitDirection,
  landscapeSlice,
  policyLandscapeSlice,
  flattenVariables,
  parameterObjective,
  roughness,
  LANDSCAPE_DEFAULTS,
  POLICY_LANDSCAPE_DEFAULTS,
  type LandscapeOptions,
  type PolicyLandscapeOptions,
  type LandscapeSlice,
} from "./analysis/landscape";
export {
  stepJacobians,
  closedLoopJacobians,
  jacobianProductSpectrum,
  policyTrajectory,
  TRAJECTORY_DEFAULTS,
  type StepJacobians,
  type ProductSpectrum,
  type Trajectory,
  type TrajectoryOptions,
} from "./analysis/jacobians";

// Lecture step 04, what to do instead of BPTT through the model (notebook 04).
export { GaussianPolicy, GAUSSIAN_POLICY_DEFAULTS, type GaussianPolicyOptions } from "./control/gaussianPolicy";
export {
  branchedRollouts,
  disposeBuffer,
  BRANCHED_ROLLOUT_DEFAULTS,
  type BranchedRolloutOptions,
  type RolloutBuffer,
} from "./planning/branchedRollouts";
export {
  likelihoodRatioGradients,
  LIKELIHOOD_RATIO_DEFAULTS,
  trainLikelihoodRatio,
  LIKELIHOOD_RATIO_TRAIN_DEFAULTS,
  type GradientEstimates,
  type LikelihoodRatioOptions,
  type LikelihoodRatioProgress,
  type LikelihoodRatioTrainOptions,
} from "./control/likelihoodRatio";
export { pathwiseGradients, PATHWISE_DEFAULTS, type PathwiseOptions } from "./control/pathwiseGradient";
export {
  totalVariance,
  bootstrapCrossing,
  BOOTSTRAP_CROSSING_DEFAULTS,
  type BootstrapCrossingOptions,
  type CrossingCI,
} from "./analysis/estimatorVariance";
export {
  ValueFunction,
  VALUE_FUNCTION_DEFAULTS,
  fitValueFunction,
  VALUE_FIT_DEFAULTS,
  type ValueFunctionOptions,
  type ValueFitOptions,
} from "./models/valueFunction";
export {
  truncatedObjective,
  TRUNCATED_OBJECTIVE_DEFAULTS,
  valueTargets,
  VALUE_TARGET_DEFAULTS,
  truncatedGradientNorms,
  TRUNCATED_GRADIENT_NORM_DEFAULTS,
  trainTruncatedBptt,
  TRUNCATED_BPTT_DEFAULTS,
  type TruncatedObjectiveOptions,
  type ValueTargetOptions,
  type TruncatedGradientNormOptions,
  type TruncatedBpttOptions,
  type TruncatedBpttProgress,
} from "./control/truncatedBptt";
export { collocationConditionNumber, collocationOptimum, policyCollocationJacobian } from "./control/collocation";

// Display (display/): the only outputs.
export {
  showFigure,
  showTable,
  progress,
  lines,
  scatter,
  pathBundle,
  heatmap,
  levelLine,
  verticalLines,
  meanCISeries,
  PALETTE,
  type Figure,
  type PlotSpec,
  type Series,
  type Axis,
  type HeatmapSpec,
  type Row,
  type TableOptions,
  type ProgressOptions,
  type Obstacle,
} from "./display";
export { showClaims, type Claims } from "./display/claims";
export { wallPathsFigure, type WallGeometry } from "./display/pointMassFigure";
export {
  fitHistoryFigure,
  uprightDistanceFigure,
  predictionErrorFigure,
  trainingHistoryFigure,
  costAgainstNoiseFigure,
  type FitCurvePoint,
  type AngleCurve,
  type HistoryCurve,
  type EstimateSeries,
  type ExactCurve,
} from "./display/courseFigures";
