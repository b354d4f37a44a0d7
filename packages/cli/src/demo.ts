import { createClient } from 'agentwire-client';
import { silentLogger } from 'agentwire-gateway';
import { isTerminalEvent, type EventOf, type TerminalEventType } from 'agentwire-protocol';
import WebSocket from 'ws';
import type { CommandSpec } from './command-line.js';
import { resolveServeConfig, SERVE_OPTIONS } from './config.js';
import { describeEvent, formatUsage, paint } from './format.js';
import { startServer } from './server.js';

const DEMO_OPTIONS = { demoDelayMs: SERVE_OPTIONS.demoDelayMs } as const;

/** `agentwire demo`: its message is the positional arguments; `--` before a message that starts with `-`. */
export const DEMO_COMMAND = {
  name: 'demo',
  summary: 'start a server on a free port, run the demo agent once and print its events',
  description: [
    'Starts a server on a free port, runs one conversation with the demo agent through the client SDK and',
    'prints every event with its offset, then the usage and cost. Exits 0 when the run completes, 1 otherwise.',
  ].join('\n'),
  options: DEMO_OPTIONS,
  positionals: {
    name: 'message...',
    description: [
      'what to ask (default "What is 17 * 23?"): "What is 17 * 23?" calls the calculator tool, any other text the',
      'word_stats tool, "/fail" ends the run in agent_error, "/slow 5000" runs for 5 s. Put -- before a message that starts with -.',
    ].join('\n'),
  },
} as const satisfies CommandSpec<typeof DEMO_OPTIONS>;

export interface DemoOptions {
  input: string;
  /** Pause between the agent's steps. */
  delayMs: number;
  color: boolean;
  write: (line: string) => void;
}

/**
 * `agentwire demo`: starts a server on a free port, connects as a dev user with the
 * client SDK, runs one conversation with the demo agent and prints every event as it
 * arrives, then the run's usage and cost. Resolves with the terminal event.
 */
export async function runDemo(options: DemoOptions): Promise<EventOf<TerminalEventType>> {
  const config = resolveServeConfig(['--port', '0', '--demo-delay-ms', String(options.delayMs), '--no-web'], {});
  const server = await startServer(config, silentLogger);
  const client = createClient({ url: server.address.wsUrl, token: 'dev:demo-user', WebSocket, reconnect: false });
  try {
    const ended = new Promise<EventOf<TerminalEventType>>((resolve) => {
      client.on('*', (event, offset) => {
        options.write(describeEvent(event, offset, options.color));
        if (isTerminalEvent(event)) resolve(event);
      });
    });
    await client.connect();
    options.write(paint(`agentwire demo: server on ${server.address.url}, you are "demo-user"`, 'dim', options.color));
    options.write(paint(`> ${options.input}`, 'bold', options.color));
    await client.run(options.input);
    const terminal = await ended;
    options.write(formatUsage(terminal.data.usage, terminal.data.durationMs, options.color));
    return terminal;
  } finally {
    client.close();
    await server.close();
  }
}
