import * as typescriptParser from '@typescript-eslint/parser';
import type { TSESLint } from '@typescript-eslint/utils';
import { SOURCE_FILES } from './file-globs.js';
import { noDirectSocketSend } from './rules/no-direct-socket-send.js';
import { noHandmadeEvent } from './rules/no-handmade-event.js';
import { noUnknownEventType } from './rules/no-unknown-event-type.js';
import { requireTerminalEvent } from './rules/require-terminal-event.js';
import { throughEmitter } from './rules/through-emitter.js';

/**
 * eslint-plugin-agentwire: keeps agent events on the one wire. Four rules, and two
 * flat configs that enable them under the plugin name `agentwire`. Each config works as
 * pasted: it names the files it lints (TypeScript and JavaScript, see {@link SOURCE_FILES})
 * and parses them with typescript-eslint's parser. The rules use type information where the
 * project configures it (`parserOptions.projectService` or `project`, e.g. from
 * typescript-eslint's type-checked configs) and name heuristics otherwise.
 *
 * @example
 * // eslint.config.js
 * import agentwire from 'eslint-plugin-agentwire';
 * export default [
 *   agentwire.configs.recommended,
 *   { rules: { 'agentwire/no-direct-socket-send': ['error', { allow: ['src/transport/**'] }] } },
 * ];
 */

/** The rules, by name. */
export const rules = {
  'no-direct-socket-send': noDirectSocketSend,
  'no-handmade-event': noHandmadeEvent,
  'no-unknown-event-type': noUnknownEventType,
  'require-terminal-event': requireTerminalEvent,
};

export type RuleName = keyof typeof rules;

/** Rules for `agentwire audit` only: `through-emitter` reports the sites that use a RunEmitter. */
export const auditRules = { 'through-emitter': throughEmitter };

const plugin = {
  meta: { name: 'eslint-plugin-agentwire', version: '0.1.0' },
  rules,
  configs: {} as Record<'recommended' | 'strict', TSESLint.FlatConfig.Config>,
};

/**
 * One of the plugin's configs: its rules, on {@link SOURCE_FILES}, parsed by typescript-eslint.
 * Only the parser is set, never `parserOptions`, so a project's type information (its
 * `projectService`) reaches the rules whichever config comes first.
 */
function config(name: string, severities: Record<RuleName, TSESLint.SharedConfig.RuleLevel>): TSESLint.FlatConfig.Config {
  return {
    name,
    files: [...SOURCE_FILES],
    languageOptions: { parser: typescriptParser },
    plugins: { agentwire: plugin as unknown as TSESLint.FlatConfig.Plugin },
    rules: Object.fromEntries(Object.entries(severities).map(([rule, level]) => [`agentwire/${rule}`, level])),
  };
}

/** `recommended`: the bypasses and handmade events are errors; drift and missing terminal events warn. */
plugin.configs.recommended = config('agentwire/recommended', {
  'no-direct-socket-send': 'error',
  'no-handmade-event': 'error',
  'no-unknown-event-type': 'warn',
  'require-terminal-event': 'warn',
});

/** `strict`: every rule is an error. */
plugin.configs.strict = config('agentwire/strict', {
  'no-direct-socket-send': 'error',
  'no-handmade-event': 'error',
  'no-unknown-event-type': 'error',
  'require-terminal-event': 'error',
});

export const configs = plugin.configs;

export { noDirectSocketSend, noHandmadeEvent, noUnknownEventType, requireTerminalEvent, throughEmitter };
export type { NoDirectSocketSendOptions } from './rules/no-direct-socket-send.js';
export type { NoHandmadeEventOptions } from './rules/no-handmade-event.js';
export type { NoUnknownEventTypeOptions } from './rules/no-unknown-event-type.js';
export { SOURCE_FILES } from './file-globs.js';
export { isLookalikeType, closestCatalogType, PROVIDER_TYPES } from './event-names.js';

export default plugin;
