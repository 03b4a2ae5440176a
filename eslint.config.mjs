// Lint for src/, test/ and scripts/: the recommended JavaScript and TypeScript rules, a 120-column
// limit (the formatter's printWidth), and the library's own rule: no Math.random in src/ (every
// random draw comes from an explicit Rng).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "build/", "site/", ".venv/", ".jupyter/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "max-len": ["error", { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Error's `cause` option needs the ES2022 library; the library targets ES2020 (tslab's TypeScript 5.0).
      "preserve-caught-error": "off",
    },
  },
  {
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "Math", property: "random", message: "Draw from an explicit Rng." }],
    },
  },
  {
    // Coefficients printed to more digits than a double holds, as published (the rounding is the intent).
    files: ["src/analysis/stats.ts"],
    rules: { "no-loss-of-precision": "off" },
  },
  {
    // Optional backends are probed with require(): a missing package must not be an import error.
    files: ["src/backend.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["scripts/**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The site's page scripts run in the reader's browser.
    files: ["scripts/site/*.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Browser code handed to Chromium (page.evaluate) sees the DOM.
    files: ["scripts/**/*.mjs", "test/notebooks/**/*.ts"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // The JupyterLab test reaches into the application's untyped internals from inside the page.
    files: ["test/notebooks/lab.ts", "test/notebooks/jupyterlab.test.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
