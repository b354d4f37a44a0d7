import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, demoAgent, llmAgent, MemoryEventLog, type AgentDefinition, type EventLog, type Hub } from 'agentwire-core';
import { createAuthenticator, createGateway, type Authenticator, type Gateway, type ListeningAddress, type Logger } from 'agentwire-gateway';
import { otlpTracesUrl, startOtlpTracing, type OtlpTracing } from 'agentwire-otel';
import { RedisEventLog, RedisRunControl, redactedRedisUrl } from 'agentwire-redis';
import { ConfigError } from './command-line.js';
import type { ServeConfig } from './config.js';

/** A running agentwire server: the log, the hub with its agents, and the gateway. */
export interface RunningServer {
  readonly hub: Hub;
  readonly gateway: Gateway;
  readonly address: ListeningAddress;
  readonly webRoot: string | undefined;
  /**
   * Graceful shutdown: stop accepting; end every run (pending questions `cancelled`, then
   * `agent_cancelled` reason `shutdown`) and wait until the connections sent those ends; close
   * them with 1001 (each wait bounded by `shutdownTimeoutMs`); then the last spans are exported,
   * then the log.
   */
  close(): Promise<void>;
}

/**
 * The folder of the web page this package carries (`web/`, next to `dist/` and `src/`; the
 * build copies it from agentwire-web, which is private), when it has been built.
 */
export function bundledWebRoot(): string | undefined {
  const root = fileURLToPath(new URL('../web/', import.meta.url));
  return existsSync(join(root, 'index.html')) ? root : undefined;
}

