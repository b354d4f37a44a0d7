import { ChildRpc } from '../lib/rpc.js';

/**
 * What a system's gateway process answers (a Redis system's node the clients connect
 * to, in a process of its own, apart from the producer's): forked by the system's
 * server module, driven over IPC (lib/rpc.ts).
 */
export interface GatewayProcessApi {
  /** Starts the gateway on Redis at `redisUrl` for `users` users; resolves with its loopback port. */
  start(params: { redisUrl: string; users: number }): Promise<{ port: number }>;
  /** CPU (user + system) of this process since it started, in seconds. */
  cpuSeconds(): number;
  close(): Promise<void>;
}

/** A gateway process, started: its port, its CPU, and how to stop it. */
export interface GatewayProcess {
  readonly port: number;
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

/** Forks the gateway module `entry` (run with tsx, workspace packages from their sources) and starts it. */
export async function startGatewayProcess(label: string, entry: URL, params: { redisUrl: string; users: number }): Promise<GatewayProcess> {
  const child = new ChildRpc<GatewayProcessApi>(label, entry, ['--conditions=source', '--import', 'tsx']);
  try {
    const { port } = await child.call('start', params);
    return {
      port,
      cpuSeconds: () => child.call('cpuSeconds'),
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
