import { DEMO_AGENT_DEFAULTS, HUB_DEFAULTS, MEMORY_LOG_DEFAULTS } from 'agentwire-core';
import { GATEWAY_DEFAULTS, LOG_LEVELS } from 'agentwire-gateway';
import { REDIS_LOG_DEFAULTS, RUN_CONTROL_DEFAULTS } from 'agentwire-redis';

type Kind = 'string' | 'integer' | 'boolean';

interface OptionSpec<K extends Kind = Kind> {
  readonly kind: K;
  readonly description: string;
  readonly default?: K extends 'string' ? string : K extends 'integer' ? number : boolean;
  /** Allowed values of a string option. */
  readonly choices?: readonly string[];
  /** Extra environment variables, checked after `AGENTWIRE_<NAME>`. */
  readonly alsoEnv?: readonly string[];
}

const integer = (description: string, value: number): OptionSpec<'integer'> => ({ kind: 'integer', description, default: value });

/**
 * Every option of `agentwire serve`, declared once: the flag (`--history-ttl-ms`),
 * the environment variable (`AGENTWIRE_HISTORY_TTL_MS`), the help text and
 * docs/configuration.md all derive from this table. Defaults come from the packages
 * that own them.
 */
export const SERVE_OPTIONS = {
  host: { kind: 'string', description: 'Address to listen on. Dev auth is refused off loopback.', default: GATEWAY_DEFAULTS.host },
  port: { kind: 'integer', description: 'Port to listen on (0 picks a free one).', default: GATEWAY_DEFAULTS.port, alsoEnv: ['PORT'] },
  auth: { kind: 'string', description: 'How tokens are verified: dev (`dev:<userId>`) or jwt.', default: 'dev', choices: ['dev', 'jwt'] },
  jwtSecret: { kind: 'string', description: 'HS256 shared secret (at least 32 characters), for --auth jwt.' },
  jwtPublicKeyFile: { kind: 'string', description: 'PEM public key file (RS256, ES256 or EdDSA), for --auth jwt.' },
  jwtJwksUrl: { kind: 'string', description: 'JWKS URL (RS256, ES256, EdDSA keys by kid; cached, refetched for an unknown kid), for --auth jwt. HTTPS, or HTTP on loopback.' },
  jwtIssuer: { kind: 'string', description: 'Required `iss` claim, when set.' },
  jwtAudience: { kind: 'string', description: 'Required `aud` claim, when set.' },
  insecureDevAuth: { kind: 'boolean', description: 'Allow dev auth on a non-loopback address (anyone can then be anyone).', default: false },
  publicHosts: {
    kind: 'string',
    description:
      'Comma-separated host names this server is reached by besides loopback names (e.g. agentwire.internal, or dev-box:7070). Dev auth on loopback and the admin API without --admin-token answer only requests whose Host is a loopback name or one of these; others get 403 (DNS rebinding).',
  },
  log: { kind: 'string', description: 'Event log backend: memory (one process) or redis (any number of nodes).', default: 'memory', choices: ['memory', 'redis'] },
  redisUrl: { kind: 'string', description: 'Redis of the event log, for --log redis.', default: REDIS_LOG_DEFAULTS.url },
  redisKeyPrefix: { kind: 'string', description: 'Prefix of the Redis keys and channels; deployments sharing one Redis need different ones.', default: REDIS_LOG_DEFAULTS.keyPrefix },
  redisRunLeaseMs: integer(
    "With --log redis: how long a node's lease on its runs lasts unrenewed; a run whose node stopped renewing it (died, or hung that long) is ended by another node with agent_error worker_lost, its pending questions cancelled first. The same on every node.",
    RUN_CONTROL_DEFAULTS.leaseMs,
  ),
  redisCommandTimeoutMs: integer('A Redis command that takes longer fails (appends with log_unavailable, /readyz with 503).', REDIS_LOG_DEFAULTS.commandTimeoutMs),
  historySize: integer('Events kept per user.', MEMORY_LOG_DEFAULTS.historySize),
  historyTtlMs: integer('How long an event is kept after it was appended.', MEMORY_LOG_DEFAULTS.historyTtlMs),
  maxLogBytes: integer('Byte budget of the in-memory log, all users together.', MEMORY_LOG_DEFAULTS.maxLogBytes),
  helloTimeoutMs: integer('Time a new connection has to send hello.', GATEWAY_DEFAULTS.helloTimeoutMs),
  heartbeatMs: integer('Interval of heartbeats; a connection silent for a whole interval is dropped.', GATEWAY_DEFAULTS.heartbeatMs),
  maxBufferedBytes: integer("A connection's unsent backlog above which it is closed as a slow consumer.", GATEWAY_DEFAULTS.maxBufferedBytes),
  maxFrameBytes: integer('Largest client message (larger ones close with 1009).', GATEWAY_DEFAULTS.maxFrameBytes),
  maxFramesPerSecond: integer('Client frames per second per connection.', GATEWAY_DEFAULTS.maxFramesPerSecond),
  maxBadFramesPerMinute: integer('Bad frames within a minute that close the connection.', GATEWAY_DEFAULTS.maxBadFramesPerMinute),
  maxConnectionsPerUser: integer('Open connections per user.', GATEWAY_DEFAULTS.maxConnectionsPerUser),
  maxConnections: integer('Open WebSocket connections on this server, authenticated or not (one more: too_many_connections, close 4009).', GATEWAY_DEFAULTS.maxConnections),
  maxTotalBufferedBytes: integer('Unsent bytes of all connections together; past it the connection holding the most is closed as slow_consumer (4008).', GATEWAY_DEFAULTS.maxTotalBufferedBytes),
  allowedOrigins: { kind: 'string', description: 'Comma-separated origins whose browser pages may connect (e.g. https://app.example.com), or *. Same-origin pages and clients without Origin are always allowed; others get HTTP 403.' },
  shutdownTimeoutMs: integer('Longest wait for connections to close on shutdown.', GATEWAY_DEFAULTS.shutdownTimeoutMs),
  coalesceWindowMs: integer('While the server is saturated, how long frames wait to be written together (0: never).', GATEWAY_DEFAULTS.coalesceWindowMs),
  coalesceAboveFramesPerTurn: integer('Frames queued in one event-loop turn above which writes are coalesced.', GATEWAY_DEFAULTS.coalesceAboveFramesPerTurn),
  maxActiveRunsPerUser: integer('Runs one user may have going at once.', HUB_DEFAULTS.maxActiveRunsPerUser),
  maxEventBytes: integer('Event size above which data is truncated.', HUB_DEFAULTS.maxEventBytes),
  runTimeoutMs: integer('A run still going after this long ends with agent_error code timeout.', HUB_DEFAULTS.runTimeoutMs),
  agent: { kind: 'string', description: 'The default agent: the built-in demo, or an OpenAI-compatible model (see --openai-*); demo is always registered.', default: 'demo', choices: ['demo', 'openai'] },
  openaiBaseUrl: { kind: 'string', description: 'Chat-completions API of --agent openai (any compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama).', default: 'https://api.openai.com/v1', alsoEnv: ['OPENAI_BASE_URL'] },
  openaiApiKey: { kind: 'string', description: 'API key of --agent openai (none for local servers).', alsoEnv: ['OPENAI_API_KEY'] },
  openaiModel: { kind: 'string', description: 'Model of --agent openai, e.g. gpt-4o-mini.', alsoEnv: ['OPENAI_MODEL'] },
  demoDelayMs: integer('Pause between the demo agent\'s steps, for human eyes.', DEMO_AGENT_DEFAULTS.delayMs),
  webRoot: { kind: 'string', description: 'Folder of the web app served at / (default: the bundled app).' },
  noWeb: { kind: 'boolean', description: 'Do not serve the web app.', default: false },
  ackAlertMs: integer('A critical event not acked by its user this long after it was sent counts as overdue (agentwire_unacked_critical_events, /v1/admin/delivery).', GATEWAY_DEFAULTS.ackAlertMs),
  adminToken: { kind: 'string', description: 'Bearer token of the admin API (/v1/admin/delivery, /v1/admin/stats, the ops panel); unset: loopback clients only.' },
  logLevel: { kind: 'string', description: 'Least severe level logged (JSON lines on stderr).', default: 'info', choices: LOG_LEVELS, alsoEnv: ['LOG_LEVEL'] },
  otelEndpoint: { kind: 'string', description: 'OTLP/HTTP endpoint (e.g. http://127.0.0.1:4318 of Jaeger, Tempo or a collector) that receives a trace per run, with a span per tool call; unset: no tracing. Needs the OpenTelemetry SDK packages (see README, Tracing).', alsoEnv: ['OTEL_EXPORTER_OTLP_ENDPOINT'] },
  otelServiceName: { kind: 'string', description: 'The service.name of the traces.', default: 'agentwire', alsoEnv: ['OTEL_SERVICE_NAME'] },
} as const satisfies Record<string, OptionSpec>;

