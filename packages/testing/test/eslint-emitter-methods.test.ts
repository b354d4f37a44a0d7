import { Linter, type ESLint } from 'eslint';
import { RunEmitter } from 'agentwire-core';
import { auditRules } from 'eslint-plugin-agentwire';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/** The methods of RunEmitter that append no event: its constructor, and `endMessage` (the next delta starts a new message id). */
const NOT_EMITTING = new Set(['constructor', 'endMessage']);

describe('the eslint plugin knows every RunEmitter method that appends an event', () => {
  it('counts a call of each through the emitter (agentwire audit), requestInput included', () => {
    const prototype = RunEmitter.prototype as unknown as Record<string, unknown>;
    const methods = Object.getOwnPropertyNames(prototype).filter((name) => typeof Object.getOwnPropertyDescriptor(prototype, name)?.value === 'function' && !NOT_EMITTING.has(name));
    expect(methods).toContain('requestInput');
    const code = `const agent = defineAgent({ name: 'a', async run({ run }) {\n${methods.map((method) => `  await run.${method}();`).join('\n')}\n} });\n`;
    const linter = new Linter({ configType: 'flat' });
    // As `agentwire audit` loads the rule (packages/cli/src/audit.ts): the plugin's rule types are typescript-eslint's, ESLint's differ.
    const plugin = { rules: auditRules } as unknown as ESLint.Plugin;
    const config = { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { agentwire: plugin }, rules: { 'agentwire/through-emitter': 'error' as const } };
    const messages = linter.verify(code, [config], 'agent.ts');
    expect(messages.map((message) => message.message).sort()).toEqual(methods.map((method) => `${method}() through a RunEmitter.`).sort());
  });
});
