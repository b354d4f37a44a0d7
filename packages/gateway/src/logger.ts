/** Structured logging: one JSON object per line. Never pass tokens or event payloads. */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

function write(level: string, fields: Record<string, unknown>, message: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), msg: message, ...fields })}\n`);
}

/** JSON lines on stderr. */
export const jsonLogger: Logger = {
  info: (fields, message) => write('info', fields, message),
  warn: (fields, message) => write('warn', fields, message),
  error: (fields, message) => write('error', fields, message),
};

/** Drops everything; for tests and embedding. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
