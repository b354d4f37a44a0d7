import { requireTerminalEvent } from '../src/index.js';
import { runRule, syntaxTester } from './rule-tester.js';

runRule(syntaxTester(), 'require-terminal-event', requireTerminalEvent, {
  valid: [
    `async function handle(hub, userId) {
      const run = hub.emitter({ userId, agent: 'support' });
      await run.start();
      await run.complete({ text: 'done' });
    }`,
    `async function handle(hub, userId) {
      const run = hub.emitter({ userId, agent: 'support' });
      try {
        await run.start();
        if (!userId) return;
        await work(run.signal);
      } finally {
        await run.complete();
      }
    }`,
    `async function handle(hub, userId, ok) {
      const run = hub.emitter({ userId, agent: 'support' });
      await run.start();
      if (ok) await run.complete();
      else await run.fail(new Error('no'));
    }`,
    // Returned: the caller owns it.
    `function open(hub, userId) { const run = hub.emitter({ userId, agent: 'a' }); return run; }`,
    // Handed on to someone who ends it.
    `async function handle(hub, userId) { const run = hub.emitter({ userId, agent: 'a' }); await drive(run); }`,
    `function keep(hub, userId) { const run = new RunEmitter({ log, context }); registry.set(userId, { run }); }`,
    // A path that returns before obtaining the emitter is fine.
    `async function handle(hub, userId) {
      if (!userId) return;
      const run = hub.emitter({ userId, agent: 'a' });
      await run.cancel('nothing to do');
    }`,
    // Throwing paths are the runner's concern.
    `async function handle(hub, userId) {
      const run = hub.emitter({ userId, agent: 'a' });
      await run.start();
      if (!userId) throw new Error('no user');
      await run.complete();
    }`,
    // Ended in a callback: not followed, not reported.
    `function handle(hub, userId) { const run = hub.emitter({ userId, agent: 'a' }); setTimeout(() => void run.complete(), 10); }`,
    // Module level is not a function.
    `const run = hub.emitter({ userId: 'u', agent: 'a' });`,
  ],
  invalid: [
    {
      code: `async function handle(hub, userId) {
        const run = hub.emitter({ userId, agent: 'support' });
        await run.start();
        await run.thinking('hmm');
      }`,
      errors: [{ messageId: 'missingTerminal', data: { name: 'run' }, line: 2 }],
    },
    {
      code: `async function handle(hub, userId, order) {
        const run = hub.emitter({ userId, agent: 'support' });
        await run.start();
        if (!order) return;
        await run.complete({ text: order.status });
      }`,
      errors: [{ messageId: 'missingTerminal', line: 2 }],
    },
    {
      code: `const handle = async (log, context, items) => {
        const emitter = new RunEmitter({ log, context });
        await emitter.start();
        for (const item of items) {
          if (item.bad) break;
          await emitter.progress({ message: item.name });
        }
        if (items.length === 0) { await emitter.complete(); }
      };`,
      errors: [{ messageId: 'missingTerminal', data: { name: 'emitter' } }],
    },
    {
      code: `async function handle(hub, userId) {
        const run = await hub.emitter({ userId, agent: 'a' });
        try { await run.start(); await run.complete(); } catch (error) { log(error); }
      }`,
      errors: [{ messageId: 'missingTerminal' }],
    },
  ],
});
