import type { AgentEvent } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { settlingEventId, ulid, type EventLog, type LogEntry } from 'agentwire-core';
import { ManualClock } from './manual-clock.js';
import { Prng } from './prng.js';

/** A log under test and how to end it. */
export interface LogFixture extends AsyncDisposable {
  readonly log: EventLog;
}

/** Retention settings a contract test asks the implementation for. */
export interface LogFixtureOptions {
  historySize?: number;
  historyTtlMs?: number;
  clock?: ManualClock;
}

let counter = 0;

/** A well-formed event of a run, for feeding a log directly. */
export function makeEvent(runId: string, type: 'agent_started' | 'custom' | 'agent_completed' = 'custom', extra: { threadId?: string } = {}): AgentEvent {
  const base = { id: ulid(), runId, threadId: extra.threadId ?? 'thr_1', agent: 'test', ts: 1_700_000_000_000 + counter++ };
  switch (type) {
    case 'agent_started':
      return { ...base, type, critical: true, data: {} };
    case 'agent_completed':
      return { ...base, type, critical: true, data: { result: { text: 'ok' }, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 }, durationMs: 1 } };
    case 'custom':
      return { ...base, type, critical: false, data: { name: 'n', value: counter } };
  }
}

/** `input_requested` of a run, as an emitter makes it. */
export function makeRequest(runId: string, requestId: string, extra: { expiresAt?: number } = {}): AgentEvent {
  return { ...makeEvent(runId), type: 'input_requested', critical: true, data: { requestId, kind: 'text', prompt: 'Your name?', ...extra } };
}

/** `input_resolved` of a request, with the settling id every process gives it. */
export function makeResolution(runId: string, requestId: string, outcome: 'answered' | 'expired' | 'cancelled', value?: unknown): AgentEvent {
  return {
    ...makeEvent(runId),
    id: settlingEventId('resolved', runId, requestId),
    type: 'input_resolved',
    critical: true,
    data: { requestId, outcome, ...(value === undefined ? {} : { value }) },
  };
}

/** `state_snapshot` or `state_delta` of a run, as `RunEmitter.setState` makes them. */
export function makeStateEvent(runId: string, change: { state: unknown } | { patch: unknown[] }): AgentEvent {
  return 'state' in change
    ? ({ ...makeEvent(runId), type: 'state_snapshot', critical: true, data: { state: change.state } } as AgentEvent)
    : ({ ...makeEvent(runId), type: 'state_delta', critical: true, data: { patch: change.patch } } as AgentEvent);
}

/** Crockford's base-32 digits, a ULID's characters. */
const ULID_DIGITS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Appends events to a few users with ids of every kind, in an order drawn from `prng`: fresh
 * ULIDs (ascending, as an emitter makes them), ULIDs next to earlier ones (out of order, or
 * equal), settling ids, ids of other lengths, and re-appends of any earlier id, retained or
 * not. Every append's result and a lookup of an earlier id (`offsetOf`) after each step are held
 * against a model, and every 25 steps each retained entry is looked up by its id: an id is a
 * duplicate exactly while an entry of that user with that id is retained, and retention is
 * whatever the log's `first` says, so any retention rule is checked.
 * `beforeEach` runs before each step (a test advancing a clock, say).
 */
