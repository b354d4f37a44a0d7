import { describe, expect, it } from 'vitest';
import { connectAs, startServer } from 'agentwire-testing/gateway';

describe('isolation (docs/architecture.md §9: user A saw user B\'s events)', () => {
  it('50 users with concurrent runs each receive only their own events, and all of them', async () => {
    await using server = await startServer({ maxActiveRunsPerUser: 4 });
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    const sessions = await Promise.all(users.map((userId) => connectAs(server, userId)));
    const runsByUser = new Map<string, string[]>();
    await Promise.all(
      sessions.map(async ({ client }, i) => {
        const refs = ['a', 'b', 'c'];
        for (const ref of refs) client.send({ op: 'run', input: ref === 'b' ? `What is ${i} + ${ref.length}?` : `hello from ${users[i]}`, ref });
        const accepted = await Promise.all(refs.map((ref) => client.next('run_accepted', (f) => f.ref === ref)));
        runsByUser.set(users[i] ?? '', accepted.map((f) => f.runId));
        await Promise.all(accepted.map((f) => client.event('agent_completed', f.runId)));
      }),
    );
    let delivered = 0;
    for (const [i, { client }] of sessions.entries()) {
      const own = new Set(runsByUser.get(users[i] ?? ''));
      const events = client.events;
      delivered += events.length;
      expect(events.every((f) => own.has(f.event.runId))).toBe(true);
      // Every event of the user's stream, in order: offsets 1..n with nothing missing.
      expect(events.map((f) => f.offset)).toEqual(events.map((_, index) => index + 1));
      const head = (await server.log.head(users[i] ?? '')).head;
      expect(events).toHaveLength(head);
      client.close();
    }
    expect(delivered).toBeGreaterThan(50 * 3 * 8);
  });

  it('two connections of one user receive identical streams', async () => {
    await using server = await startServer();
    const a = await connectAs(server, 'alice');
    const b = await connectAs(server, 'alice');
    await using _a = a.client;
    await using _b = b.client;
    a.client.send({ op: 'run', input: 'What is 6 * 7?' });
    const { runId } = await a.client.next('run_accepted');
    await a.client.event('agent_completed', runId);
    await b.client.event('agent_completed', runId);
    expect(b.client.events).toEqual(a.client.events);
    // run_accepted is a reply: only the connection that asked gets it.
    expect(b.client.frames.some((f) => f.op === 'run_accepted')).toBe(false);
  });

  it('a thousand connections opened and closed leave no registration behind (docs/architecture.md §9: managers leaked)', async () => {
    await using server = await startServer({ maxConnectionsPerUser: 10 });
    for (let round = 0; round < 10; round++) {
      // 100 at a time over 10 users: each user at its limit of 10.
      const sessions = await Promise.all(Array.from({ length: 100 }, (_, i) => connectAs(server, `user-${i % 10}`)));
      expect(server.gateway.connectionCount).toBe(100);
      await Promise.all(
        sessions.map(async ({ client }) => {
          client.close();
          await client.closed;
        }),
      );
    }
    await expect.poll(() => server.gateway.connectionCount).toBe(0);
    // Had a close leaked a registration, user-0 would now be refused as over its limit.
    const again = await Promise.all(Array.from({ length: 10 }, () => connectAs(server, 'user-0')));
    expect(again.every(({ welcome }) => welcome.userId === 'user-0')).toBe(true);
    for (const { client } of again) client.close();
  });
});
