import { AgentEventSchema, applyJsonPatch, type AgentEvent, type EventData } from 'agentwire-protocol';
import { ManualClock } from 'agentwire-testing/clock';
import { Prng } from 'agentwire-testing/prng';
import jsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { AgentwireError, createUserContext, MemoryEventLog, RunEmitter, type AppendResult } from '../src/index.js';

/** A memory log whose next append can be made to fail, as a Redis log does while Redis is down. */
class FailingLog extends MemoryEventLog {
  failNext = false;
  override appendSync(userId: string, event: AgentEvent, json?: string): AppendResult {
    if (this.failNext) {
      this.failNext = false;
      throw new AgentwireError('log_unavailable', 'the log is down');
    }
    return super.appendSync(userId, event, json);
  }
}

function setup(options: { maxEventBytes?: number } = {}) {
  const clock = new ManualClock();
  const log = new FailingLog({ clock });
  const context = createUserContext({ userId: 'alice', agent: 'test' });
  const run = new RunEmitter({ log, clock, context, ...options });
  const events = async (): Promise<AgentEvent[]> => (await log.read('alice', 0, 1_000)).entries.map((e) => e.event);
  const stateEvents = async (): Promise<AgentEvent[]> => (await events()).filter((e) => e.type.startsWith('state_'));
  const snapshotState = async (): Promise<unknown> => (await log.getRun('alice', context.runId))?.state;
  return { log, run, events, stateEvents, snapshotState };
}

describe('RunEmitter.setState', () => {
  it('sends the whole state first, then RFC 6902 patches, and the log folds them into the run snapshot', async () => {
    const { run, stateEvents, snapshotState } = setup();
    await run.start();
    await run.setState({ step: 'search', results: [] as string[], notes: 'a long note that stays the same between steps' });
    await run.setState({ step: 'search', results: ['A17'], notes: 'a long note that stays the same between steps' });
    await run.setState({ step: 'answer', results: ['A17'], notes: 'a long note that stays the same between steps' });
    const [first, second, third, ...rest] = await stateEvents();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ type: 'state_snapshot', critical: true, data: { state: { step: 'search', results: [] } } });
    expect(second).toMatchObject({ type: 'state_delta', data: { patch: [{ op: 'add', path: '/results/0', value: 'A17' }] } });
    expect(third).toMatchObject({ type: 'state_delta', data: { patch: [{ op: 'replace', path: '/step', value: 'answer' }] } });
    for (const event of [first, second, third]) expect(AgentEventSchema.safeParse(event).success).toBe(true);
    expect(await snapshotState()).toEqual({ step: 'answer', results: ['A17'], notes: 'a long note that stays the same between steps' });
    await run.complete();
    expect(await snapshotState()).toEqual({ step: 'answer', results: ['A17'], notes: 'a long note that stays the same between steps' });
  });

  it('sends a snapshot again when the patch would be larger than the state, or the state is not an object of the same kind', async () => {
    const { run, stateEvents, snapshotState } = setup();
    await run.start();
    await run.setState({ a: 1, b: 2, c: 3 });
    await run.setState({ x: 1 }); // three removes and an add: longer than {"x":1}
    await run.setState(['now', 'a list']);
    await run.setState('plain text');
    await run.setState(null);
    expect((await stateEvents()).map((e) => e.type)).toEqual(['state_snapshot', 'state_snapshot', 'state_snapshot', 'state_snapshot', 'state_snapshot']);
    expect(await snapshotState()).toBeNull();
  });

  it('emits nothing for an unchanged state, and copies what it is given', async () => {
    const { run, stateEvents, snapshotState } = setup();
    await run.start();
    const state = { title: 'a title long enough for patches to pay', items: ['a'] };
    await run.setState(state);
    state.items.push('b'); // changed after the call: not sent until the next one
    expect(await snapshotState()).toEqual({ title: 'a title long enough for patches to pay', items: ['a'] });
    await expect(run.setState({ title: 'a title long enough for patches to pay', items: ['a'] })).resolves.toBeUndefined();
    await run.setState(state);
    expect((await stateEvents()).map((e) => e.type)).toEqual(['state_snapshot', 'state_delta']);
    expect(await snapshotState()).toEqual({ title: 'a title long enough for patches to pay', items: ['a', 'b'] });
  });

  it('refuses what JSON cannot carry and a state over maxEventBytes, appending nothing and keeping the last state', async () => {
    const { run, stateEvents, snapshotState } = setup({ maxEventBytes: 1_000 });
    await run.start();
    const note = 'a note long enough for patches to pay';
    await run.setState({ n: 1, note });
    await expect(run.setState({ at: new Date() })).rejects.toThrow(/state\.at is a Date/);
    await expect(run.setState(undefined)).rejects.toMatchObject({ code: 'invalid_event' });
    await expect(run.setState({ n: 1, note, big: 'x'.repeat(2_000) })).rejects.toThrow(/larger than maxEventBytes/);
    expect(await stateEvents()).toHaveLength(1);
    await run.setState({ n: 2, note });
    expect((await stateEvents()).map((e) => e.type)).toEqual(['state_snapshot', 'state_delta']);
    expect(await snapshotState()).toEqual({ n: 2, note });
  });

  it('follows the run contract: not before start, not after the end', async () => {
    const { run } = setup();
    await expect(run.setState({})).rejects.toMatchObject({ code: 'run_contract' });
    await run.start();
    await run.complete();
    await expect(run.setState({})).rejects.toMatchObject({ code: 'run_contract' });
  });

  it('sends the whole state after an append that failed, so the log never patches a state it does not have', async () => {
    const { log, run, stateEvents, snapshotState } = setup();
    await run.start();
    await run.setState({ step: 1, list: ['a', 'b', 'c', 'd'] });
    log.failNext = true;
    await expect(run.setState({ step: 2, list: ['a', 'b', 'c', 'd'] })).rejects.toMatchObject({ code: 'log_unavailable' });
    await run.setState({ step: 3, list: ['a', 'b', 'c', 'd'] });
    expect((await stateEvents()).map((e) => e.type)).toEqual(['state_snapshot', 'state_snapshot']);
    expect(await snapshotState()).toEqual({ step: 3, list: ['a', 'b', 'c', 'd'] });
  });
});

/** A random JSON document, small enough that patches between two of them are varied. */
function randomJson(prng: Prng, depth: number): unknown {
  const kind = depth > 2 ? prng.int(4) : prng.int(6);
  switch (kind) {
    case 0:
      return prng.int(5);
    case 1:
      return prng.pick(['a', 'b', '', '~/x']);
    case 2:
      return prng.chance(0.5) ? null : prng.chance(0.5);
    case 3:
      return prng.pick([0, 1.5, -2]);
    case 4:
      return Array.from({ length: prng.int(4) }, () => randomJson(prng, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = prng.int(4); i > 0; i--) out[prng.pick(['k', 'a/b', 'm~n', '0', 'x'])] = randomJson(prng, depth + 1);
      return out;
    }
  }
}

describe('the patches setState makes apply with the reducer’s applier', () => {
  it('applyJsonPatch(a, compare(a, b)) is b, for random documents', () => {
    const prng = Prng.fromEnv('SHARED_STATE_SEED');
    for (let i = 0; i < 2_000; i++) {
      const a = { root: randomJson(prng, 0) };
      const b = { root: randomJson(prng, 0) };
      const patch = jsonPatch.compare(a, b) as EventData<'state_delta'>['patch'];
      expect(applyJsonPatch(a, patch), `seed ${prng.seed}, case ${i}`).toEqual(b);
    }
  });
});
