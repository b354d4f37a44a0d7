import { describe, expect, it } from 'vitest';
import { delivered, eventFrame, handshake, started, testClient, thinking, welcomeFrame } from './fixtures.js';
import { ScriptedServer } from './scripted-server.js';

describe('acks', () => {
  it('are cumulative and sent at most once per ackIntervalMs', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, { ackIntervalMs: 1000 });
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;

    // The first event after a quiet period is acked at once.
    peer.send(eventFrame(1, started()));
    expect(await peer.nextFrame()).toEqual({ op: 'ack', offset: 1 });

    // A burst inside the interval waits for the interval to end.
    const three = delivered(t.client, 3);
    peer.send(eventFrame(2, thinking('a')));
    peer.send(eventFrame(3, thinking('b')));
    await three;
    expect(t.clock.pending()).toEqual([1000, 60_000, 120_000]);
    t.clock.advance(400);
    const four = delivered(t.client, 4);
    peer.send(eventFrame(4, thinking('c')));
    await four;
    // No second timer: the pending one (requested as 1000 ms at t=0) will cover event 4.
    expect(t.clock.pending()).toEqual([1000, 60_000, 120_000]);
    t.clock.advance(600);
    // One ack covers 2, 3 and 4: the frame after ack 1 is ack 4.
    expect(await peer.nextFrame()).toEqual({ op: 'ack', offset: 4 });

    // A replayed duplicate is not processed, so it is not acked; the next new event is, at once.
    t.clock.advance(5000);
    peer.send(eventFrame(4, thinking('c')), eventFrame(5, thinking('d')));
    expect(await peer.nextFrame()).toEqual({ op: 'ack', offset: 5 });
  });

  it('does not re-ack the resume position, and acks what was processed before a clean close()', async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server, { resume: { epoch: 'ep_1', offset: 7 } });
    const connected = t.client.connect();
    const { peer } = await handshake(server, welcomeFrame({ head: 7, resumed: true }));
    await connected;

    peer.send(eventFrame(8, started()));
    expect(await peer.nextFrame()).toEqual({ op: 'ack', offset: 8 });
    const nine = delivered(t.client, 9);
    peer.send(eventFrame(9, thinking('a')));
    await nine;

    t.client.close();
    expect(await peer.nextFrame()).toEqual({ op: 'ack', offset: 9 });
    expect(await peer.closed).toBe(1000);
  });

  it("close() from a handler acks that handler's event too, before the socket closes", async () => {
    await using server = await ScriptedServer.start();
    using t = testClient(server);
    const connected = t.client.connect();
    const { peer } = await handshake(server);
    await connected;

    peer.send(eventFrame(1, started()));
    expect(await peer.nextFrame()).toEqual({ op: 'ack', offset: 1 });
    // Inside the ack interval: 2 and 3 wait for the throttle, and 3's handler closes the client.
    t.client.on('agent_thinking', (event) => {
      if (event.data.text === 'last') t.client.close();
    });
    peer.send(eventFrame(2, thinking('a')), eventFrame(3, thinking('last')));
    expect(await peer.nextFrame()).toEqual({ op: 'ack', offset: 3 });
    expect(await peer.closed).toBe(1000);
  });
});
