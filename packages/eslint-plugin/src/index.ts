import type { TSESLint } from '@typescript-eslint/utils';
import { noDirectSocketSend } from './rules/no-direct-socket-send.js';
import { noHandmadeEvent } from './rules/no-handmade-event.js';
import { noUnknownEventType } from './rules/no-unknown-event-type.js';
import { requireTerminalEvent } from './rules/require-terminal-event.js';
import { throughEmitter } from './rules/through-emitter.js';

/**
 * eslint-plugin-agentwire: keeps agent events on the one wire. Four rules, and two
 * flat configs that enable them under the plugin name `agentwire`.
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

/** `recommended`: the bypasses and handmade events are errors; drift and missing terminal events warn. */
plugin.configs.recommended = {
  name: 'agentwire/recommended',
  plugins: { agentwire: plugin as unknown as TSESLint.FlatConfig.Plugin },
  rules: {
    'agentwire/no-direct-socket-send': 'error',
    'agentwire/no-handmade-event': 'error',
    'agentwire/no-unknown-event-type': 'warn',
    'agentwire/require-terminal-event': 'warn',
  },
};

/** `strict`: every rule is an error. */
plugin.configs.strict = {
  name: 'agentwire/strict',
  plugins: { agentwire: plugin as unknown as TSESLint.FlatConfig.Plugin },
  rules: {
    'agentwire/no-direct-socket-send': 'error',
    'agentwire/no-handmade-event': 'error',
    'agentwire/no-unknown-event-type': 'error',
    'agentwire/require-terminal-event': 'error',
  },
};

export const configs = plugin.configs;

export { noDirectSocketSend, noHandmadeEvent, noUnknownEventType, requireTerminalEvent, throughEmitter };
export type { NoDirectSocketSendOptions } from './rules/no-direct-socket-send.js';
export type { NoHandmadeEventOptions } from './rules/no-handmade-event.js';
export type { NoUnknownEventTypeOptions } from './rules/no-unknown-event-type.js';
export { isLookalikeType, closestCatalogType, PROVIDER_TYPES } from './event-names.js';

export default plugin;
