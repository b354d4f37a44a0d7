import { AgentEventSchema, type AgentEvent } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { createHub, createLegacyBridge, MemoryEventLog, type LegacyBridgeOptions, type LegacyPattern } from '../src/index.js';
import { ManualClock } from 'agentwire-testing/clock';

function setup(options: Partial<LegacyBridgeOptions> = {}) {
  const clock = new ManualClock();
  const log = new MemoryEventLog({ clock });
  const seen: LegacyPattern[] = [];
  const hub = createHub({ log, clock, observers: [{ onLegacyEvent: (pattern) => seen.push(pattern) }] });
  const warnings: { message: string; callSite: string }[] = [];
  const bridge = createLegacyBridge({
    hub,
    userId: 'alice',
    warn: (message, callSite) => warnings.push({ message, callSite }),
    ...options,
  });
  const events = async (userId = 'alice'): Promise<AgentEvent[]> => (await log.read(userId, 0, 1_000)).entries.map((entry) => entry.event);
  return { bridge, events, warnings, seen, clock };
}

describe('createLegacyBridge', () => {
  it('maps {type, data}, {type, payload} and flat events, snake_case or camelCase, onto one valid run', async () => {
    const { bridge, events } = setup();
    await bridge.send({ type: 'agent_started', run_id: 'legacy-1', thread_id: 'thread-9', agent: 'support', data: { input: 'Where is A17?' } });
    await bridge.send({ type: 'agent_thinking', run_id: 'legacy-1', payload: { text: 'Looking it up' } });
    await bridge.send({ type: 'tool_executing', run_id: 'legacy-1', tool_name: 'lookup_order', args: { id: 'A17' } });
    await bridge.send({ type: 'tool_completed', runId: 'legacy-1', toolName: 'lookup_order', results: { status: 'shipped' } });
    await bridge.send({ type: 'agentMessageDelta', run_id: 'legacy-1', data: { delta: 'It shipped.' } });
    await bridge.send({ type: 'usage_updated', run_id: 'legacy-1', usage: { model: 'gpt-4o-mini', input_tokens: 12, output_tokens: 3 } });
    await bridge.send({ type: 'agent_completed', run_id: 'legacy-1', result: 'It shipped.' });

    const sent = await events();
    for (const event of sent) expect(AgentEventSchema.safeParse(event).success).toBe(true);
    expect(sent.map((event) => event.type)).toEqual([
      'agent_started',
      'agent_thinking',
      'tool_executing',
      'tool_completed',
      'agent_message_delta',
      'usage_updated',
      'agent_completed',
    ]);
    expect(sent[0]).toMatchObject({ runId: 'legacy-1', threadId: 'thread-9', agent: 'support', data: { input: 'Where is A17?' } });
    expect(sent[2]?.data).toMatchObject({ tool: 'lookup_order', args: { id: 'A17' } });
    expect(sent[3]?.data).toMatchObject({ tool: 'lookup_order', ok: true, result: { status: 'shipped' } });
    expect(sent[3]?.data).toHaveProperty('toolCallId', (sent[2]?.data as { toolCallId: string }).toolCallId);
    expect(sent[5]?.data).toMatchObject({ usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 } });
    expect(sent[6]?.data).toMatchObject({ result: { text: 'It shipped.' } });
    expect(bridge.openRuns()).toEqual([]);
  });

  it('maps near-miss names through the alias table, the default one and a configured one', async () => {
    const { bridge, events, seen } = setup({ aliases: { agent_musing: 'agent_thinking' } });
    await bridge.send({ type: 'agent_started', run_id: 'r1' });
    await bridge.send({ type: 'agent_thought', run_id: 'r1', data: { text: 'one' } });
    await bridge.send({ type: 'agent_musing', run_id: 'r1', thought: 'two' });
    expect((await events()).slice(1).map((event) => [event.type, event.data])).toEqual([
      ['agent_thinking', { text: 'one' }],
      ['agent_thinking', { text: 'two' }],
    ]);
    expect(seen).toEqual(['flat', 'data', 'alias', 'flat', 'alias']);
    expect(bridge.counts()).toEqual({ data: 1, payload: 0, flat: 2, alias: 2 });
  });

  it('refuses an alias table that points outside the catalog', () => {
    expect(() => setup({ aliases: { agent_musing: 'agent_mused' as 'agent_thinking' } })).toThrow(/agent_mused, which is not a catalog type/);
  });

  it('rejects what it cannot map with a clear error, and emits nothing for it', async () => {
    const { bridge, events } = setup();
    await expect(bridge.send('agent_started')).rejects.toThrow('legacy event rejected: a legacy event must be an object');
    await expect(bridge.send({ type: 'agent_pondering', run_id: 'r1' })).rejects.toThrow(/unknown type agent_pondering: not in the catalog and not in the alias table/);
    await expect(bridge.send({ type: 'agent_thinking', data: { text: 'x' } })).rejects.toThrow(/has no run_id\/runId: which run it belongs to cannot be told/);
    await expect(bridge.send({ type: 'agent_thinking', run_id: 'r1', data: { text: 'x' } })).rejects.toThrow(/has not started through this bridge/);
    await bridge.send({ type: 'agent_started', run_id: 'r1' });
    await expect(bridge.send({ type: 'agent_thinking', run_id: 'r1', data: { text: 'x' }, payload: { text: 'y' } })).rejects.toThrow(/both data and payload/);
    await expect(bridge.send({ type: 'agent_thinking', run_id: 'r1', text: 'a', message: 'b' })).rejects.toThrow(/the fields text and message both appear/);
    await expect(bridge.send({ type: 'agent_thinking', run_id: 'r1', data: { words: 'x' } })).rejects.toThrow(/agent_thinking needs a string text or thought/);
    await bridge.send({ type: 'tool_executing', run_id: 'r1', tool_name: 'search', args: { q: 'a' } });
    await bridge.send({ type: 'tool_executing', run_id: 'r1', tool_name: 'search', args: { q: 'b' } });
    await expect(bridge.send({ type: 'tool_completed', run_id: 'r1', tool_name: 'search', results: [] })).rejects.toThrow(
      /without a toolCallId, and 2 open calls of tool search in run r1: which one completed cannot be told/,
    );
    expect((await events()).map((event) => event.type)).toEqual(['agent_started', 'tool_executing', 'tool_executing']);
    expect(bridge.counts()).toEqual({ data: 0, payload: 0, flat: 3, alias: 0 });
  });

  it('keeps the run contract: errors and cancels end the run, and nothing may follow', async () => {
    const { bridge, events } = setup();
    await bridge.send({ type: 'agent_started', run_id: 'r1' });
    await bridge.send({ type: 'tool_executing', run_id: 'r1', tool_name: 'fetch', tool_call_id: 'call-1', args: {} });
    await bridge.send({ type: 'tool_completed', run_id: 'r1', tool_call_id: 'call-1', success: false, error: 'timed out' });
    await bridge.send({ type: 'agent_error', run_id: 'r1', error: { code: 'upstream', message: 'the model is down' } });
    await expect(bridge.send({ type: 'agent_thinking', run_id: 'r1', text: 'late' })).rejects.toThrow(/has not started through this bridge/);
    const sent = await events();
    expect(sent.map((event) => [event.type, event.data])).toEqual([
      ['agent_started', {}],
      ['tool_executing', { toolCallId: 'call-1', tool: 'fetch', args: {} }],
      ['tool_completed', expect.objectContaining({ toolCallId: 'call-1', ok: false, error: { code: 'tool_error', message: 'timed out' } })],
      ['agent_error', expect.objectContaining({ error: { code: 'upstream', message: 'the model is down' } })],
    ]);
  });

  it('a refused terminal event leaves its run open, so a corrected one can still end it', async () => {
    const { bridge, events } = setup();
    await bridge.send({ type: 'agent_started', run_id: 'r1' });
    await expect(bridge.send({ type: 'agent_completed', run_id: 'r1', result: { rows: 2 }, text: 'two rows' })).rejects.toThrow(/both a result object and a text/);
    await expect(bridge.send({ type: 'agent_error', run_id: 'r1', error: 42 })).rejects.toThrow(/agent_error needs an error: a string or \{ code\?, message \}/);
    expect(bridge.openRuns()).toEqual(['r1']);
    await bridge.send({ type: 'agent_completed', run_id: 'r1', result: { rows: 2 } });
    expect(bridge.openRuns()).toEqual([]);
    expect((await events()).map((event) => [event.type, event.type === 'agent_completed' ? event.data.result : undefined])).toEqual([
      ['agent_started', undefined],
      ['agent_completed', { data: { rows: 2 } }],
    ]);
  });

  it('has no legacy form of a question: input_requested and input_resolved name run.requestInput()', async () => {
    const { bridge, events } = setup();
    await bridge.send({ type: 'agent_started', run_id: 'r1' });
    await expect(bridge.send({ type: 'input_requested', run_id: 'r1', prompt: 'Refund?' })).rejects.toThrow(/input_requested has no legacy form: ask with run.requestInput\(\)/);
    await expect(bridge.send({ type: 'input_resolved', run_id: 'r1' })).rejects.toThrow(/input_resolved has no legacy form/);
    expect((await events()).map((event) => event.type)).toEqual(['agent_started']);
    expect(bridge.counts()).toEqual({ data: 0, payload: 0, flat: 1, alias: 0 });
  });

  it('binds every run to the bridge’s user: another user sees nothing', async () => {
    const { bridge, events } = setup();
    await bridge.send({ type: 'agent_started', run_id: 'r1', user_id: 'mallory' });
    expect((await events('alice')).map((event) => event.type)).toEqual(['agent_started']);
    expect(await events('mallory')).toEqual([]);
  });

  it('warns once per call site, naming the RunEmitter method to call instead', async () => {
    const { bridge, warnings } = setup();
    const sendFromA = (event: object) => bridge.send(event);
    const sendFromB = (event: object) => bridge.send(event);
    await sendFromA({ type: 'agent_started', run_id: 'r1' });
    await sendFromB({ type: 'agent_thought', run_id: 'r1', text: 'one' });
    await sendFromB({ type: 'agent_thought', run_id: 'r1', text: 'two' });
    await sendFromA({ type: 'agent_completed', run_id: 'r1' });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]?.callSite).toMatch(/legacy-bridge\.test\.ts:\d+:\d+/);
    expect(warnings[0]?.callSite).not.toBe(warnings[1]?.callSite);
    expect(warnings[1]?.message).toContain("legacy flat-shaped 'agent_thought' event");
    expect(warnings[1]?.message).toContain('run.thinking()');
  });
});
