import { describe, expect, it } from 'vitest';
import { createLegacyBridge } from 'agentwire-core';
import { connectAs, RawClient, startServer } from 'agentwire-testing/gateway';

describe('/metrics', () => {
  it('counts appended and delivered events by type, runs by outcome, and open connections', async () => {
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _c = client;
    client.send({ op: 'run', input: 'What is 2 + 2?' });
    const { runId } = await client.next('run_accepted');
    await client.event('agent_completed', runId);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('agentwire_events_appended_total{type="agent_completed"} 1');
    expect(text).toContain('agentwire_events_delivered_total{type="agent_completed"} 1');
    expect(text).toMatch(/agentwire_events_delivered_total\{type="agent_message_delta"\} [1-9]/);
    expect(text).toContain('agentwire_runs_ended_total{outcome="completed"} 1');
    expect(text).toContain('agentwire_connections{wire="ws"} 1');
    // Scraping twice does not count twice.
    const again = await (await fetch(`${server.url}/metrics`)).text();
    expect(again).toContain('agentwire_events_delivered_total{type="agent_completed"} 1');
  });
});

describe('agentwire_legacy_events_total', () => {
  it('counts each event the legacy bridge takes, by shape, through the hub', async () => {
    await using server = await startServer();
    const bridge = createLegacyBridge({ hub: server.hub, userId: 'alice', warn: () => undefined });
    await bridge.send({ type: 'agent_started', run_id: 'legacy-1', data: {} });
    // eslint-disable-next-line agentwire/no-unknown-event-type -- a legacy near-miss name, on purpose
    await bridge.send({ type: 'agent_thought', run_id: 'legacy-1', payload: { text: 'hm' } });
    await bridge.send({ type: 'agent_completed', run_id: 'legacy-1', result: 'done' });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('agentwire_legacy_events_total{pattern="data"} 1');
    expect(text).toContain('agentwire_legacy_events_total{pattern="payload"} 1');
    expect(text).toContain('agentwire_legacy_events_total{pattern="flat"} 1');
    expect(text).toContain('agentwire_legacy_events_total{pattern="alias"} 1');
  });
});

describe('agentwire_disconnects_total', () => {
  it('a close code the client chooses outside RFC 6455 and agentwire is counted as "other", not as a series of its own (issue 16, finding 10)', async () => {
    await using server = await startServer();
    const sockets = 40;
    await Promise.all(
      Array.from({ length: sockets }, async (_, i) => {
        const client = new RawClient(server.wsUrl);
        await client.opened;
        client.socket.close(3000 + i);
        await client.closed;
      }),
    );
    const { client } = await connectAs(server, 'alice');
    client.socket.close(1000);
    await client.closed;
    await expect.poll(() => server.gateway.socketCount).toBe(0);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const series = text.split('\n').filter((line) => line.startsWith('agentwire_disconnects_total{'));
    expect(series.sort()).toEqual([`agentwire_disconnects_total{code="1000"} 1`, `agentwire_disconnects_total{code="other"} ${sockets}`]);
  });
});
