import { DEMO_AGENT_DEFAULTS, HUB_DEFAULTS, MEMORY_LOG_DEFAULTS } from 'agentwire-core';
import { GATEWAY_DEFAULTS, isLoopbackHost, LOG_LEVELS } from 'agentwire-gateway';
import { REDIS_LOG_DEFAULTS, RUN_CONTROL_DEFAULTS } from 'agentwire-redis';
import { commandHelp, ConfigError, envNames, flagName, parseCommandLine, requiredFlag, type CommandSpec, type OptionSpec, type OptionValues } from './command-line.js';

/** A count, size or duration: at least 1 unless `min` says 0 means something. */
const integer = (description: string, value: number, min = 1) => ({ kind: 'integer', description, default: value, min }) as const;
const JWT = { option: 'auth', value: 'jwt' } as const;
const REDIS = { option: 'log', value: ['redis', 'redis-cluster'] } as const;
const OPENAI = { option: 'agent', value: 'openai' } as const;

/**
 * Every option of `agentwire serve`, declared once: the flag (`--history-ttl-ms`),
 * the environment variable (`AGENTWIRE_HISTORY_TTL_MS`), the help text and
 * docs/configuration.md all derive from this table. Defaults come from the packages
 * that own them. An option that `requires` another is refused as a flag without it.
 */
