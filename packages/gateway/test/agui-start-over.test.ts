import { AbstractAgent, type BaseEvent, type Message } from '@ag-ui/client';
import { defineAgent } from 'agentwire-core';
import { startServer, type TestServer } from 'agentwire-testing/gateway';
import { from, type Observable } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allFrames, assertAgUiEvent, gate, resume, runInput, sseFrames, types, verify, type SseFrame } from './agui-support.js';

afterEach(() => vi.restoreAllMocks());

/** An AG-UI agent that plays a stream a consumer received, so `@ag-ui/client` applies it as it would any other. */
class ReplayAgent extends AbstractAgent {
  constructor(private readonly events: readonly SseFrame['event'][]) {
    super();
  }

  override run(): Observable<BaseEvent> {
    return from(this.events as unknown as BaseEvent[]);
  }
}

/**
 * A run that writes a draft, then enough progress to push its start out of a history of
 * {@link HISTORY} events, then state, reasoning, a tool call and a message it finishes
 * once `live` opens.
 */
const HISTORY = 8;
function writer(live: { promise: Promise<void> }) {
  return defineAgent({
    name: 'writer',
    async run({ run }) {
      await run.setState({ step: 'draft', notes: [] });
      await run.messageDelta('Draft', { messageId: 'msg_draft' });
      for (let i = 0; i < 6; i++) await run.progress({ message: `step ${i}` });
      await run.setState({ step: 'review', notes: ['checked'] });
      await run.thinking('Checking the sum.');
      await run.tool('sum', { a: 1, b: 2 }, () => 3, {});
      await run.messageDelta('The sum is 3', { messageId: 'msg_final' });
      await live.promise;
      await run.messageDelta('.', { messageId: 'msg_final' });
      return { text: 'The sum is 3.' };
    },
  });
}

