import {
  EMPTY_USAGE,
  isCritical,
  type AgentEvent,
  type ClientFrameOf,
  type EventData,
  type EventOf,
  type EventType,
  type RunSnapshot,
  type ServerFrameOf,
} from 'agentwire-protocol';
import { createClient, type AgentwireClient, type ClientOptions, type ConnectionState, type ConnectionStatus } from 'agentwire-client';
import { WebSocket } from 'ws';
import { ManualClock } from 'agentwire-testing/clock';
import type { PeerConnection, ScriptedServer } from './scripted-server.js';

let eventSeq = 0;

/** A valid event of the catalog, as the server would send it. */
export function makeEvent<T extends EventType>(type: T, data: EventData<T>, runId = 'run_1'): EventOf<T> {
  eventSeq += 1;
  return {
    id: `evt_${eventSeq}`,
    type,
    runId,
    threadId: 'thr_1',
    agent: 'demo',
    ts: 1_764_000_000_000 + eventSeq,
    critical: isCritical(type),
    data,
  } as EventOf<T>;
}

export function started(runId = 'run_1'): EventOf<'agent_started'> {
  return makeEvent('agent_started', { input: 'hi' }, runId);
}

export function thinking(text: string, runId = 'run_1'): EventOf<'agent_thinking'> {
  return makeEvent('agent_thinking', { text }, runId);
}

export function eventFrame(offset: number, event: AgentEvent): ServerFrameOf<'event'> {
  return { op: 'event', offset, event };
}

/** A `welcome` for a fresh session of user alice; a long heartbeat keeps it out of the way. */
export function welcomeFrame(overrides: Partial<ServerFrameOf<'welcome'>> = {}): ServerFrameOf<'welcome'> {
  return {
    op: 'welcome',
    protocol: 1,
    sessionId: 'sess_1',
    userId: 'alice',
    epoch: 'ep_1',
    head: 0,
    resumed: false,
    activeRuns: [],
    heartbeatMs: 60_000,
    ...overrides,
  };
}

export function snapshot(runId: string, overrides: Partial<RunSnapshot> = {}): RunSnapshot {
  return {
    runId,
    threadId: 'thr_1',
    agent: 'demo',
    status: 'running',
    startedAt: 1_764_000_000_000,
    lastOffset: 1,
    usage: EMPTY_USAGE,
    openToolCalls: [],
    pendingInputs: [],
    ...overrides,
  };
}

/** A client on a manual clock with jitter off, closed when the test's scope ends. */
export function testClient(
  server: ScriptedServer,
  overrides: Partial<ClientOptions> = {},
): { client: AgentwireClient; clock: ManualClock } & Disposable {
  const clock = new ManualClock();
  const client = createClient({ url: server.url, token: 'dev:alice', WebSocket, clock, random: () => 0, ...overrides });
  return { client, clock, [Symbol.dispose]: () => client.close() };
}

/** Accepts the client's next connection, reads its hello and answers with `welcome`. */
export async function handshake(
  server: ScriptedServer,
  welcome: ServerFrameOf<'welcome'> = welcomeFrame(),
): Promise<{ peer: PeerConnection; hello: ClientFrameOf<'hello'> }> {
  const peer = await server.nextConnection();
  const hello = await peer.nextFrame();
  if (hello.op !== 'hello') throw new Error(`expected hello, got ${hello.op}`);
  peer.send(welcome);
  return { peer, hello };
}

/** Resolves with the next state of `status`. */
export function nextState(client: AgentwireClient, status: ConnectionStatus): Promise<ConnectionState> {
  return new Promise((resolve) => {
    const off = client.onState((state) => {
      if (state.status !== status) return;
      off();
      resolve(state);
    });
  });
}

/** Resolves with the next state, whatever it is. */
export function nextChange(client: AgentwireClient): Promise<ConnectionState> {
  return new Promise((resolve) => {
    const off = client.onState((state) => {
      off();
      resolve(state);
    });
  });
}

/** Resolves once an event with `offset` was delivered to `'*'` handlers. */
export function delivered(client: AgentwireClient, offset: number): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on('*', (_event, at) => {
      if (at < offset) return;
      off();
      resolve();
    });
  });
}