export type ServeOptionName = keyof typeof SERVE_OPTIONS;

type ValueOf<S> = S extends { kind: 'integer' } ? number : S extends { kind: 'boolean' } ? boolean : string;
/** Resolved configuration: options with a default are always present. */
export type ServeConfig = {
  [K in ServeOptionName as (typeof SERVE_OPTIONS)[K] extends { default: unknown } ? K : never]: ValueOf<(typeof SERVE_OPTIONS)[K]>;
} & {
  [K in ServeOptionName as (typeof SERVE_OPTIONS)[K] extends { default: unknown } ? never : K]?: ValueOf<(typeof SERVE_OPTIONS)[K]>;
};

/** `historyTtlMs` → `history-ttl-ms` */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** `historyTtlMs` → `AGENTWIRE_HISTORY_TTL_MS` */
export function envName(name: string): string {
  return `AGENTWIRE_${flagName(name).replace(/-/g, '_').toUpperCase()}`;
}

/** A configuration problem, reported to the user without a stack trace. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseValue(name: string, spec: OptionSpec, raw: string, source: string): string | number | boolean {
  switch (spec.kind) {
    case 'integer': {
      if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${source} must be a non-negative integer, got "${raw}"`);
      return Number(raw.trim());
    }
    case 'boolean': {
      const value = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on', ''].includes(value)) return true;
      if (['0', 'false', 'no', 'off'].includes(value)) return false;
      throw new ConfigError(`${source} must be true or false, got "${raw}"`);
    }
    case 'string': {
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new ConfigError(`${source} must be one of ${spec.choices.join(', ')}, got "${raw}"`);
      }
      if (raw === '') throw new ConfigError(`${source} is empty`);
      return raw;
    }
  }
  throw new ConfigError(`unknown option ${name}`);
}

/**
 * Resolves the configuration: a flag wins over its environment variable, which wins
 * over the default. Unknown flags are errors, so a typo never goes unnoticed.
 * @throws ConfigError
 */
