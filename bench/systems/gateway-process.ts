import { childExecArgv, serverProfileArgs } from '../lib/child-exec-argv.js';
import type { MemorySample } from '../lib/memory.js';
import { ChildRpc } from '../lib/rpc.js';
import type { BenchServerOptions } from './system.js';

/**
 * What a gateway process is started with: the Redis both processes share (with `cluster`, a
 * Redis Cluster's seed nodes, comma-separated), and the server options.
 */
export type GatewayStartParams = BenchServerOptions & { redisUrl: string; cluster?: boolean };

/**
 * What a system's gateway process answers (a Redis system's node the clients connect
 * to, in a process of its own, apart from the producer's): forked by the system's
 * server module, driven over IPC (lib/rpc.ts).
 */
export interface GatewayProcessApi {
  /** Starts the gateway on Redis at `redisUrl` for `users` users; resolves with its loopback port. */
  start(params: GatewayStartParams): Promise<{ port: number }>;
  /** CPU (user + system) of this process since it started, in seconds. */
  cpuSeconds(): number;
  /** This process's memory after a forced GC (it holds the connections). */
  memory(): MemorySample;
  /** Systems that implement it: resolves once user `user` has no connection here (see `BenchServer.whenDisconnected`). */
  whenDisconnected?(params: { user: number }): Promise<void>;
  close(): Promise<void>;
}

/** A gateway process, started: its port, its CPU, and how to stop it. */
export interface GatewayProcess {
  readonly port: number;
  cpuSeconds(): Promise<number>;
  memory(): Promise<MemorySample>;
  whenDisconnected(user: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Forks the gateway module `entry` (with the trial processes' flags, lib/child-exec-argv.ts,
 * and `--expose-gc` for its memory figures) and starts it.
 */
export async function startGatewayProcess(label: string, entry: URL, params: GatewayStartParams): Promise<GatewayProcess> {
  const child = new ChildRpc<GatewayProcessApi>(label, entry, [...childExecArgv(), '--expose-gc', ...serverProfileArgs()]);
  try {
    const { port } = await child.call('start', params);
    return {
      port,
      cpuSeconds: () => child.call('cpuSeconds'),
      memory: () => child.call('memory'),
      whenDisconnected: (user) => child.call('whenDisconnected', { user }),
      async close() {
        await child.call('close').catch(() => undefined);
        await child.stop();
      },
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** This process's CPU (user + system) since it started, in seconds. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
