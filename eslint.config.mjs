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
    },
  },
  {
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "Math", property: "random", message: "Draw from an explicit Rng." }],
    },
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
);
