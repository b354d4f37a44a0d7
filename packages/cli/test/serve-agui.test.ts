import { HttpAgent } from '@ag-ui/client';
import { describe, expect, it } from 'vitest';
import { spawnServe } from './run-cli.js';

/** Sends `text` to the demo agent through AG-UI, then answers its one interrupt with `payload`; resolves with the final result. */
async function askAndAnswer(url: string, text: string, payload: unknown): Promise<{ reason: string | undefined; result: unknown }> {
  const agent = new HttpAgent({ url: `${url}/v1/agui/demo`, headers: { authorization: 'Bearer dev:alice' } });
  agent.addMessage({ id: 'u1', role: 'user', content: text });
  const asked = await agent.runAgent();
  expect(asked.result).toBeUndefined();
  const [interrupt] = agent.pendingInterrupts;
  const answered = await agent.runAgent({ resume: [{ interruptId: interrupt?.id ?? '', status: 'resolved', payload }] });
  expect(agent.pendingInterrupts).toEqual([]);
  return { reason: interrupt?.reason, result: answered.result as unknown };
}

describe('agentwire serve: the demo agent asks through AG-UI', () => {
  it('/approve (approved and denied) and /ask are interrupts answered by a resume', async () => {
    const { child, url = '' } = await spawnServe();
    try {
      expect(url).not.toBe('');

      expect(await askAndAnswer(url, '/approve', { approved: true })).toEqual({ reason: 'tool_call', result: { text: 'The email "Weekly status" was sent to team@example.com.' } });
      expect(await askAndAnswer(url, '/approve', { approved: false, reason: 'not today' })).toEqual({ reason: 'tool_call', result: { text: 'The email was not sent: you denied it (not today).' } });
      expect(await askAndAnswer(url, '/ask', 'Ada')).toEqual({ reason: 'input_required', result: { text: 'Nice to meet you, Ada!' } });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
