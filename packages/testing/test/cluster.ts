import { createHub, defineAgent, type AgentDefinition, type Hub } from 'agentwire-core';
import { createGateway, silentLogger, type Gateway } from 'agentwire-gateway';
import { RedisEventLog, RedisRunControl, type RedisEventLogOptions, type RedisRunControlOptions } from 'agentwire-redis';
import { RedisCluster } from 'agentwire-testing/redis-cluster';
import { afterAll, beforeAll } from 'vitest';

/**
 * A Redis Cluster (3 primaries, 3 replicas) for the enclosing `describe`: started before its
 * tests (that takes seconds, so once), stopped after them. Call the result inside a test.
 */
export function clusterForTests(): () => RedisCluster {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
  }, 30_000);
  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]();
  });
  return () => {
    if (!cluster) throw new Error('the cluster is started in beforeAll: call this inside a test');
    return cluster;
  };
}

/** Runs until it is cancelled. */
export const waiter = defineAgent({
  name: 'waiter',
  run: ({ signal }) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
});

export interface Node extends AsyncDisposable {
  readonly hub: Hub;
  readonly log: RedisEventLog;
  readonly control: RedisRunControl;
  readonly gateway: Gateway | undefined;
  readonly url: string;
  readonly wsUrl: string;
}

/** One agentwire process on the shared Redis: a hub, and a gateway unless it is a producer only. */
export async function startNode(
  redisUrl: string,
  keyPrefix: string,
  options: { gateway: boolean; agents?: AgentDefinition[]; log?: RedisEventLogOptions; control?: RedisRunControlOptions },
): Promise<Node> {
  const log = new RedisEventLog({ url: redisUrl, keyPrefix, ...options.log });
  const control = new RedisRunControl({ url: redisUrl, keyPrefix, ...options.control });
  await control.whenReady();
  const hub = createHub({ log, control, agents: options.agents ?? [waiter] });
  const gateway = options.gateway ? createGateway({ hub, auth: { mode: 'dev' }, logger: silentLogger, port: 0 }) : undefined;
  const address = gateway ? await gateway.listen() : undefined;
  return {
    hub,
    log,
    control,
    gateway,
    url: address?.url ?? '',
    wsUrl: address?.wsUrl ?? '',
    async [Symbol.asyncDispose]() {
      await gateway?.close();
      await hub.close();
      await control.close();
      await log.close();
    },
  };
}
