import path from 'node:path';
import { noHandmadeEvent } from '../src/index.js';
import { runRule, syntaxTester } from './rule-tester.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

runRule(syntaxTester(), 'no-handmade-event', noHandmadeEvent, {
  valid: [
    'await run.thinking("Looking up the order");',
    'const filter = (event) => event.type === "agent_started";',
    // Generic catalog words alone are not events.
    "const bar = { type: 'progress', value: 3 };",
    "const field = { type: 'custom', label: 'Other' };",
    // Provider content blocks.
    "const block = { type: 'tool_use', id, name, input };",
    // A type from a variable: not a literal built here.
    'const event = { type, data };',
    // Inside one of agentwire's own packages (the emitter itself, its tests).
    { code: "const e = { type: 'agent_started', data: {} };", filename: path.join(repoRoot, 'packages/core/src/fixture.ts') },
    { code: "const e = { type: 'agent_started', data: {} };", filename: 'app/test/fixtures/events.ts', options: [{ allow: ['app/test/**'] }] },
  ],
  invalid: [
    {
      code: "bridge.publish({ type: 'agent_thinking', data: { text } });",
      errors: [{ messageId: 'handmade', data: { type: 'agent_thinking' }, line: 1, column: 16 }],
    },
    {
      code: "const done = { type: 'agent_completed', runId, result };",
      filename: path.join(repoRoot, 'examples/app/agent.ts'),
      errors: [{ messageId: 'handmade', data: { type: 'agent_completed' } }],
    },
    { code: "send({ type: 'progress', payload: { fraction: 0.5 } });", errors: [{ messageId: 'handmade', data: { type: 'progress' } }] },
    { code: "send({ type: 'agent_thought', data: { text } });", errors: [{ messageId: 'handmadeUnknown', data: { type: 'agent_thought' } }] },
    { code: 'const e = { "type": `tool_executing`, tool_name: name, args };', errors: [{ messageId: 'handmade' }] },
  ],
});