export async function appendIdsAgainstModel(log: EventLog, prng: Prng, steps: number, beforeEach: () => void = () => undefined): Promise<void> {
  const users = ['alice', 'bob', 'carol'];
  /** Per user, every id it took and the offset it took it at (retained or not). */
  const taken = new Map(users.map((user) => [user, new Map<string, number>()]));
  const ulids: string[] = [];
  const seen: string[] = [];
  const nextId = (): string => {
    const kind = prng.next();
    if (kind < 0.45 || ulids.length === 0) {
      const id = ulid();
      ulids.push(id);
      return id;
    }
    if (kind < 0.6) {
      // Below an earlier ULID, from its first differing place on: out of order, of length 25 to 27.
      const near = prng.pick(ulids);
      const cut = 25 - prng.int(2);
      const below = ULID_DIGITS.slice(0, ULID_DIGITS.indexOf(near.charAt(cut)));
      return below === '' ? near : near.slice(0, cut) + below.charAt(prng.int(below.length)).repeat(prng.int(2) + 1);
    }
    if (kind < 0.65) return settlingEventId(prng.chance(0.5) ? 'ended' : 'resolved', `run_${prng.int(1_000)}`, prng.chance(0.5) ? `req_${prng.int(1_000)}` : '');
    if (kind < 0.7) return `evt-${prng.int(100_000)}`;
    return prng.pick(seen);
  };
  for (let step = 0; step < steps; step++) {
    beforeEach();
    const user = prng.pick(users);
    const ids = taken.get(user) ?? new Map<string, number>();
    const id = nextId();
    seen.push(id);
    const { head, first } = await log.head(user);
    const earlier = ids.get(id);
    const expected = earlier !== undefined && earlier >= first ? { offset: earlier, duplicate: true } : { offset: head + 1, duplicate: false };
    const result = await log.append(user, { ...makeEvent('run_a'), id });
    expect({ step, id, ...result }, `seed ${prng.seed}`).toMatchObject({ step, id, ...expected });
    if (!result.duplicate) ids.set(id, result.offset);

    const asked = prng.pick(seen);
    const askedOf = prng.pick(users);
    const current = (await log.head(askedOf)).first;
    const offset = taken.get(askedOf)?.get(asked);
    expect({ step, asked, offset: await log.offsetOf(askedOf, asked) }, `seed ${prng.seed}`).toEqual({ step, asked, offset: offset !== undefined && offset >= current ? offset : undefined });
    if (step % 25 === 0) {
      // Every retained entry, found by its id.
      for (const each of users) {
        const { entries } = await log.read(each, 0, 1_000_000);
        const found = await Promise.all(entries.map((entry) => log.offsetOf(each, entry.event.id)));
        expect({ step, found }, `seed ${prng.seed}`).toEqual({ step, found: entries.map((entry) => entry.offset) });
      }
    }
  }
}

/**
 * The `EventLog` contract: every implementation (memory, Redis) runs this same suite.
 * `create` makes a fresh, empty log each time.
 */
