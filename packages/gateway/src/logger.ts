import { pino, type DestinationStream } from 'pino';

/**
 * Structured logging: one JSON object per line. Never pass tokens or event payloads;
 * fields named `token` or `authorization` are redacted anyway.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** @default process.env.LOG_LEVEL, else "info" */
  level?: LogLevel;
  /** Where lines go. @default stderr (stdout stays for the command's own output) */
  destination?: DestinationStream;
}

/** A pino logger behind the {@link Logger} interface. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const envLevel = process.env.LOG_LEVEL as LogLevel | undefined;
  const level = options.level ?? (envLevel !== undefined && LOG_LEVELS.includes(envLevel) ? envLevel : 'info');
  const logger = pino(
    {
      level,
      base: { service: 'agentwire' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], censor: '[REDACTED]' },
    },
    options.destination ?? pino.destination({ dest: 2, sync: false }),
  );
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
  };
}

/** Drops everything; for tests and embedding. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
