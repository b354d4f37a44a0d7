import { existsSync, readFileSync } from 'node:fs';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin, { configs, rules } from '../src/index.js';

const ruleNames = Object.keys(rules);

describe('eslint-plugin-agentwire', () => {
  it('has the four rules, each with a docs page that shows invalid and valid code', () => {
    expect(ruleNames.sort()).toEqual(['no-direct-socket-send', 'no-handmade-event', 'no-unknown-event-type', 'require-terminal-event']);
    for (const name of ruleNames) {
      const page = new URL(`../docs/rules/${name}.md`, import.meta.url);
      expect(existsSync(page), name).toBe(true);
      const text = readFileSync(page, 'utf8');
      expect(text).toContain(`# agentwire/${name}`);
      expect(text).toContain('// ✗');
      expect(text).toContain('// ✓');
      expect(rules[name as keyof typeof rules].meta.docs?.url).toMatch(new RegExp(`docs/rules/${name}\\.md$`));
    }
  });

  it('strict enables every rule as an error; recommended enables every rule', () => {
    expect(configs.strict.plugins?.agentwire).toBe(plugin);
    expect(configs.strict.rules).toEqual(Object.fromEntries(ruleNames.map((name) => [`agentwire/${name}`, 'error'])));
    expect(Object.keys(configs.recommended.rules ?? {}).sort()).toEqual(ruleNames.map((name) => `agentwire/${name}`).sort());
    expect(plugin.configs).toBe(configs);
  });

  it('runs under plain ESLint with its default parser (espree, no parser services) on name heuristics', () => {
    const linter = new Linter();
    const config = [{ ...configs.strict, languageOptions: { sourceType: 'module' as const } }] as Linter.Config[];
    const messages = linter.verify("ws.send(JSON.stringify({ type: 'agent_started', data: {} }));\nws.send(encode(frame));", config, 'legacy.js');
    expect(messages.map((message) => [message.ruleId, message.line])).toEqual([
      ['agentwire/no-direct-socket-send', 1],
      ['agentwire/no-handmade-event', 1],
    ]);
    expect(messages[0]?.message).toContain("name heuristic: 'ws'");
  });
});