export const SERVE_OPTIONS = {
  host: { kind: 'string', description: 'Address to listen on. Dev auth is refused off loopback.', default: GATEWAY_DEFAULTS.host },
  port: { kind: 'integer', description: 'Port to listen on (0 picks a free one).', default: GATEWAY_DEFAULTS.port, alsoEnv: ['PORT'] },
  auth: { kind: 'string', description: 'How tokens are verified: dev (`dev:<userId>`) or jwt.', default: 'dev', choices: ['dev', 'jwt'] },
  jwtSecret: { kind: 'string', description: 'HS256 shared secret (at least 32 characters).', requires: JWT },
  jwtPublicKeyFile: { kind: 'string', description: 'PEM public key file (RS256, ES256 or EdDSA).', valueName: 'file', requires: JWT },
  jwtJwksUrl: { kind: 'string', description: 'JWKS URL (RS256, ES256, EdDSA keys by kid; cached, refetched for an unknown kid). HTTPS, or HTTP on loopback.', valueName: 'url', requires: JWT },
  jwtIssuer: { kind: 'string', description: 'Required `iss` claim, when set.', requires: JWT },
  jwtAudience: { kind: 'string', description: 'Required `aud` claim, when set.', requires: JWT },
  insecureDevAuth: { kind: 'boolean', description: 'Allow dev auth on a non-loopback address (anyone can then be anyone).', default: false },
  publicHosts: {
    kind: 'string',
    description:
      'Comma-separated host names this server is reached by besides loopback names (e.g. agentwire.internal, or dev-box:7070). Dev auth on loopback and the admin API without --admin-token answer only requests whose Host is a loopback name or one of these; others get 403 (DNS rebinding).',
  },
  log: {
    kind: 'string',
    description: 'Event log backend: memory (one process), redis (any number of nodes on one Redis) or redis-cluster (any number of nodes on a Redis Cluster, Redis 7).',
    default: 'memory',
    choices: ['memory', 'redis', 'redis-cluster'],
  },
  redisUrl: { kind: 'string', description: 'Redis of the event log; with redis-cluster, seed nodes, comma-separated (redis://10.0.0.1:6379,redis://10.0.0.2:6379).', default: REDIS_LOG_DEFAULTS.url, valueName: 'url', requires: REDIS },
  redisKeyPrefix: { kind: 'string', description: 'Prefix of the Redis keys and channels; deployments sharing one Redis need different ones.', default: REDIS_LOG_DEFAULTS.keyPrefix, requires: REDIS },
  redisRunLeaseMs: {
    ...integer(
      "How long a node's lease on its runs lasts unrenewed; a run whose node stopped renewing it (died, or hung that long) is ended by another node with agent_error worker_lost, its pending questions cancelled first. The same on every node.",
      RUN_CONTROL_DEFAULTS.leaseMs,
    ),
    requires: REDIS,
  },
  redisCommandTimeoutMs: { ...integer('A Redis command that takes longer fails (appends with log_unavailable, /readyz with 503).', REDIS_LOG_DEFAULTS.commandTimeoutMs), requires: REDIS },
  redisWaitReplicas: {
    ...integer(
      'Replicas that must hold an append before it is confirmed (Redis WAIT, one in flight per Redis connection, covering every append before it): with 1, a primary that dies loses no confirmed event, at the cost of a replication round trip before each confirmation. An append not replicated in time fails with log_unavailable (sending it again is safe). 0 confirms once the primary has it.',
      REDIS_LOG_DEFAULTS.waitReplicas,
      0,
    ),
    requires: REDIS,
  },
  redisWaitTimeoutMs: { ...integer('How long an append waits for --redis-wait-replicas replicas.', REDIS_LOG_DEFAULTS.waitTimeoutMs), requires: REDIS },
  historySize: integer('Events kept per user.', MEMORY_LOG_DEFAULTS.historySize),
  historyTtlMs: integer('How long an event is kept after it was appended.', MEMORY_LOG_DEFAULTS.historyTtlMs),
  maxLogBytes: { ...integer('Byte budget of the in-memory log, all users together.', MEMORY_LOG_DEFAULTS.maxLogBytes), requires: { option: 'log', value: 'memory' } },
  helloTimeoutMs: integer('Time a new connection has to send hello.', GATEWAY_DEFAULTS.helloTimeoutMs),
  heartbeatMs: integer('Interval of heartbeats; a connection silent for a whole interval is dropped, an SSE stream whose reader takes nothing for as long is cut.', GATEWAY_DEFAULTS.heartbeatMs),
  maxBufferedBytes: integer("A connection's or SSE stream's unsent backlog above which it is closed as a slow consumer.", GATEWAY_DEFAULTS.maxBufferedBytes),
  maxFrameBytes: integer('Largest client message (larger ones close with 1009).', GATEWAY_DEFAULTS.maxFrameBytes),
  maxFramesPerSecond: integer('Client frames per second per connection.', GATEWAY_DEFAULTS.maxFramesPerSecond),
  maxBadFramesPerMinute: integer('Bad frames within a minute that close the connection.', GATEWAY_DEFAULTS.maxBadFramesPerMinute),
  maxConnectionsPerUser: integer('Open connections per user, WebSockets and SSE streams together.', GATEWAY_DEFAULTS.maxConnectionsPerUser),
  maxConnections: integer('Open WebSocket connections (authenticated or not) and SSE streams on this server (one more: too_many_connections, close 4009 or HTTP 429).', GATEWAY_DEFAULTS.maxConnections),
  maxTotalBufferedBytes: integer('Unsent bytes of all connections and SSE streams together; past it the one holding the most is closed as slow_consumer (4008).', GATEWAY_DEFAULTS.maxTotalBufferedBytes),
  allowedOrigins: { kind: 'string', description: 'Comma-separated origins whose browser pages may connect (e.g. https://app.example.com), or *. Same-origin pages and clients without Origin are always allowed; others get HTTP 403.' },
  shutdownTimeoutMs: integer('Longest wait of each shutdown step: for the ends of the runs to reach the connections, then for the connections to close.', GATEWAY_DEFAULTS.shutdownTimeoutMs),
  coalesceWindowMs: integer('While the server is saturated, how long frames wait to be written together (0: never).', GATEWAY_DEFAULTS.coalesceWindowMs, 0),
  coalesceAboveFramesPerTurn: integer('Frames queued in each of two event-loop turns in a row above which writes are coalesced.', GATEWAY_DEFAULTS.coalesceAboveFramesPerTurn),
  maxActiveRunsPerUser: integer('Runs one user may have going at once.', HUB_DEFAULTS.maxActiveRunsPerUser),
  maxEventBytes: integer('Event size above which data is truncated.', HUB_DEFAULTS.maxEventBytes),
  runTimeoutMs: integer('A run still going after this long ends with agent_error code timeout.', HUB_DEFAULTS.runTimeoutMs),
  agent: { kind: 'string', description: 'The default agent: the built-in demo, or an OpenAI-compatible model (see --openai-*); demo is always registered.', default: 'demo', choices: ['demo', 'openai'] },
  openaiBaseUrl: { kind: 'string', description: 'Chat-completions API (any compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama).', default: 'https://api.openai.com/v1', valueName: 'url', alsoEnv: ['OPENAI_BASE_URL'], requires: OPENAI },
  openaiApiKey: { kind: 'string', description: 'API key (none for local servers).', alsoEnv: ['OPENAI_API_KEY'], requires: OPENAI },
  openaiModel: { kind: 'string', description: 'Model, e.g. gpt-4o-mini.', alsoEnv: ['OPENAI_MODEL'], requires: OPENAI },
  demoDelayMs: integer('Pause between the demo agent\'s steps, for human eyes.', DEMO_AGENT_DEFAULTS.delayMs, 0),
  webRoot: { kind: 'string', description: 'Folder of the web app served at / (default: the page this package carries).', valueName: 'folder' },
  noWeb: { kind: 'boolean', description: 'Do not serve the web app.', default: false },
  ackAlertMs: integer('A critical event not acked by its user this long after it was sent counts as overdue (agentwire_unacked_critical_events, /v1/admin/delivery).', GATEWAY_DEFAULTS.ackAlertMs),
  adminToken: { kind: 'string', description: 'Bearer token of the admin API (/v1/admin/delivery, /v1/admin/stats, the ops panel); unset: loopback clients only.' },
  logLevel: { kind: 'string', description: 'Least severe level logged (JSON lines on stderr).', default: 'info', choices: LOG_LEVELS, alsoEnv: ['LOG_LEVEL'] },
  otelEndpoint: { kind: 'string', valueName: 'url', description: 'OTLP/HTTP endpoint (e.g. http://127.0.0.1:4318 of Jaeger, Tempo or a collector) that receives a trace per run, with a span per tool call; unset: no tracing. Needs the OpenTelemetry SDK packages (see README, Tracing).', alsoEnv: ['OTEL_EXPORTER_OTLP_ENDPOINT'] },
  otelServiceName: { kind: 'string', description: 'The service.name of the traces.', default: 'agentwire', alsoEnv: ['OTEL_SERVICE_NAME'], requires: { option: 'otelEndpoint' } },
} as const satisfies Record<string, OptionSpec>;