export function resolveServeConfig(args: readonly string[], env: Readonly<Record<string, string | undefined>>): ServeConfig {
  const byFlag = new Map(Object.keys(SERVE_OPTIONS).map((name) => [flagName(name), name as ServeOptionName]));
  const fromFlags = new Map<ServeOptionName, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    const name = match ? byFlag.get(match[1] ?? '') : undefined;
    if (!match || !name) throw new ConfigError(`unknown option ${arg}; see agentwire serve --help`);
    const spec: OptionSpec = SERVE_OPTIONS[name];
    if (match[2] !== undefined) fromFlags.set(name, match[2]);
    else if (spec.kind === 'boolean') fromFlags.set(name, 'true');
    else {
      const value = args[++i];
      if (value === undefined) throw new ConfigError(`--${match[1]} needs a value`);
      fromFlags.set(name, value);
    }
  }
  const config: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SERVE_OPTIONS) as [ServeOptionName, OptionSpec][]) {
    const flag = fromFlags.get(name);
    if (flag !== undefined) {
      config[name] = parseValue(name, spec, flag, `--${flagName(name)}`);
      continue;
    }
    const envKey = [envName(name), ...(spec.alsoEnv ?? [])].find((key) => env[key] !== undefined && env[key] !== '');
    if (envKey !== undefined) {
      config[name] = parseValue(name, spec, env[envKey] ?? '', envKey);
      continue;
    }
    if (spec.default !== undefined) config[name] = spec.default;
  }
  return config as ServeConfig;
}

/** The help text of `agentwire serve`, from the table. */
export function serveHelp(): string {
  const lines = Object.entries(SERVE_OPTIONS).map(([name, spec]: [string, OptionSpec]) => {
    const value = spec.kind === 'boolean' ? '' : spec.choices ? ` <${spec.choices.join('|')}>` : spec.kind === 'integer' ? ' <n>' : ' <value>';
    const fallback = spec.default === undefined ? '' : ` (default ${String(spec.default)})`;
    return `  --${flagName(name)}${value}\n      ${spec.description}${fallback} [${envName(name)}${spec.alsoEnv ? `, ${spec.alsoEnv.join(', ')}` : ''}]`;
  });
  return `Usage: agentwire serve [options]\n\nEvery option can also be set by its environment variable.\n\n${lines.join('\n')}\n`;
}

/** docs/configuration.md, from the table; a test keeps the file equal to this. */
export function configurationMarkdown(): string {
  const rows = Object.entries(SERVE_OPTIONS).map(([name, spec]: [string, OptionSpec]) => {
    const env = [envName(name), ...(spec.alsoEnv ?? [])].map((key) => `\`${key}\``).join(', ');
    const fallback = spec.default === undefined ? '' : `\`${String(spec.default)}\``;
    const choices = spec.choices ? ` One of: ${spec.choices.map((c) => `\`${c}\``).join(', ')}.` : '';
    return `| \`--${flagName(name)}\` | ${env} | ${fallback} | ${spec.description}${choices} |`;
  });
  return [
    '# Configuration of `agentwire serve`',
    '',
    '<!-- Generated from packages/cli/src/config.ts by `npm run docs`; a test keeps it in sync. -->',
    '',
    'Every option has a flag and an environment variable; a flag wins over its variable, which wins over the default.',
    'Units are in the names. Unknown flags are refused.',
    '',
    '| flag | environment | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
