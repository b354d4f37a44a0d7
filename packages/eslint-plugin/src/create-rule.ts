import { ESLintUtils } from '@typescript-eslint/utils';

/** Documentation of a rule, as the plugin publishes it. */
export interface AgentwireRuleDocs {
  /** Whether `configs.recommended` enables the rule (`strict` enables every rule). */
  recommended: boolean;
}

/** Creates a rule whose `docs.url` points at its page under `docs/rules/`. */
export const createRule = ESLintUtils.RuleCreator<AgentwireRuleDocs>(
  (name) => `https://github.com/agentwire/agentwire/blob/main/packages/eslint-plugin/docs/rules/${name}.md`,
);
