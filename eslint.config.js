// eslint for the web page's scripts (docs/web.md says why these rules). Run: npm run lint (make jslint runs it).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/**", ".venv/**", "build/**"] },
  js.configs.recommended,
  {
    files: ["src/shelfkeeper/web/static/**/*.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: globals.browser },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      eqeqeq: ["error", "always"],
      curly: ["error", "multi-line"],
      "no-var": "error",
      "prefer-const": "error",
      "no-shadow": "error",
      "no-console": "error",
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-param-reassign": ["error", { props: false }],
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-use-before-define": ["error", { functions: false, classes: true, variables: false }],
      "object-shorthand": "error",
      "prefer-template": "error",
      // Text goes into the page as text nodes (dom.js's h), never as markup: a book title cannot become HTML.
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "Build nodes with h() from dom.js; text stays text." },
        { property: "outerHTML", message: "Build nodes with h() from dom.js; text stays text." },
        { property: "insertAdjacentHTML", message: "Build nodes with h() from dom.js; text stays text." },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "AssignmentExpression[left.property.name='innerHTML']", message: "Build nodes with h() from dom.js." },
        { selector: "CallExpression[callee.property.name='write'][callee.object.name='document']", message: "No document.write." },
      ],
      // The same bound as the Python files (DESIGN.md): a file past it is two files.
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: globals.node },
  },
];
