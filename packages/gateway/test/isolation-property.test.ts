import type { AgentEvent } from 'agentwire-protocol';
import { encodeClientFrame, SUBPROTOCOL } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Prng } from 'agentwire-testing/prng';
import { startServer, type TestServer } from 'agentwire-testing/gateway';

const USERS = 1_000;
/** Rounds of appends; with ~12 events per run and RUN_SHARE of the users per round, about 1.05 M events in all. */
const ROUNDS = 420;
const RUN_SHARE = 0.2;
const CUSTOM_EVENTS_PER_RUN = 10;
/** Per round, the chance that a connected user drops (half clean closes, half abrupt) and that a disconnected one resumes. */
const DISCONNECT_CHANCE = 0.02;
const RECONNECT_CHANCE = 0.3;
/** Retention per user; a user offline for longer than this many events would get offset_expired (a failure here). */
const HISTORY_SIZE = 400;
const MIN_DELIVERED = 1_000_000;

const rand = Prng.fromEnv('ISOLATION_SEED');

/**
 * One simulated user with its own protocol client (no zod on the hot path: the server's
 * frames are checked by the assertions here). It keeps the last offset it processed and
 * resumes from it, as docs/protocol.md §4 says a client should.
 */
class SimulatedUser {
  readonly userId: string;
  /** Ids of this user's appended events, in log order (from the hub's observer). */
  readonly appended: string[] = [];
  /** How many of `appended` this user has received, in order. */
  received = 0;
  delivered = 0;
  epoch: string | undefined;
  lastOffset = 0;
  socket: WebSocket | undefined;
  connects = 0;
  readonly problems: string[];
  readonly #owners: ReadonlyMap<string, string>;
  #caughtUp: { head: number; resolve: () => void } | undefined;

  constructor(userId: string, owners: ReadonlyMap<string, string>, problems: string[]) {
    this.userId = userId;
    this.#owners = owners;
    this.problems = problems;
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** Connects and says hello, resuming from the last processed offset once it has a position; resolves on welcome. */
  connect(wsUrl: string): Promise<void> {
    const socket = new WebSocket(wsUrl, [SUBPROTOCOL]);
    this.socket = socket;
    this.connects++;
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        const resume = this.epoch === undefined ? {} : { resume: { epoch: this.epoch, offset: this.lastOffset } };
        socket.send(encodeClientFrame({ op: 'hello', token: `dev:${this.userId}`, ...resume }));
      });
      socket.once('error', reject);
      socket.on('message', (data) => {
        for (const line of (data as Buffer).toString('utf8').split('\n')) this.#onFrame(JSON.parse(line) as Record<string, unknown>, resolve);
      });
      socket.once('close', (code) => {
        if (this.socket === socket) this.problems.push(`${this.userId}: closed by the server with ${code}`);
      });
    });
  }

  /** Drops the connection, cleanly or abruptly; resolves once it is closed. */
  disconnect(abrupt: boolean): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return Promise.resolve();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (abrupt) socket.terminate();
    else socket.close();
    return closed;
  }

  /** Resolves once this user has processed everything up to `head`. */
  caughtUp(head: number): Promise<void> {
    if (this.lastOffset >= head) return Promise.resolve();
    return new Promise((resolve) => {
      this.#caughtUp = { head, resolve };
    });
  }

  #onFrame(frame: Record<string, unknown>, welcomed: () => void): void {
    switch (frame.op) {
      case 'welcome': {
        const resumed = frame.resumed === true;
        if (this.epoch !== undefined && !resumed) this.problems.push(`${this.userId}: resume not honoured: ${JSON.stringify(frame.reset)}`);
        if (frame.userId !== this.userId) this.problems.push(`${this.userId}: welcomed as ${String(frame.userId)}`);
        this.epoch = frame.epoch as string;
        welcomed();
        return;
      }
      case 'event': {
        const offset = frame.offset as number;
        const event = frame.event as AgentEvent;
        this.delivered++;
        if (offset !== this.lastOffset + 1) this.problems.push(`${this.userId}: offset ${offset} after ${this.lastOffset}`);
        const owner = this.#owners.get(event.runId);
        if (owner !== this.userId) this.problems.push(`${this.userId}: FOREIGN event ${event.id} of run ${event.runId} (owner ${String(owner)})`);
        if (event.id !== this.appended[this.received]) this.problems.push(`${this.userId}: got ${event.id}, expected ${String(this.appended[this.received])}`);
        this.received++;
        this.lastOffset = offset;
        if (this.#caughtUp !== undefined && offset >= this.#caughtUp.head) {
          const { resolve } = this.#caughtUp;
          this.#caughtUp = undefined;
          resolve();
        }
        return;
      }
      default:
        this.problems.push(`${this.userId}: unexpected frame ${JSON.stringify(frame).slice(0, 200)}`);
    }
  }
}