export function eventLogContract(name: string, create: (options?: LogFixtureOptions) => Promise<LogFixture>): void {
  describe(`EventLog contract: ${name}`, () => {
    it('gives offsets 1, 2, 3… per user, independent across users', async () => {
      await using fixture = await create();
      const { log } = fixture;
      const a1 = await log.append('alice', makeEvent('run_a'));
      const a2 = await log.append('alice', makeEvent('run_a'));
      const b1 = await log.append('bob', makeEvent('run_b'));
      expect([a1.offset, a2.offset, b1.offset]).toEqual([1, 2, 1]);
      expect(a1.epoch).toBe(a2.epoch);
      expect(a1.duplicate).toBe(false);
    });

    it('is idempotent by event id: a repeated append returns the first offset and adds nothing', async () => {
      await using fixture = await create();
      const { log } = fixture;
      const event = makeEvent('run_a');
      const first = await log.append('alice', event);
      await log.append('alice', makeEvent('run_a'));
      const again = await log.append('alice', event);
      expect(again).toMatchObject({ offset: first.offset, duplicate: true });
      expect((await log.head('alice')).head).toBe(2);
    });

    it('keeps a retry racing its original (both in flight at once) once', async () => {
      await using fixture = await create();
      const { log } = fixture;
      const event = makeEvent('run_a');
      const [first, retry] = await Promise.all([log.append('alice', event), log.append('alice', event)]);
      expect(first).toMatchObject({ offset: 1, duplicate: false });
      expect(retry).toMatchObject({ offset: 1, duplicate: true, epoch: first.epoch });
      const page = await log.read('alice', 0, 10);
      expect(page.entries.map((entry) => entry.event.id)).toEqual([event.id]);
    });

    it('keeps offsets contiguous under concurrent appends from many producers', async () => {
      await using fixture = await create();
      const { log } = fixture;
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append('alice', makeEvent(`run_${i % 7}`))));
      expect(results.map((r) => r.offset).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const page = await log.read('alice', 0, 1_000);
      expect(page.entries.map((e) => e.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it('reads pages after an offset, in order, with head and first', async () => {
      await using fixture = await create();
      const { log } = fixture;
      const events = Array.from({ length: 10 }, () => makeEvent('run_a'));
      for (const event of events) await log.append('alice', event);
      const page = await log.read('alice', 3, 4);
      expect(page.entries.map((e) => e.offset)).toEqual([4, 5, 6, 7]);
      expect(page.entries.map((e) => e.event.id)).toEqual(events.slice(3, 7).map((e) => e.id));
      expect(JSON.parse(page.entries[0]?.json ?? 'null')).toEqual(events[3]);
      // Delivery reads type and thread from the entry, never parsing the JSON for them.
      expect(page.entries.map((e) => [e.type, e.threadId, e.ts])).toEqual(events.slice(3, 7).map((e) => [e.type, e.threadId, e.ts]));
      expect(page).toMatchObject({ head: 10, first: 1 });
      expect((await log.read('alice', 10, 5)).entries).toEqual([]);
    });

    it('keeps text outside ASCII exactly, in user, run, thread and data (UTF-8 lengths differ from string lengths)', async () => {
      await using fixture = await create();
      const { log } = fixture;
      const user = 'zoë-日本';
      const seen: LogEntry[] = [];
      const unsubscribe = log.subscribe(user, { onEntry: (entry) => seen.push(entry) });
      const events = ['é', '🙂 multi\nline ✓', 'x'.repeat(300) + '€'].map((text) => {
        const event = makeEvent('run_ü', 'custom', { threadId: 'thr_ñ' });
        return { ...event, data: { name: 'ünicode', value: text } } as AgentEvent;
      });
      for (const event of events) await log.append(user, event);
      await expect.poll(() => seen.length).toBe(3);
      const page = await log.read(user, 0, 10);
      expect(page.entries.map((entry) => entry.event)).toEqual(events);
      expect(page.entries.map((entry) => [entry.offset, entry.threadId])).toEqual([[1, 'thr_ñ'], [2, 'thr_ñ'], [3, 'thr_ñ']]);
      expect(seen.map((entry) => entry.event)).toEqual(events);
      expect((await log.listRuns(user)).map((run) => [run.runId, run.threadId, run.lastOffset])).toEqual([['run_ü', 'thr_ñ', 3]]);
      unsubscribe();
    });

    it('answers an unknown user with an empty stream', async () => {
      await using fixture = await create();
      const { log } = fixture;
      expect(await log.head('nobody')).toMatchObject({ head: 0, first: 1 });
      expect((await log.read('nobody', 0, 10)).entries).toEqual([]);
      expect(await log.listRuns('nobody')).toEqual([]);
    });

    it('tells subscribers every later entry of their user only, in order', async () => {
      await using fixture = await create();
      const { log } = fixture;
      await log.append('alice', makeEvent('run_a'));
      const seen: LogEntry[] = [];
      const unsubscribe = log.subscribe('alice', { onEntry: (entry) => seen.push(entry) });
      const appended = [makeEvent('run_a'), makeEvent('run_a')];
      await log.append('bob', makeEvent('run_b'));
      for (const event of appended) await log.append('alice', event);
      await expect.poll(() => seen.length).toBe(2);
      expect(seen.map((e) => [e.offset, e.event.id, e.type, e.threadId, e.ts])).toEqual([
        [2, appended[0]?.id, appended[0]?.type, appended[0]?.threadId, appended[0]?.ts],
        [3, appended[1]?.id, appended[1]?.type, appended[1]?.threadId, appended[1]?.ts],
      ]);
      unsubscribe();
      await log.append('alice', makeEvent('run_a'));
      expect(seen).toHaveLength(2);
    });

    it('keeps run snapshots per user, never across users', async () => {
      await using fixture = await create();
      const { log } = fixture;
      await log.append('alice', makeEvent('run_a', 'agent_started'));
      await log.append('alice', makeEvent('run_a'));
      await log.append('alice', makeEvent('run_done', 'agent_started'));
      await log.append('alice', makeEvent('run_done', 'agent_completed'));
      expect(await log.getRun('alice', 'run_a')).toMatchObject({ runId: 'run_a', status: 'running', lastOffset: 2 });
      expect(await log.getRun('alice', 'run_done')).toMatchObject({ status: 'completed', lastOffset: 4 });
      expect(await log.getRun('bob', 'run_a')).toBeUndefined();
      expect((await log.listRuns('alice', { active: true })).map((r) => r.runId)).toEqual(['run_a']);
      expect((await log.listRuns('alice')).map((r) => r.runId).sort()).toEqual(['run_a', 'run_done']);
    });

    it('folds shared state into the run snapshot: a delta applies once, and the state outlives the run', async () => {
      await using fixture = await create();
      const { log } = fixture;
      await log.append('alice', makeEvent('run_a', 'agent_started'));
      await log.append('alice', makeStateEvent('run_a', { state: { step: 'plan', done: [] } }));
      const delta = makeStateEvent('run_a', { patch: [{ op: 'add', path: '/done/-', value: 'search' }] });
      await log.append('alice', delta);
      expect(await log.append('alice', delta)).toMatchObject({ offset: 3, duplicate: true });
      await log.append('alice', makeEvent('run_a'));
      expect(await log.getRun('alice', 'run_a')).toMatchObject({ lastOffset: 4, state: { step: 'plan', done: ['search'] } });
      expect((await log.listRuns('alice', { active: true }))[0]?.state).toEqual({ step: 'plan', done: ['search'] });
      await log.append('alice', makeStateEvent('run_a', { patch: [{ op: 'replace', path: '/step', value: 'answer' }] }));
      await log.append('alice', makeEvent('run_a', 'agent_completed'));
      expect(await log.getRun('alice', 'run_a')).toMatchObject({ status: 'completed', state: { step: 'answer', done: ['search'] } });
      expect(await log.getRun('bob', 'run_a')).toBeUndefined();
    });

    it('keeps the last historySize events and forgets their ids and ended runs with them', async () => {
      await using fixture = await create({ historySize: 2 });
      const { log } = fixture;
      const done = makeEvent('run_done', 'agent_started');
      await log.append('alice', done);
      await log.append('alice', makeEvent('run_done', 'agent_completed'));
      await log.append('alice', makeEvent('run_live', 'agent_started'));
      expect(await log.getRun('alice', 'run_done')).toMatchObject({ status: 'completed', lastOffset: 2 });
      await log.append('alice', makeEvent('run_live'));
      expect(await log.head('alice')).toMatchObject({ first: 3, head: 4 });
      expect((await log.read('alice', 0, 10)).entries.map((e) => e.offset)).toEqual([3, 4]);
      expect(await log.getRun('alice', 'run_done')).toBeUndefined();
      expect(await log.getRun('alice', 'run_live')).toMatchObject({ status: 'running', lastOffset: 4 });
      // An id that was trimmed is no longer known: appending it again is a new event.
      expect(await log.append('alice', done)).toMatchObject({ offset: 5, duplicate: false });
    });

    it('drops events older than historyTtlMs, by the clock, and never reuses offsets', async () => {
      const clock = new ManualClock();
      await using fixture = await create({ historyTtlMs: 1_000, clock });
      const { log } = fixture;
      await log.append('alice', makeEvent('run_a'));
      clock.advance(600);
      await log.append('alice', makeEvent('run_a'));
      clock.advance(500);
      expect(await log.head('alice')).toMatchObject({ first: 2, head: 2 });
      clock.advance(600);
      expect(await log.head('alice')).toMatchObject({ first: 3, head: 2 });
      expect((await log.append('alice', makeEvent('run_a'))).offset).toBe(3);
    });

    it('is idempotent by id whatever the order and kind of ids, against a model (seeded: EVENT_LOG_SEED replays a failure)', async () => {
      await using fixture = await create({ historySize: 40 });
      await appendIdsAgainstModel(fixture.log, Prng.fromEnv('EVENT_LOG_SEED'), 600);
    });

    it('keeps every id once after an id that sorts above every ULID (26 characters)', async () => {
      await using fixture = await create();
      const { log } = fixture;
      const before = makeEvent('run_a');
      const above = { ...makeEvent('run_a'), id: `7${'z'.repeat(25)}` };
      const after = makeEvent('run_a');
      for (const event of [before, above, after]) await log.append('alice', event);
      const again = await Promise.all([before, above, after].map((event) => log.append('alice', event)));
      expect(again.map((result) => [result.offset, result.duplicate])).toEqual([[1, true], [2, true], [3, true]]);
      expect(await Promise.all([before, above, after].map((event) => log.offsetOf('alice', event.id)))).toEqual([1, 2, 3]);
      expect(await log.offsetOf('alice', ulid())).toBeUndefined();
    });

    it('finds a retained event by its id (offsetOf), and nothing for an unknown id or another user', async () => {
      await using fixture = await create();
      const { log } = fixture;
      const event = makeEvent('run_a');
      await log.append('alice', makeEvent('run_a'));
      await log.append('alice', event);
      expect(await log.offsetOf('alice', event.id)).toBe(2);
      expect(await log.offsetOf('alice', 'no-such-id')).toBeUndefined();
      expect(await log.offsetOf('bob', event.id)).toBeUndefined();
    });

    it('keeps a run waiting, with its pending requests, until each is resolved; active runs include waiting ones', async () => {
      await using fixture = await create();
      const { log } = fixture;
      await log.append('alice', makeEvent('run_a', 'agent_started'));
      await log.append('alice', makeRequest('run_a', 'req_1', { expiresAt: 1_800_000_000_000 }));
      await log.append('alice', makeRequest('run_a', 'req_2'));
      expect(await log.getRun('alice', 'run_a')).toMatchObject({
        status: 'waiting',
        lastOffset: 3,
        pendingInputs: [
          { requestId: 'req_1', kind: 'text', prompt: 'Your name?', expiresAt: 1_800_000_000_000 },
          { requestId: 'req_2', kind: 'text', prompt: 'Your name?' },
        ],
      });
      expect((await log.listRuns('alice', { active: true })).map((run) => [run.runId, run.status])).toEqual([['run_a', 'waiting']]);
      await log.append('alice', makeResolution('run_a', 'req_1', 'answered', 'Ada'));
      expect(await log.getRun('alice', 'run_a')).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId: 'req_2' }] });
      await log.append('alice', makeResolution('run_a', 'req_2', 'expired'));
      expect(await log.getRun('alice', 'run_a')).toMatchObject({ status: 'running', lastOffset: 5, pendingInputs: [] });
      expect(await log.getRun('bob', 'run_a')).toBeUndefined();
    });

    it('takes exactly one resolution per request: a second is refused, racing or later, and a resolution of a request never asked too', async () => {
      await using fixture = await create();
      const { log } = fixture;
      await log.append('alice', makeEvent('run_a', 'agent_started'));
      await log.append('alice', makeRequest('run_a', 'req_1'));
      const racing = await Promise.all([
        log.append('alice', makeResolution('run_a', 'req_1', 'answered', 'Ada')),
        log.append('alice', makeResolution('run_a', 'req_1', 'expired')),
        log.append('alice', makeResolution('run_a', 'req_1', 'answered', 'Grace')),
      ]);
      expect(racing.map((result) => result.duplicate)).toEqual([false, true, true]);
      expect(racing.map((result) => result.offset)).toEqual([3, 3, 3]);
      expect(await log.append('alice', makeResolution('run_a', 'req_1', 'cancelled'))).toMatchObject({ offset: 3, duplicate: true });
      expect(await log.append('alice', makeResolution('run_a', 'req_never', 'answered', 'x'))).toMatchObject({ offset: 0, duplicate: true });
      expect(await log.append('alice', makeResolution('run_none', 'req_1', 'answered', 'x'))).toMatchObject({ offset: 0, duplicate: true });
      const page = await log.read('alice', 0, 10);
      expect(page.entries.map((entry) => [entry.type, entry.event.data])).toEqual([
        ['agent_started', {}],
        ['input_requested', { requestId: 'req_1', kind: 'text', prompt: 'Your name?' }],
        ['input_resolved', { requestId: 'req_1', outcome: 'answered', value: 'Ada' }],
      ]);
      // The refused appends left no trace: the next event takes the next offset.
      expect(await log.append('alice', makeEvent('run_a'))).toMatchObject({ offset: 4, duplicate: false });
    });

    it('takes one resolution even after the request and its resolution left the history (it does not rest on ids being retained)', async () => {
      const clock = new ManualClock();
      await using fixture = await create({ historyTtlMs: 1_000, clock });
      const { log } = fixture;
      await log.append('alice', makeEvent('run_a', 'agent_started'));
      await log.append('alice', makeRequest('run_a', 'req_1'));
      clock.advance(5_000);
      expect(await log.head('alice')).toMatchObject({ first: 3, head: 2 });
      // Hours later as far as retention goes: the question still waits, and is answered once.
      expect(await log.getRun('alice', 'run_a')).toMatchObject({ status: 'waiting', pendingInputs: [{ requestId: 'req_1' }] });
      expect(await log.append('alice', makeResolution('run_a', 'req_1', 'answered', 'Ada'))).toMatchObject({ offset: 3, duplicate: false });
      clock.advance(5_000);
      expect(await log.offsetOf('alice', settlingEventId('resolved', 'run_a', 'req_1'))).toBeUndefined();
      expect(await log.append('alice', makeResolution('run_a', 'req_1', 'expired'))).toMatchObject({ duplicate: true });
      expect(await log.head('alice')).toMatchObject({ head: 3 });
      expect(await log.getRun('alice', 'run_a')).toMatchObject({ status: 'running', pendingInputs: [] });
    });

    it('refuses every event of a run after its terminal event, whoever appends it', async () => {
      await using fixture = await create();
      const { log } = fixture;
      await log.append('alice', makeEvent('run_a', 'agent_started'));
      await log.append('alice', makeRequest('run_a', 'req_1'));
      await log.append('alice', makeResolution('run_a', 'req_1', 'cancelled'));
      await log.append('alice', makeEvent('run_a', 'agent_completed'));
      expect(await log.append('alice', makeEvent('run_a'))).toMatchObject({ offset: 4, duplicate: true });
      expect(await log.append('alice', makeEvent('run_a', 'agent_completed'))).toMatchObject({ offset: 4, duplicate: true });
      expect(await log.head('alice')).toMatchObject({ head: 4 });
      // Other runs go on.
      expect(await log.append('alice', makeEvent('run_b', 'agent_started'))).toMatchObject({ offset: 5, duplicate: false });
      expect(await log.getRun('alice', 'run_a')).toMatchObject({ status: 'completed', lastOffset: 4, pendingInputs: [] });
    });

    it('reports itself ready while open', async () => {
      await using fixture = await create();
      expect(await fixture.log.ready()).toBe(true);
    });
  });
}
