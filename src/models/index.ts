/** Learned dynamics: the MLP (ensemble), normalisation, the delta model, fitting, evaluation. */
export { MLP, type MLPOptions } from "./mlp";
export { Normalizer } from "./normalizer";
export { DynamicsModel, type DynamicsModelOptions } from "./dynamicsModel";
export { fitDynamics, type FitOptions, type FitProgress, type TransitionData } from "./fit";
export { predictionErrorByHorizon, type Trajectories } from "./predictionError";