/** `"a, b,,c"` → `["a", "b", "c"]`: the form of the list options (`--allowed-origins`, `--public-hosts`). */
function commaList(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** The error's message; for a system call that failed, its code (`ENOENT` as "no such file"). */
function reason(error: unknown): string {
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (typeof code === 'string' && syscall !== undefined) return code === 'ENOENT' ? 'no such file' : code;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The authenticator of `--auth`. A key that cannot be read or used is a configuration error that
 * names its flag and file (never the secret), instead of a decoder error from deep inside.
 */
function authenticatorOf(config: ServeConfig): Authenticator {
  if (config.auth === 'dev') return createAuthenticator({ mode: 'dev' });
  const given = [config.jwtSecret, config.jwtPublicKeyFile, config.jwtJwksUrl].filter((source) => source !== undefined);
  if (given.length !== 1) throw new ConfigError('--auth jwt needs exactly one of --jwt-secret, --jwt-public-key-file or --jwt-jwks-url');
  const keyFile = config.jwtPublicKeyFile;
  let publicKey: string | undefined;
  if (keyFile !== undefined) {
    try {
      publicKey = readFileSync(keyFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`--jwt-public-key-file ${keyFile}: cannot read it (${reason(error)})`);
    }
  }
  const source = keyFile !== undefined ? `--jwt-public-key-file ${keyFile}: not a usable PEM public key:` : config.jwtJwksUrl !== undefined ? '--jwt-jwks-url:' : '--jwt-secret:';
  try {
    return createAuthenticator({
      mode: 'jwt',
      ...(config.jwtSecret === undefined ? {} : { secret: config.jwtSecret }),
      ...(publicKey === undefined ? {} : { publicKey }),
      ...(config.jwtJwksUrl === undefined ? {} : { jwksUrl: config.jwtJwksUrl }),
      ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
      ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
    });
  } catch (error) {
    throw new ConfigError(`${source} ${reason(error)}`);
  }
}

/** The event log, and with Redis the control that carries cancels to the node running the agent. */
function createLog(config: ServeConfig): { log: EventLog; control?: RedisRunControl } {
  if (config.log === 'redis' || config.log === 'redis-cluster') {
    const cluster = config.log === 'redis-cluster';
    const log = new RedisEventLog({
      url: config.redisUrl,
      cluster,
      keyPrefix: config.redisKeyPrefix,
      historySize: config.historySize,
      historyTtlMs: config.historyTtlMs,
      commandTimeoutMs: config.redisCommandTimeoutMs,
      waitReplicas: config.redisWaitReplicas,
      waitTimeoutMs: config.redisWaitTimeoutMs,
    });
    return { log, control: new RedisRunControl({ url: config.redisUrl, cluster, keyPrefix: config.redisKeyPrefix, leaseMs: config.redisRunLeaseMs }) };
  }
  return { log: new MemoryEventLog({ historySize: config.historySize, historyTtlMs: config.historyTtlMs, maxLogBytes: config.maxLogBytes }) };
}

/**
 * Says in the server's log when Redis goes away and when it comes back, naming it (the
 * password redacted) and what failed ("connection refused"): a server started with Redis
 * unreachable still listens, and this is its start-up warning. Returns the unsubscribe.
 */
function reportLogAvailability(log: EventLog, config: ServeConfig, logger: Logger): () => void {
  const redisUrl = redactedRedisUrl(config.redisUrl);
  const unsubscribe = log.onAvailabilityChange?.((availability) => {
    if (availability.available) {
      logger.info({ redisUrl }, `Redis at ${redisUrl} answers again; runs are accepted`);
      return;
    }
    const error = availability.reason ?? 'unreachable';
    logger.warn({ redisUrl, error }, `Redis at ${redisUrl} is unreachable (${error}): runs are refused with log_unavailable (503) and /readyz answers 503 until it answers`);
  });
  return unsubscribe ?? (() => undefined);
}

/** The registered agents; the first is the default of a `run` that names none. */
function agentsOf(config: ServeConfig): AgentDefinition[] {
  const demo = demoAgent({ delayMs: config.demoDelayMs });
  if (config.agent === 'demo') return [demo];
  if (config.openaiModel === undefined) throw new ConfigError('--agent openai needs --openai-model (or OPENAI_MODEL)');
  const openai = llmAgent({
    baseUrl: config.openaiBaseUrl,
    model: config.openaiModel,
    ...(config.openaiApiKey === undefined ? {} : { apiKey: config.openaiApiKey }),
  });
  return [openai, demo];
}

/** Traces to the configured OTLP endpoint; none without one. */
async function startTracing(config: ServeConfig, logger: Logger): Promise<OtlpTracing | undefined> {
  if (config.otelEndpoint === undefined) return undefined;
  try {
    otlpTracesUrl(config.otelEndpoint);
  } catch (error) {
    throw new ConfigError(`--otel-endpoint: ${(error as Error).message}`);
  }
  const tracing = await startOtlpTracing({
    endpoint: config.otelEndpoint,
    serviceName: config.otelServiceName,
    onExportError: (error) => logger.warn({ error: error.message }, 'trace export failed; those spans are dropped'),
  });
  const { origin, pathname } = new URL(tracing.url);
  logger.info({ url: `${origin}${pathname}`, serviceName: config.otelServiceName }, 'tracing runs over OTLP/HTTP');
  return tracing;
}

/**
 * Starts a server from a resolved configuration: the event log (in memory, or Redis), a hub with the
 * demo agent, and the gateway serving the protocol, the HTTP API and the web app.
 */
export async function startServer(config: ServeConfig, logger: Logger): Promise<RunningServer> {
  // Everything that can refuse the configuration, before anything is started.
  const auth = authenticatorOf(config);
  const agents = agentsOf(config);
  const tracing = await startTracing(config, logger);
  const { log, control } = createLog(config);
  const stopReporting = reportLogAvailability(log, config, logger);
  const hub = createHub({
    log,
    ...(control === undefined ? {} : { control }),
    ...(tracing === undefined ? {} : { observers: [tracing.observer] }),
    agents,
    maxEventBytes: config.maxEventBytes,
    maxActiveRunsPerUser: config.maxActiveRunsPerUser,
    runTimeoutMs: config.runTimeoutMs,
  });
  const webRoot = config.noWeb ? undefined : (config.webRoot ?? bundledWebRoot());
  if (!config.noWeb && webRoot === undefined) logger.warn({}, 'the web app is not built (npm run build); serving the API only');
  const gateway = createGateway({
    hub,
    auth,
    host: config.host,
    port: config.port,
    helloTimeoutMs: config.helloTimeoutMs,
    heartbeatMs: config.heartbeatMs,
    maxBufferedBytes: config.maxBufferedBytes,
    maxFrameBytes: config.maxFrameBytes,
    maxFramesPerSecond: config.maxFramesPerSecond,
    maxBadFramesPerMinute: config.maxBadFramesPerMinute,
    maxConnectionsPerUser: config.maxConnectionsPerUser,
    maxConnections: config.maxConnections,
    maxTotalBufferedBytes: config.maxTotalBufferedBytes,
    ...(config.allowedOrigins === undefined ? {} : { allowedOrigins: commaList(config.allowedOrigins) }),
    ...(config.publicHosts === undefined ? {} : { publicHosts: commaList(config.publicHosts) }),
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    coalesceWindowMs: config.coalesceWindowMs,
    coalesceAboveFramesPerTurn: config.coalesceAboveFramesPerTurn,
    insecureDevAuth: config.insecureDevAuth,
    ackAlertMs: config.ackAlertMs,
    ...(config.adminToken === undefined ? {} : { adminToken: config.adminToken }),
    logger,
    ...(webRoot === undefined ? {} : { webRoot }),
  });
  const address = await gateway.listen();
  return {
    hub,
    gateway,
    address,
    webRoot,
    async close() {
      await gateway.close({ before: () => hub.close('shutdown') });
      await hub.close('shutdown');
      // A collector that is down must not stop the shutdown: its spans are lost either way.
      await tracing?.shutdown().catch((error: unknown) => logger.warn({ error: String(error) }, 'trace export on shutdown failed'));
      await control?.close();
      stopReporting();
      await log.close();
    },
  };
}
