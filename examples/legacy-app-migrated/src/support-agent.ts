import { defineAgent, inputText } from 'agentwire-core';

/** Was: bridge.publish(...) for the reasoning, notifyToolStart/notifyToolDone for the tool. */
export const supportAgent = defineAgent({
  name: 'support',
  async run({ input, run }) {
    const question = inputText(input);
    await run.thinking(`Looking into: ${question}`);
    const order = await run.tool('lookup_order', { question }, () => ({ id: 'A17', status: 'shipped' }));
    await run.progress({ fraction: 1 });
    return { text: `Order ${order.id} is ${order.status}.` };
  },
});
