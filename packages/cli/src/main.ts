import { createLogger, type LogLevel } from 'agentwire-gateway';
import { audit } from './audit.js';
import { ConfigError, resolveServeConfig, serveHelp } from './config.js';
import { runDemo } from './demo.js';
import { startServer, type RunningServer } from './server.js';
import { parseTailArgs, tail } from './tail.js';

const USAGE = `agentwire: the one wire for AI-agent events

Usage:
  agentwire serve [options]     run the server (see agentwire serve --help)
  agentwire demo [message]      start a server, run the demo agent once, print its events
  agentwire tail [options]      follow a user's events as they arrive, or the delivery report:
                                --token dev:alice   the user (AGENTWIRE_TOKEN)
                                --url URL           the server (AGENTWIRE_URL, default http://127.0.0.1:7070)
                                --admin-token T     follow /v1/admin/delivery instead (AGENTWIRE_ADMIN_TOKEN);
                                --delivery          the same on a server without an admin token (loopback)
                                --json              one JSON object per line, for piping
                                --interval-ms N     between delivery polls (default 2000)
  agentwire audit [paths]       how many agent events go through the emitter (see agentwire audit --help)
  agentwire help                this text

Demo agent commands: "What is 17 * 23?" (calculator), any other text (word statistics),
"/fail" (the run ends in agent_error), "/slow 5000" (a long run you can cancel).
`;

async function serve(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(serveHelp());
    return 0;
  }
  const config = resolveServeConfig(args, env);
  const logger = createLogger({ level: config.logLevel as LogLevel }); // one of LOG_LEVELS: the table checks choices
  const server: RunningServer = await startServer(config, logger);
  const page = server.webRoot === undefined ? '' : ` (web app at ${server.address.url}/)`;
  process.stdout.write(`agentwire listening on ${server.address.url}${page}, WebSocket ${server.address.wsUrl}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      void server.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function tailCommand(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const parsed = parseTailArgs(args, env);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const color = !parsed.json && process.stdout.isTTY && env.NO_COLOR === undefined;
  await tail({ ...parsed, color, write: (line) => process.stdout.write(`${line}\n`), signal: controller.signal });
  return 0;
}

async function demo(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const input = args.join(' ').trim() || 'What is 17 * 23?';
  const delay = env.AGENTWIRE_DEMO_DELAY_MS;
  const terminal = await runDemo({
    input,
    delayMs: delay === undefined || delay === '' ? 150 : Number(delay),
    color: process.stdout.isTTY && env.NO_COLOR === undefined,
    write: (line) => process.stdout.write(`${line}\n`),
  });
  return terminal.type === 'agent_completed' ? 0 : 1;
}

/** Runs the command line; resolves with the exit code. Errors are printed, never thrown. */
export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(args, env);
      case 'demo':
        return await demo(args, env);
      case 'tail':
        return await tailCommand(args, env);
      case 'audit':
        return await audit(args, (text) => process.stdout.write(text));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      default:
        process.stderr.write(`agentwire: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agentwire: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`agentwire: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
