import { describe, expect, it } from 'vitest';
import { connectAs, startServer } from 'agentwire-testing/gateway';

describe('golden path', () => {
  it('run → run_accepted → started, thinking, tool, completed, with contiguous offsets from head + 1', async () => {
    await using server = await startServer();
    const { client, welcome } = await connectAs(server, 'alice');
    await using _client = client;
    expect(welcome).toMatchObject({ op: 'welcome', protocol: 1, userId: 'alice', head: 0, resumed: false, activeRuns: [] });

    client.send({ op: 'run', input: 'What is 17 * 23?', ref: 'r1' });
    const accepted = await client.next('run_accepted');
    expect(accepted.ref).toBe('r1');
    const completed = await client.event('agent_completed', accepted.runId);

    const events = client.events;
    expect(events.map((frame) => frame.offset)).toEqual(events.map((_, index) => welcome.head + 1 + index));
    const types = events.map((frame) => frame.event.type);
    expect(types[0]).toBe('agent_started');
    expect(types.indexOf('agent_thinking')).toBeGreaterThan(0);
    expect(types.indexOf('tool_executing')).toBeGreaterThan(types.indexOf('agent_thinking'));
    expect(types.indexOf('tool_completed')).toBeGreaterThan(types.indexOf('tool_executing'));
    expect(types.at(-1)).toBe('agent_completed');
    // run_accepted comes before the run's first event.
    expect(client.frames.findIndex((f) => f.op === 'run_accepted')).toBeLessThan(client.frames.findIndex((f) => f.op === 'event'));

    const tool = events.find((frame) => frame.event.type === 'tool_completed')?.event;
    expect(tool?.data).toMatchObject({ tool: 'calculator', ok: true, result: { value: 391 } });
    expect(completed.event.data).toMatchObject({ result: { text: '17 * 23 = 391.' } });
    if (completed.event.type !== 'agent_completed') throw new Error('unreachable');
    expect(completed.event.data.usage.totalTokens).toBeGreaterThan(0);
    expect(completed.event.data.usage.costUsd).toBeGreaterThan(0);
  });
});