/** One run of small events for `user`, through the hub's emitter (the producers' API). */
async function appendRun(server: TestServer, user: SimulatedUser, owners: Map<string, string>): Promise<void> {
  const run = server.hub.emitter({ userId: user.userId, agent: 'prop' });
  owners.set(run.context.runId, user.userId);
  await run.start();
  for (let i = 0; i < CUSTOM_EVENTS_PER_RUN; i++) void run.custom('n', i);
  await run.complete({ text: 'ok' });
}

describe(`isolation property (seed ${rand.seed}; replay with ISOLATION_SEED=${rand.seed})`, () => {
  it(`${USERS} users, random disconnects and resumes: each receives exactly its own events, in order; zero foreign events in >= ${MIN_DELIVERED}`, { timeout: 240_000 }, async () => {
    await using server = await startServer({ log: { historySize: HISTORY_SIZE, maxLogBytes: 1 << 30 }, maxConnectionsPerUser: 2 });
    const owners = new Map<string, string>();
    const problems: string[] = [];
    const users = Array.from({ length: USERS }, (_, i) => new SimulatedUser(`user-${i}`, owners, problems));
    const byId = new Map(users.map((user) => [user.userId, user]));
    server.hub.addObserver({
      onAppended: (context, event) => {
        byId.get(context.userId)?.appended.push(event.id);
      },
    });
    const heads = new Map<string, number>();
    server.hub.addObserver({ onAppended: (context, _event, result) => heads.set(context.userId, result.offset) });

    for (let i = 0; i < USERS; i += 100) await Promise.all(users.slice(i, i + 100).map((user) => user.connect(server.wsUrl)));
    const offlineSince = new Map<SimulatedUser, number>();
    let disconnects = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const churn: Promise<void>[] = [];
      const reconnecting = new Set<SimulatedUser>();
      for (const user of users) {
        if (user.connected && rand.chance(DISCONNECT_CHANCE)) {
          disconnects++;
          offlineSince.set(user, round);
          churn.push(user.disconnect(rand.chance(0.5)));
        } else if (!user.connected && (rand.chance(RECONNECT_CHANCE) || round - (offlineSince.get(user) ?? round) > 20)) {
          offlineSince.delete(user);
          reconnecting.add(user);
          churn.push(user.connect(server.wsUrl));
        }
      }
      const runs = users.filter(() => rand.chance(RUN_SHARE)).map((user) => appendRun(server, user, owners));
      // Some drop while their events are on the way.
      for (const user of users) {
        if (user.connected && !reconnecting.has(user) && rand.chance(DISCONNECT_CHANCE / 4)) {
          disconnects++;
          offlineSince.set(user, round);
          churn.push(user.disconnect(rand.chance(0.5)));
        }
      }
      await Promise.all([...churn, ...runs]);
      // Flow control: connected users catch up before the next round, so no one lags beyond retention.
      await Promise.all(users.filter((user) => user.connected).map((user) => user.caughtUp(heads.get(user.userId) ?? 0)));
      if (problems.length > 0) break;
    }
    await Promise.all(users.filter((user) => !user.connected).map((user) => user.connect(server.wsUrl)));
    await Promise.all(users.map((user) => user.caughtUp(heads.get(user.userId) ?? 0)));

    const delivered = users.reduce((sum, user) => sum + user.delivered, 0);
    const appended = users.reduce((sum, user) => sum + user.appended.length, 0);
    const summary = { seed: rand.seed, users: USERS, appended, delivered, disconnects, connects: users.reduce((sum, user) => sum + user.connects, 0), problems: problems.slice(0, 10) };
    console.log(JSON.stringify(summary));
    expect(problems, JSON.stringify(summary)).toEqual([]);
    for (const user of users) {
      if (user.received !== user.appended.length) expect.fail(`${user.userId} received ${user.received} of ${user.appended.length} events (seed ${rand.seed})`);
    }
    expect(delivered).toBeGreaterThanOrEqual(MIN_DELIVERED);
    await Promise.all(users.map((user) => user.disconnect(false)));
  });
});