export type ServeOptionName = keyof typeof SERVE_OPTIONS;

/** Resolved configuration: options with a default are always present. */
export type ServeConfig = OptionValues<typeof SERVE_OPTIONS>;

/** `agentwire serve`. */
export const SERVE_COMMAND = {
  name: 'serve',
  summary: 'run the server: the WebSocket and HTTP API, the web page, the demo agent',
  description: 'Runs the server. Every option can also be set by its environment variable; a flag wins over its variable.',
  options: SERVE_OPTIONS,
} as const satisfies CommandSpec<typeof SERVE_OPTIONS>;

/**
 * Checks what one option cannot check alone: dev auth off loopback needs `--insecure-dev-auth`.
 * @throws ConfigError naming the flags
 */
export function checkServeConfig(config: ServeConfig): ServeConfig {
  if (config.auth === 'dev' && !config.insecureDevAuth && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `--auth dev lets anyone act as any user, so it is refused on --host ${config.host}. Listen on 127.0.0.1, use --auth jwt, or pass --insecure-dev-auth if anyone who can reach ${config.host} may be anyone.`,
    );
  }
  return config;
}

/**
 * Resolves the configuration of `agentwire serve`: a flag wins over its environment variable,
 * which wins over the default. Unknown flags, flags without the option they depend on and dev
 * auth off loopback without `--insecure-dev-auth` are errors that name the flag.
 * @throws ConfigError
 */
export function resolveServeConfig(args: readonly string[], env: Readonly<Record<string, string | undefined>>): ServeConfig {
  const line = parseCommandLine(SERVE_COMMAND, args, env);
  if (line.help) throw new ConfigError('--help asks for the help text, which is serveHelp()');
  return checkServeConfig(line.values);
}

/** The help text of `agentwire serve`, from the table. */
export function serveHelp(): string {
  return commandHelp(SERVE_COMMAND);
}

/** docs/configuration.md, from the table; a test keeps the file equal to this. */
export function configurationMarkdown(): string {
  const rows = Object.entries(SERVE_OPTIONS).map(([name, spec]: [string, OptionSpec]) => {
    const env = envNames(name, spec).map((key) => `\`${key}\``).join(', ');
    const fallback = spec.default === undefined ? '' : `\`${String(spec.default)}\``;
    const choices = spec.choices ? ` One of: ${spec.choices.map((c) => `\`${c}\``).join(', ')}.` : '';
    const required = requiredFlag(spec);
    const requirement = required === undefined ? '' : ` Only with \`${required}\`; refused as a flag without it.`;
    return `| \`--${flagName(name)}\` | ${env} | ${fallback} | ${spec.description}${choices}${requirement} |`;
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
