import { SUBPROTOCOL } from 'agentwire-protocol';
import WebSocket from 'ws';

/**
 * Child process of connection-memory.test.ts: opens `argv[3]` connections to
 * `argv[2]`, each authenticated as its own user, and reports once all are welcomed, so
 * that the test process's heap holds the server side of the connections only.
 */
const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const sockets: WebSocket[] = [];

function open(user: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url ?? '', [SUBPROTOCOL], { perMessageDeflate: false });
    sockets.push(socket);
    socket.once('open', () => socket.send(JSON.stringify({ op: 'hello', token: `dev:user-${user}` })));
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
}

for (let user = 0; user < count; user += 50) {
  await Promise.all(Array.from({ length: Math.min(50, count - user) }, (_, i) => open(user + i)));
}
process.send?.('welcomed');
process.on('disconnect', () => {
  for (const socket of sockets) socket.terminate();
  process.exit(0);
});
