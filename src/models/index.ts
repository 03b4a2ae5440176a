/** Learned dynamics: the MLP (ensemble), normalisation, the delta model, fitting, evaluation. */
export { MLP, type MLPOptions } from "./mlp";
export { Normalizer } from "./normalizer";
export { DynamicsModel, type DynamicsModelOptions } from "./dynamicsModel";
export { transitionsFromEpisodes, type TransitionData, type TransitionRows, type Trajectories } from "./data";
export { fitDynamics, type FitOptions, type FitProgress } from "./fit";
export { predictionErrorByHorizon } from "./predictionError";
export { transitionsFromTable, trajectoriesFromTable, type ColumnTable, type TableColumns } from "./fromTable";
