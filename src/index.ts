/**
 * The course library: everything the notebooks compute comes from here.
 * Notebooks import the built copy: `import * as mbrl from "../dist";`.
 */
export * as tf from "@tensorflow/tfjs";
export * from "./backend";
export * from "./random";
export * from "./checks";
export * from "./linalg";
export * from "./envs/types";
export * from "./envs/examMdp";
export * from "./envs/linearGaussian";
export * from "./envs/pointMass";
export * from "./envs/pendulum";
export * from "./models";
export * from "./planning";
export * from "./control/rollout";
export * from "./control/bptt";
export * from "./control/mlpPolicy";
export * from "./control/lqr";
export * from "./control/shootingHessian";
export * from "./control/lqTask";
export * from "./analysis/stats";
export * from "./analysis/gradientCheck";
export * from "./analysis/landscape";
export * from "./analysis/jacobians";
export * from "./display";
export * from "./display/claims";
export * from "./display/pointMassFigure";
