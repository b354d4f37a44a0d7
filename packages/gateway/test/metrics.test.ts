import { describe, expect, it } from 'vitest';
import { connectAs, startServer } from './support.js';

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
    expect(text).toContain('agentwire_connections 1');
    // Scraping twice does not count twice.
    const again = await (await fetch(`${server.url}/metrics`)).text();
    expect(again).toContain('agentwire_events_delivered_total{type="agent_completed"} 1');
  });
});
