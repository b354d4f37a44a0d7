import { noUnknownEventType } from '../src/index.js';
import { runRule, syntaxTester } from './rule-tester.js';

runRule(syntaxTester(), 'no-unknown-event-type', noUnknownEventType, {
  valid: [
    "const e = { type: 'agent_thinking' };",
    "if (event.type === 'tool_completed') {}",
    "switch (event.type) { case 'agent_started': break; }",
    "client.on('agent_message_delta', () => {});",
    // Model-provider types share the prefix and are fine.
    "const block = { type: 'tool_use', id, name, input };",
    "const block = { type: 'tool_result', tool_use_id: id, content };",
    // Not an event-type position.
    "const code = errorOf(error, 'tool_error');",
    "const key = 'agent_thought';",
    // Not snake_case with a prefix, and not near a catalog name.
    "const e = { type: 'user_created' };",
    { code: "const e = { type: 'agent_mood' };", options: [{ ignore: ['agent_mood'] }] },
    "type Legacy = { kind: 'agent_thought' };",
  ],
  invalid: [
    {
      code: "const e = { type: 'agent_thought', data };",
      errors: [
        {
          messageId: 'unknownType',
          data: { name: 'agent_thought', closest: 'agent_thinking' },
          suggestions: [{ messageId: 'replace', data: { closest: 'agent_thinking' }, output: "const e = { type: 'agent_thinking', data };" }],
        },
      ],
    },
    {
      code: "if (msg.type === 'tool_complete') handle(msg);",
      errors: [
        {
          messageId: 'unknownType',
          suggestions: [{ messageId: 'replace', data: { closest: 'tool_completed' }, output: "if (msg.type === 'tool_completed') handle(msg);" }],
        },
      ],
    },
    {
      code: 'switch (event.type) { case `agnet_started`: break; }',
      errors: [
        {
          messageId: 'unknownType',
          suggestions: [{ messageId: 'replace', data: { closest: 'agent_started' }, output: 'switch (event.type) { case `agent_started`: break; }' }],
        },
      ],
    },
    {
      code: "socket.on('usage_update', render);",
      errors: [{ messageId: 'unknownType', suggestions: [{ messageId: 'replace', output: "socket.on('usage_updated', render);" }] }],
    },
    {
      code: "interface Thought { type: 'agent_thinking' | 'agent_reasoning'; }",
      errors: [{ messageId: 'unknownType', suggestions: [{ messageId: 'replace', output: "interface Thought { type: 'agent_thinking' | 'agent_thinking'; }" }] }],
    },
    {
      code: "event.type = 'agent_done';",
      errors: [{ messageId: 'unknownType', suggestions: [{ messageId: 'replace', output: "event.type = 'agent_error';" }] }],
    },
  ],
});
