import { SUBPROTOCOL } from 'agentwire-protocol';
import WebSocket from 'ws';

/**
 * Child process of connection-memory.test.ts: opens connections to `argv[2]`, each
 * authenticated as its own user, in the batches `argv[3]` lists (comma-separated counts),
 * reporting `welcomed` once a batch is all welcomed and opening the next when the parent
 * says `more`, so that the test process's heap holds the server side of the connections only.
 */
const [url, batchesText] = process.argv.slice(2);
const batches = (batchesText ?? '').split(',').map(Number);
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

async function openBatch(count: number): Promise<void> {
  const first = sockets.length;
  for (let user = first; user < first + count; user += 50) {
    await Promise.all(Array.from({ length: Math.min(50, first + count - user) }, (_, i) => open(user + i)));
  }
  process.send?.('welcomed');
}

let next = 0;
process.on('message', (message) => {
  if (message === 'more' && next < batches.length) void openBatch(batches[next++] ?? 0);
});
await openBatch(batches[next++] ?? 0);
process.on('disconnect', () => {
  for (const socket of sockets) socket.terminate();
  process.exit(0);
});
