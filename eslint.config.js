// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import agentwire from 'eslint-plugin-agentwire';
import { FORBIDDEN_IMPORTS, forbiddenInTests } from './boundaries.js';

export default tseslint.config(
  // packages/cli/web is the built page, copied in by the build.
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/cli/web/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'], defaultProject: 'tsconfig.test.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use a const object or a union.' }],
    },
  },
  ...Object.entries(FORBIDDEN_IMPORTS).map(([pkg, patterns]) => ({
    files: [`packages/${pkg}/src/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: patterns.map((group) => ({ group: [group], message: `docs/architecture.md §2: ${pkg} must not import this.` })) },
      ],
    },
  })),
  // The same layering in test code, fixtures of agentwire-testing included (boundaries.js says which reach what).
  ...Object.keys(FORBIDDEN_IMPORTS).map((pkg) => ({
    files: [`packages/${pkg}/test/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: forbiddenInTests(pkg).map((name) => ({
            name,
            message: `docs/architecture.md §2: ${pkg} must not import this, in tests either; an end-to-end test across packages belongs in packages/testing.`,
          })),
        },
      ],
    },
  })),
  // Dogfooding eslint-plugin-agentwire (needs its build: `tsc -b`). The gateway is the only transport;
  // examples/legacy-app is the audit's corpus of what the rules forbid.
  {
    ...agentwire.configs.strict,
    files: ['packages/**/*.ts', 'examples/**/*.ts'],
    ignores: ['examples/legacy-app/**'],
  },
  {
    files: ['packages/**/*.ts', 'examples/**/*.ts'],
    ignores: ['examples/legacy-app/**'],
    rules: { 'agentwire/no-direct-socket-send': ['error', { allow: ['packages/gateway/src/**'] }] },
  },
  {
    // Tests speak the wire protocol by hand (raw clients and servers) and leave runs open on purpose.
    files: ['packages/*/test/**/*.ts', 'packages/testing/src/**/*.ts'],
    rules: { 'agentwire/no-direct-socket-send': 'off', 'agentwire/require-terminal-event': 'off' },
  },
  {
    // The EventLog contract feeds events to a log directly, below any emitter: that is what it tests.
    files: ['packages/testing/src/event-log-contract.ts'],
    rules: { 'agentwire/no-handmade-event': 'off' },
  },
  {
    // These test the event names themselves, valid and drifted.
    files: ['packages/protocol/test/**/*.ts', 'packages/eslint-plugin/test/**/*.ts', 'packages/core/test/legacy-bridge.test.ts'],
    rules: { 'agentwire/no-unknown-event-type': 'off', 'agentwire/no-handmade-event': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Node scripts in JavaScript: npm's pack steps, the CLI's launcher and build step.
    files: ['scripts/**/*.js', 'packages/*/bin/**/*.js', 'packages/*/scripts/**/*.js'],
    languageOptions: { globals: globals.node },
  },
);
