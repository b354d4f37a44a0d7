import path from 'node:path';
import { noDirectSocketSend } from '../src/index.js';
import { fixturesDir, runRule, syntaxTester, typedTester } from './rule-tester.js';

const heuristic = (name: string) => `name heuristic: '${name}' looks like a connection and the payload like an agent event`;

runRule(syntaxTester(), 'no-direct-socket-send (name heuristics)', noDirectSocketSend, {
  valid: [
    // Not event-like payloads on connection-like names.
    'ws.send(encodeClientFrame(frame));',
    "res.write('<html>');",
    'stream.write(chunk);',
    // Event-like payload on a receiver that is not named like a connection.
    "bridge.send({ type: 'agent_started', data: {} });",
    'process.stdout.write(JSON.stringify(event));',
    // Through the emitter.
    "await run.thinking('Reading the order');",
    // Transport files are allowed.
    {
      code: 'ws.send(JSON.stringify(event));',
      filename: 'packages/gateway/src/connection.ts',
      options: [{ allow: ['packages/gateway/src/**'] }],
    },
  ],
  invalid: [
    {
      code: "ws.send(JSON.stringify({ type: 'agent_started', data: {} }));",
      errors: [{ messageId: 'websocketSend', data: { receiver: 'ws', evidence: heuristic('ws') } }],
    },
    {
      code: "io.to(room).emit('agent_event', { type: 'tool_executing', tool_name: name, args });",
      errors: [{ messageId: 'socketIoEmit', data: { receiver: 'io.to(room)', evidence: heuristic('io') } }],
    },
    {
      code: "socket.emit('agent_thinking', { text });",
      errors: [{ messageId: 'socketIoEmit' }],
    },
    {
      code: 'res.write(`data: ${JSON.stringify(event)}\\n\\n`);',
      errors: [{ messageId: 'responseWrite', data: { receiver: 'res', evidence: heuristic('res') } }],
    },
    {
      code: 'class Bridge { #ws; publish(event) { this.#ws.send(JSON.stringify(event)); } }',
      errors: [{ messageId: 'websocketSend', data: { receiver: 'this.#ws', evidence: heuristic('ws') } }],
    },
    {
      code: "const payload = { type: 'tool_completed', data: { ok: true } };\nuserSocket.send(JSON.stringify(payload));",
      errors: [{ messageId: 'websocketSend', line: 2, data: { receiver: 'userSocket', evidence: heuristic('userSocket') } }],
    },
    {
      code: 'ws.send(JSON.stringify(event));',
      filename: 'packages/cli/src/server.ts',
      options: [{ allow: ['packages/gateway/src/**'] }],
      errors: [{ messageId: 'websocketSend' }],
    },
  ],
});

const typed = path.join(fixturesDir, 'file.ts');
const byType = (name: string) => `type information: the receiver is a ${name}`;

runRule(typedTester(), 'no-direct-socket-send (type information)', noDirectSocketSend, {
  valid: [
    // A bridge named like a socket is not one: type information wins over the name.
    { code: "class Bridge { send(_: unknown) {} }\ndeclare const ws: Bridge;\nws.send(JSON.stringify({ type: 'agent_started' }));", filename: typed },
    // Node's own streams are not in the list.
    { code: 'process.stdout.write("hello");', filename: typed },
    { code: "import { EventEmitter } from 'node:events';\ndeclare const io: EventEmitter;\nio.emit('agent_started', {});", filename: typed },
  ],
  invalid: [
    {
      code: "import WebSocket from 'ws';\ndeclare const peer: WebSocket;\npeer.send('anything at all');",
      filename: typed,
      errors: [{ messageId: 'websocketSend', data: { receiver: 'peer', evidence: byType('WebSocket') } }],
    },
    {
      code: "import { Server } from 'socket.io';\ndeclare const hubServer: Server;\nhubServer.to('room').emit('update', 1);",
      filename: typed,
      errors: [{ messageId: 'socketIoEmit', data: { receiver: "hubServer.to('room')", evidence: byType('BroadcastOperator') } }],
    },
    {
      code: "import type { ServerResponse } from 'node:http';\nexport function push(out: ServerResponse, line: string) { out.write(line); }",
      filename: typed,
      errors: [{ messageId: 'responseWrite', data: { receiver: 'out', evidence: byType('ServerResponse') } }],
    },
    {
      // Untyped (any) receivers fall back to the name heuristic.
      code: "declare const ws: any;\nws.send(JSON.stringify({ type: 'agent_started', data: {} }));",
      filename: typed,
      errors: [{ messageId: 'websocketSend', data: { receiver: 'ws', evidence: heuristic('ws') } }],
    },
  ],
});

