// Small on purpose: the recommended JS/TS rules, the hooks rules, and the feature boundaries
// (shared code never imports a feature; a feature never imports another feature or the app).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

export default tseslint.config(
  { ignores: ["dist", "node_modules", "src/lib/api/schema.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["src/**/*.{ts,tsx}"],
    languageOptions: { globals: globals.browser },
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
    },
  },
  {
    files: ["src/lib/**", "src/components/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/features/**", "**/app/**"], message: "shared code must not import features or the app" }] }],
    },
  },
  {
    files: ["src/features/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["../../features/**", "../../app/**", "../[a-z]*/**", "../[a-z]*"], message: "a feature never imports another feature or the app" }] }],
    },
  },
  { files: ["scripts/**", "*.config.*"], languageOptions: { globals: globals.node } },
);
