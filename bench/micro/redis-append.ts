import { createHub, type RunEmitter } from 'agentwire-core';
import { RedisEventLog } from 'agentwire-redis';
import { Redis } from 'ioredis';
import { BENCH_EVENT_NAME, padFor, userIdOf } from '../lib/bench-event.js';
import { RedisServer } from 'agentwire-testing/redis-process';
import { RedisServerProcess } from '../systems/redis-server-process.js';

/**
 * The cost of one append to the Redis log, apart from sockets and clients: `users`
 * emitters each append `rounds` `custom` events of ~300 bytes, one round at a time (the
 * fan-out bench's producer pattern), while a second log instance (a gateway's) follows
 * every user's live tail. Reports appends/s, the Node CPU of both logs and the Redis CPU
 * per append, and the Redis commands each append ran (from `INFO commandstats`).
 * With `replica`, Redis has a replica: `--wait` makes the producer confirm each append only
 * once the replica holds it (`waitReplicas: 1`), the cost of that durability.
 *
 *   node --import tsx --conditions source bench/micro/redis-append.ts [users] [rounds] [replica|--wait]
 */
const users = Number(process.argv[2] ?? 1_000);
const rounds = Number(process.argv[3] ?? 100);
const mode = process.argv[4] ?? 'alone';
if (!['alone', 'replica', '--wait'].includes(mode)) throw new Error(`the third argument is replica or --wait, got ${mode}`);

const redis = await RedisServerProcess.start();
const replica = mode === 'alone' ? undefined : await RedisServer.startReplica(Number(new URL(redis.url).port));
const producerLog = new RedisEventLog({ url: redis.url, keyPrefix: 'micro', waitReplicas: mode === '--wait' ? 1 : 0 });
const tailLog = new RedisEventLog({ url: redis.url, keyPrefix: 'micro' });
const admin = new Redis(redis.url);
try {
  let heard = 0;
  const unsubscribe = Array.from({ length: users }, (_, user) => tailLog.subscribe(userIdOf(user), { onEntry: () => void heard++ }));
  const hub = createHub({ log: producerLog });
  const runs: RunEmitter[] = Array.from({ length: users }, (_, user) => hub.emitter({ userId: userIdOf(user), agent: 'bench' }));
  await Promise.all(runs.map((run) => run.start()));
  const pad = padFor();
  // Settle the subscriptions, then count from a clean slate.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await admin.config('RESETSTAT');
  const memoryBefore = await usedMemory(admin);
  heard = 0;
  const cpuBefore = process.cpuUsage();
  const redisBefore = await redis.cpuSeconds();
  const started = performance.now();
  for (let seq = 1; seq <= rounds; seq++) {
    await Promise.all(runs.map((run, user) => run.custom(BENCH_EVENT_NAME, { user, seq, sentAt: performance.now(), pad })));
  }
  const appendedMs = performance.now() - started;
  const total = users * rounds;
  while (heard < total) await new Promise((resolve) => setImmediate(resolve));
  const tailedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpu = (await redis.cpuSeconds()) - redisBefore;
  const stats = await admin.info('commandstats');
  const calls = [...stats.matchAll(/^cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/gm)]
    .map(([, name, count]) => [name, Number(count) / total] as const)
    .filter(([name]) => name !== 'info' && name !== 'config|resetstat')
    .sort((a, b) => b[1] - a[1]);
  console.log(`${users} users × ${rounds} rounds = ${total} appends${replica ? (mode === '--wait' ? ', a replica, waitReplicas 1' : ', a replica, waitReplicas 0') : ''}`);
  console.log(`appended in ${appendedMs.toFixed(0)} ms (${Math.round(total / (appendedMs / 1000))} appends/s), all tailed in ${tailedMs.toFixed(0)} ms`);
  console.log(`node CPU (producer + tail): ${(((cpu.user + cpu.system) / total)).toFixed(1)} µs/append`);
  console.log(`redis CPU: ${((redisCpu * 1e6) / total).toFixed(1)} µs/append`);
  console.log(`redis memory: ${Math.round(((await usedMemory(admin)) - memoryBefore) / total)} B per retained append (~300-byte events, ${rounds} per user)`);
  console.log(`redis commands per append: ${calls.map(([name, count]) => `${name} ${count.toFixed(2)}`).join(', ')}`);
  if (process.env.COMMANDSTATS) console.log(stats);
  for (const stop of unsubscribe) stop();
  await hub.close();
} finally {
  admin.disconnect();
  await producerLog.close();
  await tailLog.close();
  await replica?.[Symbol.asyncDispose]();
  await redis.close();
}

/** Redis's `used_memory`, in bytes. */
async function usedMemory(client: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1]);
}
