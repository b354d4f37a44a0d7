// Pattern 4: the mobile team wanted server-sent events, so they got their own endpoint.
import http from 'node:http';

const streams = new Map();

export function startSseServer(port) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    streams.set(req.headers['x-user-id'], res);
  });
  server.listen(port);
  return server;
}

export function pushProgress(userId, runId, fraction) {
  const res = streams.get(userId);
  if (res) res.write(`data: ${JSON.stringify({ type: 'progress', run_id: runId, data: { fraction } })}\n\n`);
}
