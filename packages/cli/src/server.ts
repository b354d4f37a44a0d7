import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, demoAgent, MemoryEventLog, type Hub } from '@agentwire/core';
import { createGateway, type AuthOptions, type Gateway, type ListeningAddress, type Logger } from '@agentwire/gateway';
import { ConfigError, type ServeConfig } from './config.js';

/** A running agentwire server: the log, the hub with its agents, and the gateway. */
export interface RunningServer {
  readonly hub: Hub;
  readonly gateway: Gateway;
  readonly address: ListeningAddress;
  readonly webRoot: string | undefined;
  /** Graceful shutdown: gateway (close 1001), then runs, then the log. */
  close(): Promise<void>;
}

/** The folder of the bundled web app, when it has been built. */
export function bundledWebRoot(): string | undefined {
  try {
    const index = fileURLToPath(import.meta.resolve('@agentwire/web/dist'));
    return existsSync(index) ? dirname(index) : undefined;
  } catch {
    return undefined;
  }
}

function authOptions(config: ServeConfig): AuthOptions {
  if (config.auth === 'dev') return { mode: 'dev' };
  const publicKey = config.jwtPublicKeyFile === undefined ? undefined : readFileSync(config.jwtPublicKeyFile, 'utf8');
  if ((config.jwtSecret === undefined) === (publicKey === undefined)) {
    throw new ConfigError('--auth jwt needs exactly one of --jwt-secret or --jwt-public-key-file');
  }
  return {
    mode: 'jwt',
    ...(config.jwtSecret === undefined ? {} : { secret: config.jwtSecret }),
    ...(publicKey === undefined ? {} : { publicKey }),
    ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
    ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
  };
}

/**
 * Starts a server from a resolved configuration: the in-memory log, a hub with the
 * demo agent, and the gateway serving the protocol, the HTTP API and the web app.
 */
export async function startServer(config: ServeConfig, logger: Logger): Promise<RunningServer> {
  const log = new MemoryEventLog({ historySize: config.historySize, historyTtlMs: config.historyTtlMs, maxLogBytes: config.maxLogBytes });
  const hub = createHub({
    log,
    agents: [demoAgent({ delayMs: config.demoDelayMs })],
    maxEventBytes: config.maxEventBytes,
    maxActiveRunsPerUser: config.maxActiveRunsPerUser,
    runTimeoutMs: config.runTimeoutMs,
  });
  const webRoot = config.noWeb ? undefined : (config.webRoot ?? bundledWebRoot());
  if (!config.noWeb && webRoot === undefined) logger.warn({}, 'the web app is not built (npm run build); serving the API only');
  const gateway = createGateway({
    hub,
    auth: authOptions(config),
    host: config.host,
    port: config.port,
    helloTimeoutMs: config.helloTimeoutMs,
    heartbeatMs: config.heartbeatMs,
    maxBufferedBytes: config.maxBufferedBytes,
    maxFrameBytes: config.maxFrameBytes,
    maxFramesPerSecond: config.maxFramesPerSecond,
    maxBadFramesPerMinute: config.maxBadFramesPerMinute,
    maxConnectionsPerUser: config.maxConnectionsPerUser,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    coalesceWindowMs: config.coalesceWindowMs,
    coalesceAboveFramesPerTurn: config.coalesceAboveFramesPerTurn,
    insecureDevAuth: config.insecureDevAuth,
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
      await gateway.close();
      await hub.close();
      await log.close();
    },
  };
}
