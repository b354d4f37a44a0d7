import type { Hub } from 'agentwire-core';

/** Was: a Socket.IO room broadcast and an SSE endpoint. A run driven by hand, ended on every path. */
export async function sendNightlyReport(hub: Hub, userId: string, orders: readonly string[]): Promise<void> {
  const run = hub.emitter({ userId, agent: 'nightly-report' });
  try {
    await run.start({ input: { orders: orders.length } });
    for (const [index, order] of orders.entries()) {
      await run.progress({ message: `Checked ${order}`, fraction: (index + 1) / orders.length });
    }
    await run.complete({ text: `Checked ${orders.length} orders.` });
  } catch (error) {
    await run.fail(error instanceof Error ? error : new Error(String(error)));
  }
}
