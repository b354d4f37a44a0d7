// A worker in a process of its own, with no gateway: a hub on the Redis log with the Redis run
// control, running one run that opens a tool call and then waits for an approval. Runs as
//   node --import tsx --conditions source waiting-worker.ts <redisUrl> <keyPrefix> <userId> <leaseMs>
// stdout gets `run <runId>` once it started, and `ended <type>` when its hub saw the run end.
// It stays up until killed.
import { createHub, defineAgent } from 'agentwire-core';
import { RedisEventLog, RedisRunControl } from 'agentwire-redis';

const [redisUrl, keyPrefix, userId = 'alice', leaseMs = '1000'] = process.argv.slice(2);
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const log = new RedisEventLog({ url: redisUrl, keyPrefix });
const control = new RedisRunControl({ url: redisUrl, keyPrefix, leaseMs: Number(leaseMs) });
await control.whenReady();

const waiter = defineAgent({
  name: 'waiter',
  async run({ run }) {
    await run.toolExecuting({ tool: 'long_job', args: {} });
    const answer = await run.requestInput({ kind: 'approval', prompt: 'Go on?' });
    await run.thinking(`after the question: ${answer.outcome}`);
    return { text: 'done' };
  },
});
const hub = createHub({ log, control, agents: [waiter], observers: [{ onRunEnded: (_context, terminal) => out(`ended ${terminal.type}`) }] });
const { runId } = hub.startRun({ userId, input: 'go' });
out(`run ${runId}`);
// Kept alive by the log's and the control's connections until the test kills it.
