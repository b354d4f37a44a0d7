import { createClient } from 'agentwire-client';
import { silentLogger } from 'agentwire-gateway';
import { isTerminalEvent, type EventOf, type TerminalEventType } from 'agentwire-protocol';
import WebSocket from 'ws';
import { resolveServeConfig } from './config.js';
import { describeEvent, formatUsage, paint } from './format.js';
import { startServer } from './server.js';

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
