import { readFileSync } from 'node:fs';
import { createLogger, type LogLevel } from 'agentwire-gateway';
import { AUDIT_COMMAND, audit } from './audit.js';
import { commandHelp, ConfigError, parseCommandLine, type CommandSpec } from './command-line.js';
import { checkServeConfig, SERVE_COMMAND } from './config.js';
import { DEMO_COMMAND, runDemo } from './demo.js';
import { startServer, type RunningServer } from './server.js';
import { parseTailArgs, tail, TAIL_COMMAND } from './tail.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The version of this package, from its package.json (next to src/ and dist/). */
export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const COMMANDS: readonly CommandSpec[] = [SERVE_COMMAND, DEMO_COMMAND, TAIL_COMMAND, AUDIT_COMMAND];

function usage(): string {
  const rows: [string, string][] = [
    ...COMMANDS.map((command): [string, string] => [`${command.name}${command.positionals === undefined ? '' : ` [${command.positionals.name}]`} [options]`, command.summary]),
    ['help [command]', 'this text, or the options of a command'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    'agentwire: the one wire for AI-agent events',
    '',
    'Usage: agentwire <command> [options]',
    '',
    'Commands:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    '',
    'Options:',
    '  -h, --help     this text; after a command, its options',
    '  -v, --version  the version',
    '',
  ].join('\n');
}

const out = (text: string): void => {
  process.stdout.write(text);
};

async function serve(args: readonly string[], env: Env): Promise<number> {
  const line = parseCommandLine(SERVE_COMMAND, args, env);
  if (line.help) {
    out(commandHelp(SERVE_COMMAND));
    return 0;
  }
  const config = checkServeConfig(line.values);
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

async function tailCommand(args: readonly string[], env: Env): Promise<number> {
  const request = parseTailArgs(args, env);
  if ('help' in request) {
    out(commandHelp(TAIL_COMMAND));
    return 0;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const color = !request.json && process.stdout.isTTY && env.NO_COLOR === undefined;
  await tail({ ...request, color, write: (line) => process.stdout.write(`${line}\n`), signal: controller.signal });
  return 0;
}

async function demo(args: readonly string[], env: Env): Promise<number> {
  const line = parseCommandLine(DEMO_COMMAND, args, env);
  if (line.help) {
    out(commandHelp(DEMO_COMMAND));
    return 0;
  }
  const terminal = await runDemo({
    input: line.positionals.join(' ').trim() || 'What is 17 * 23?',
    delayMs: line.values.demoDelayMs,
    color: process.stdout.isTTY && env.NO_COLOR === undefined,
    write: (text) => process.stdout.write(`${text}\n`),
  });
  return terminal.type === 'agent_completed' ? 0 : 1;
}

/** `agentwire help [command]`. */
function help(args: readonly string[]): number {
  const [name, ...rest] = args;
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (name !== undefined && command === undefined) throw new ConfigError(`unknown command "${name}"; see agentwire help`);
  if (rest.length > 0) throw new ConfigError(`unexpected argument "${rest[0] ?? ''}"; see agentwire help`);
  out(command === undefined ? usage() : commandHelp(command));
  return 0;
}

/**
 * Runs the command line; resolves with the exit code: 0, 1 when the command failed, 2 for
 * a mistake in the arguments or the environment. Errors are printed, never thrown.
 */
export async function main(argv: readonly string[], env: Env): Promise<number> {
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
        return await audit(args, out);
      case '--version':
      case '-v':
        out(`agentwire ${VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        return help([]);
      case 'help':
        return help(args);
      default:
        throw new ConfigError(`unknown command "${command}"; see agentwire help`);
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