/** Starts the writer and reads its AG-UI stream until `stop` says the consumer drops; the run goes on to `live`. */
async function dropAt(server: TestServer, stop: (frame: SseFrame) => boolean): Promise<SseFrame[]> {
  const controller = new AbortController();
  const answer = await fetch(`${server.url}/v1/agui/writer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' },
    body: JSON.stringify(runInput('Write it', { threadId: 'thr_write', runId: 'run_write' })),
    signal: controller.signal,
  });
  const received: SseFrame[] = [];
  for await (const frame of sseFrames(answer)) {
    received.push(frame);
    if (stop(frame)) break;
  }
  controller.abort();
  return received;
}

/** Waits until the run's last event before `live` is in the log. */
async function writtenUpToLive(server: TestServer): Promise<void> {
  await expect.poll(async () => (await server.log.read('alice', 0, 100)).entries.some((entry) => entry.event.type === 'agent_message_delta' && entry.event.data.messageId === 'msg_final'), { timeout: 15_000 }).toBe(true);
}

describe('GET /v1/agui/runs/:runId/events when the start of the run is no longer retained', () => {
  it('a consumer whose Last-Event-ID left the history starts over: RUN_STARTED, MESSAGES_SNAPSHOT and STATE_SNAPSHOT of the run so far, then live', async () => {
    const live = gate();
    await using server = await startServer({ agents: [writer(live)], log: { historySize: HISTORY } });
    const warn = vi.spyOn(console, 'warn');
    const received = await dropAt(server, (frame) => frame.event.type === 'TEXT_MESSAGE_CONTENT');
    expect(types(received)).toEqual(['RUN_STARTED', 'STATE_SNAPSHOT', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT']);
    await writtenUpToLive(server);
    const { first } = await server.log.read('alice', 0, 100);
    expect(Number(received.at(-1)?.id)).toBeLessThan(first - 1);

    const answer = await resume(server, 'run_write', received.at(-1)?.id);
    expect(answer.status).toBe(200);
    const frames = sseFrames(answer);
    const startOver: SseFrame[] = [];
    for (let i = 0; i < 4; i++) startOver.push((await frames.next()).value as SseFrame);
    const call = startOver[1]?.event.messages as { toolCalls?: { id: string }[] }[] | undefined;
    const toolCallId = call?.find((message) => message.toolCalls)?.toolCalls?.[0]?.id;
    expect(startOver.map((frame) => frame.event)).toEqual([
      expect.objectContaining({ type: 'RUN_STARTED', threadId: 'thr_write', runId: 'run_write' }),
      {
        type: 'MESSAGES_SNAPSHOT',
        // The run's messages from its retained events: the draft left the history with the run's start.
        messages: [
          { id: expect.any(String) as string, role: 'reasoning', content: 'Checking the sum.' },
          { id: toolCallId, role: 'assistant', toolCalls: [{ id: toolCallId, type: 'function', function: { name: 'sum', arguments: '{"a":1,"b":2}' } }] },
          { id: expect.any(String) as string, role: 'tool', toolCallId, content: '3' },
          { id: 'msg_final', role: 'assistant', content: 'The sum is 3' },
        ],
      },
      // The whole state, though its snapshot left the history: the run's snapshot holds it.
      { type: 'STATE_SNAPSHOT', snapshot: { step: 'review', notes: ['checked'] } },
      // The message still open goes on.
      { type: 'TEXT_MESSAGE_START', messageId: 'msg_final', role: 'assistant' },
    ]);
    expect(startOver.every((frame) => frame.id === undefined)).toBe(true);
    live.open();
    const rest: SseFrame[] = [];
    for await (const frame of frames) rest.push(frame);
    expect(rest.map((frame) => frame.event)).toMatchObject([
      { type: 'TEXT_MESSAGE_CONTENT', messageId: 'msg_final', delta: '.' },
      { type: 'TEXT_MESSAGE_END', messageId: 'msg_final' },
      { type: 'RUN_FINISHED', result: { text: 'The sum is 3.' } },
    ]);
    const events = [...startOver, ...rest].map((frame) => frame.event);
    for (const event of events) assertAgUiEvent(event);
    await verify(events);

    // @ag-ui/client rebuilds the run from it: the snapshot, then the message finished live.
    const consumer = new ReplayAgent(events);
    await consumer.runAgent({ runId: 'run_write' });
    expect(warn).not.toHaveBeenCalled();
    expect(consumer.messages.map((message: Message) => [message.role, message.content])).toEqual([
      ['reasoning', 'Checking the sum.'],
      ['assistant', undefined],
      ['tool', '3'],
      ['assistant', 'The sum is 3.'],
    ]);
    expect(consumer.state).toEqual({ step: 'review', notes: ['checked'] });

    // From the start (no Last-Event-ID): the same start over, the run's end after it; after that end, nothing.
    const again = await allFrames(await resume(server, 'run_write'));
    expect(types(again)).toEqual(['RUN_STARTED', 'MESSAGES_SNAPSHOT', 'STATE_SNAPSHOT', 'RUN_FINISHED']);
    expect(again[1]?.event.messages).toContainEqual({ id: 'msg_final', role: 'assistant', content: 'The sum is 3.' });
    expect(again.at(-1)?.id).toBe(rest.at(-1)?.id);
    await verify(again.map((frame) => frame.event));
    expect(await allFrames(await resume(server, 'run_write', again.at(-1)?.id))).toEqual([]);
  });

  it('a consumer that has everything up to what is retained continues exactly, with no snapshot, though the start is gone', async () => {
    const live = gate();
    await using server = await startServer({ agents: [writer(live)], log: { historySize: HISTORY } });
    const received = await dropAt(server, (frame) => frame.event.type === 'TEXT_MESSAGE_CONTENT' && frame.event.messageId === 'msg_final');
    const { first } = await server.log.read('alice', 0, 100);
    expect(first).toBeGreaterThan(1);

    const answer = await resume(server, 'run_write', received.at(-1)?.id);
    expect(answer.status).toBe(200);
    const frames = sseFrames(answer);
    const preamble = [(await frames.next()).value, (await frames.next()).value] as SseFrame[];
    expect(preamble.map((frame) => frame.event)).toEqual([
      expect.objectContaining({ type: 'RUN_STARTED', runId: 'run_write' }),
      { type: 'TEXT_MESSAGE_START', messageId: 'msg_final', role: 'assistant' },
    ]);
    live.open();
    const rest: SseFrame[] = [];
    for await (const frame of frames) rest.push(frame);
    expect(types(rest)).toEqual(['TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    await verify([...preamble, ...rest].map((frame) => frame.event));
  });

  it('a waiting run starts over into its interrupt; a run none of whose events is retained is still 410 offset_expired', async () => {
    const agents = [
      defineAgent({
        name: 'asker',
        async run({ run }) {
          await run.setState({ city: null });
          for (let i = 0; i < 3; i++) await run.messageDelta(`${i} `, { messageId: 'msg_ask' });
          const answer = await run.requestInput({ kind: 'text', prompt: 'Which city?' });
          return { text: String(answer.outcome === 'answered' ? answer.value : '') };
        },
      }),
      defineAgent({
        name: 'chatty',
        async run({ run }) {
          for (let i = 0; i < 8; i++) await run.progress({ message: `tick ${i}` });
        },
      }),
    ];
    await using server = await startServer({ agents, log: { historySize: 4 } });
    const asked = await allFrames(await fetch(`${server.url}/v1/agui/asker`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' }, body: JSON.stringify(runInput('Go', { runId: 'run_ask' })) }));
    expect(asked.at(-1)?.event).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'interrupt' } });

    const startOver = await allFrames(await resume(server, 'run_ask', '1'));
    expect(startOver.map((frame) => frame.event)).toMatchObject([
      { type: 'RUN_STARTED', runId: 'run_ask' },
      { type: 'MESSAGES_SNAPSHOT', messages: [{ id: 'msg_ask', role: 'assistant', content: '0 1 2 ' }] },
      { type: 'STATE_SNAPSHOT', snapshot: { city: null } },
      { type: 'RUN_FINISHED', outcome: { type: 'interrupt', interrupts: [{ reason: 'input_required', message: 'Which city?' }] } },
    ]);
    await verify(startOver.map((frame) => frame.event));

    // Another run of the user pushes every event of the waiting run out of the history: nothing to rebuild from.
    await allFrames(await fetch(`${server.url}/v1/agui/chatty`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' }, body: JSON.stringify(runInput('Tick', { runId: 'run_chatty' })) }));
    expect((await server.log.getRun('alice', 'run_ask'))?.status).toBe('waiting');
    const gone = await resume(server, 'run_ask', '1');
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ code: 'offset_expired' });
  });
});
