/**
 * The course library: everything the notebooks compute comes from here.
 * Notebooks import the built copy: `import * as mbrl from "../dist";`.
 */
export * as tf from "@tensorflow/tfjs";
export * from "./backend";
export * from "./random";
export * from "./checks";
export * from "./envs/types";
export * from "./display";
