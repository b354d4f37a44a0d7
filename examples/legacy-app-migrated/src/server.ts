import { createHub, MemoryEventLog, type Hub } from 'agentwire-core';
import { createGateway, silentLogger, type Gateway } from 'agentwire-gateway';
import { supportAgent } from './support-agent.js';

/** Was: a ws server, a Socket.IO server and an SSE server. Now one gateway delivers every event. */
export function startBackend(port: number): { hub: Hub; gateway: Gateway } {
  const hub = createHub({ log: new MemoryEventLog(), agents: [supportAgent] });
  const gateway = createGateway({ hub, auth: { mode: 'dev' }, port, logger: silentLogger });
  return { hub, gateway };
}
