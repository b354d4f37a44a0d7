import type { AgUiEvent } from 'agentwire-protocol';

/** A sub-run's id on what it opened, so the re-opened events are attributed as the originals were. */
const attributionOf = (event: AgUiEvent): { subagentRunId?: string } => ('subagentRunId' in event && event.subagentRunId !== undefined ? { subagentRunId: event.subagentRunId } : {});

/**
 * What an AG-UI consumer has open after a prefix of a stream: the run, subagents (sub-runs),
 * text messages, reasoning spans and messages, tool calls. A resumed SSE connection is a new stream
 * for the consumer (its verifier starts over), so it must begin with `RUN_STARTED`
 * and re-open exactly what was open where the previous connection stopped, or the
 * next content event would be refused. Tracked on the AG-UI frames actually sent, so
 * it is exact even when a connection broke in the middle of one agentwire event's frames.
 */
export class AgUiOpenState {
  #started: Extract<AgUiEvent, { type: 'RUN_STARTED' }> | undefined;
  #ended = false;
  readonly #open = new Map<string, AgUiEvent>();

  observe(event: AgUiEvent): void {
    switch (event.type) {
      case 'RUN_STARTED':
        // A new AG-UI run: the first, or the continuation after an interrupt.
        this.#started = event;
        this.#ended = false;
        this.#open.clear();
        break;
      case 'RUN_FINISHED':
      case 'RUN_ERROR':
        this.#ended = true;
        this.#open.clear();
        break;
      case 'SUBAGENT_STARTED': {
        const { timestamp: _at, ...opener } = event;
        this.#open.set(`subagent:${event.subagentRunId}`, opener);
        break;
      }
      case 'SUBAGENT_FINISHED':
      case 'SUBAGENT_ERROR':
        this.#open.delete(`subagent:${event.subagentRunId}`);
        break;
      case 'TEXT_MESSAGE_START':
        this.#open.set(`text:${event.messageId}`, { type: event.type, messageId: event.messageId, role: event.role, ...attributionOf(event) });
        break;
      case 'TEXT_MESSAGE_END':
        this.#open.delete(`text:${event.messageId}`);
        break;
      case 'REASONING_START':
        this.#open.set(`span:${event.messageId}`, { type: event.type, messageId: event.messageId, ...attributionOf(event) });
        break;
      case 'REASONING_END':
        this.#open.delete(`span:${event.messageId}`);
        break;
      case 'REASONING_MESSAGE_START':
        this.#open.set(`reasoning:${event.messageId}`, { type: event.type, messageId: event.messageId, role: event.role, ...attributionOf(event) });
        break;
      case 'REASONING_MESSAGE_END':
        this.#open.delete(`reasoning:${event.messageId}`);
        break;
      case 'TOOL_CALL_START': {
        const { toolCallId, toolCallName, parentMessageId } = event;
        this.#open.set(`tool:${toolCallId}`, { type: event.type, toolCallId, toolCallName, ...(parentMessageId === undefined ? {} : { parentMessageId }), ...attributionOf(event) });
        break;
      }
      case 'TOOL_CALL_END':
        this.#open.delete(`tool:${event.toolCallId}`);
        break;
      case 'TEXT_MESSAGE_CONTENT':
      case 'REASONING_MESSAGE_CONTENT':
      case 'TOOL_CALL_ARGS':
      case 'TOOL_CALL_RESULT':
      case 'CUSTOM':
      case 'STATE_SNAPSHOT':
      case 'STATE_DELTA':
      case 'MESSAGES_SNAPSHOT':
        break;
    }
  }

  /**
   * `RUN_STARTED` and the openers of what is open, in the order they were opened; empty
   * before the start and after the end. A subagent whose parent subagent is no longer open
   * is re-opened without it (AG-UI takes only a parent started in the same stream).
   */
  reopen(): AgUiEvent[] {
    if (!this.#started || this.#ended) return [];
    const openers = [...this.#open.values()].map((event) => {
      if (event.type !== 'SUBAGENT_STARTED' || event.parentSubagentRunId === undefined || this.#open.has(`subagent:${event.parentSubagentRunId}`)) return event;
      const { parentSubagentRunId: _closed, ...rest } = event;
      return rest;
    });
    return [this.#started, ...openers];
  }
}
