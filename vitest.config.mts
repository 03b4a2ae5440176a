import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 900_000,
    // Notebook and browser tests share one build of the notebooks (test/notebooks/build.ts);
    // running files one after another keeps the 2-core machine from thrashing.
    fileParallelism: false,
  },
});
