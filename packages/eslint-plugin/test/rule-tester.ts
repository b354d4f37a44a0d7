import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuleTester, type RunTests } from '@typescript-eslint/rule-tester';
import type { TSESLint } from '@typescript-eslint/utils';
import { afterAll, describe, it } from 'vitest';

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

/** Folder with the tsconfig.json and file.ts that type-aware cases are checked against. */
export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A RuleTester with the typescript-eslint parser and no type information (like `agentwire audit`). */
export function syntaxTester(): RuleTester {
  return new RuleTester();
}

/** A RuleTester whose cases get type information from fixtures/tsconfig.json (like an editor with projectService). */
export function typedTester(): RuleTester {
  return new RuleTester({
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: fixturesDir },
    },
  });
}

/**
 * Runs a rule's cases. The tester brings its own copy of @typescript-eslint/utils (a patch
 * version apart from ours): the same shapes, but classes TypeScript tells apart, hence the cast.
 */
export function runRule<MessageIds extends string, Options extends readonly unknown[]>(
  tester: RuleTester,
  name: string,
  rule: TSESLint.RuleModule<MessageIds, Options, unknown>,
  tests: RunTests<MessageIds, Options>,
): void {
  tester.run<MessageIds, Options>(name, rule as never, tests);
}
