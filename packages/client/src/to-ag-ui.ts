import { AgUiTranslator, type AgUiEvent } from 'agentwire-protocol';
import type { StreamEvent } from './client-api.js';

export interface ToAgUiOptions {
  /** The run to translate. @default the run of the first event that arrives */
  runId?: string;
}

/**
 * One agentwire run as AG-UI events, so an AG-UI frontend can consume agentwire over
 * the WebSocket (with its resume and exactly-once delivery) instead of an SSE request.
 * Reads `events` (usually `client.events()`, taken before `client.run(...)` so no event
 * is missed) until the run's terminal event, translating with {@link AgUiTranslator}: the
 * run's sub-runs are AG-UI subagents in it, events of other runs are skipped. Ends, and
 * detaches from `events`, after `RUN_FINISHED` or `RUN_ERROR`.
 *
 * @example
 * const events = client.events();
 * const { runId } = await client.run('What is 17 * 23?');
 * for await (const event of toAgUi(events, { runId })) subscriber.next(event); // e.g. inside an AG-UI AbstractAgent's run()
 */
export async function* toAgUi(events: AsyncIterable<StreamEvent>, options: ToAgUiOptions = {}): AsyncGenerator<AgUiEvent, void, undefined> {
  const translator = new AgUiTranslator();
  let found = options.runId === undefined;
  for await (const { event } of events) {
    // From the run's first event on, the translator takes its sub-runs' and skips the other runs'.
    found ||= event.runId === options.runId;
    if (!found) continue;
    yield* translator.push(event);
    if (translator.ended) return;
  }
}
