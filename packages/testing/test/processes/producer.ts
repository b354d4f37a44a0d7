// A producer in a process of its own: a hub on the Redis log, no gateway. Runs as
//   node --import tsx --conditions source producer.ts <redisUrl> <keyPrefix> <userId> <stepsPerRun>
// Each line on stdin is a number of runs to emit, one after the other (start, steps
// custom events, complete); stdout gets `appended <eventId> <epoch> <offset>` for every
// append the log confirmed, then `done` after the batch. It closes on end of input.
import { createInterface } from 'node:readline';
import { createHub } from 'agentwire-core';
import { RedisEventLog } from 'agentwire-redis';

const [redisUrl, keyPrefix, userId = 'alice', steps = '10'] = process.argv.slice(2);
const log = new RedisEventLog({ url: redisUrl, keyPrefix });
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const hub = createHub({
  log,
  observers: [{ onAppended: (_context, event, result) => out(`appended ${event.id} ${result.epoch} ${result.offset}`) }],
});

for await (const line of createInterface({ input: process.stdin })) {
  const runs = Number(line);
  for (let r = 0; r < runs; r++) {
    const run = hub.emitter({ userId, agent: 'producer' });
    await run.start();
    for (let i = 0; i < Number(steps); i++) await run.custom('step', i);
    await run.complete({ text: 'ok' });
  }
  out('done');
}
await hub.close();
await log.close();
