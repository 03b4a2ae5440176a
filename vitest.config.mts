import { defineConfig } from "vitest/config";

// Two projects: `unit` (src against independent answers; files in parallel) and `notebooks`
// (executed notebooks, exported pages in Chromium, the declarations tslab reads), one file at a
// time: they share one executed copy of the notebooks, and a 2-core machine thrashes when they
// overlap. `npm test` runs the first, then the second; `npm run test:unit` only the first.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 900_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], setupFiles: ["test/unit/setup.ts"] } },
      { extends: true, test: { name: "notebooks", include: ["test/notebooks/**/*.test.ts"], fileParallelism: false } },
    ],
  },
});
