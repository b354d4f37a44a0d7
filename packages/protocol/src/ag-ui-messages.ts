import type { AgUiEvent, AgUiMessage, AgUiToolCall } from './ag-ui-events.js';

/**
 * The messages an AG-UI consumer builds from a stream of AG-UI events, built the way
 * `@ag-ui/client` applies them: assistant text by message id, each tool call on the
 * message that carried it (its `parentMessageId`, else an assistant message of its own
 * under the call's id), each result as a tool message right after its call, reasoning
 * messages. What a stream that starts over sends as `MESSAGES_SNAPSHOT`, so the consumer
 * rebuilds exactly what the events it can no longer get would have built.
 */
export class AgUiMessages {
  readonly #messages: AgUiMessage[] = [];
  readonly #byId = new Map<string, AgUiMessage>();
  readonly #calls = new Map<string, AgUiToolCall>();

  observe(event: AgUiEvent): void {
    const attribution = 'subagentRunId' in event && event.subagentRunId !== undefined ? { subagentRunId: event.subagentRunId } : {};
    switch (event.type) {
      case 'TEXT_MESSAGE_START':
        if (!this.#byId.has(event.messageId)) this.#add({ id: event.messageId, role: 'assistant', content: '', ...attribution });
        break;
      case 'TEXT_MESSAGE_CONTENT':
      case 'REASONING_MESSAGE_CONTENT': {
        const message = this.#byId.get(event.messageId);
        if (message && message.role !== 'tool') message.content = (message.content ?? '') + event.delta;
        break;
      }
      case 'REASONING_MESSAGE_START':
        if (!this.#byId.has(event.messageId)) this.#add({ id: event.messageId, role: 'reasoning', content: '', ...attribution });
        break;
      case 'TOOL_CALL_START': {
        if (this.#calls.has(event.toolCallId)) break;
        const parent = event.parentMessageId === undefined ? undefined : this.#byId.get(event.parentMessageId);
        let holder = parent?.role === 'assistant' ? parent : undefined;
        if (!holder) {
          holder = { id: parent || event.parentMessageId === undefined ? event.toolCallId : event.parentMessageId, role: 'assistant', toolCalls: [], ...attribution };
          this.#add(holder);
        }
        const call: AgUiToolCall = { id: event.toolCallId, type: 'function', function: { name: event.toolCallName, arguments: '' } };
        (holder.toolCalls ??= []).push(call);
        this.#calls.set(call.id, call);
        break;
      }
      case 'TOOL_CALL_ARGS': {
        const call = this.#calls.get(event.toolCallId);
        if (call) call.function.arguments += event.delta;
        break;
      }
      case 'TOOL_CALL_RESULT': {
        const result: AgUiMessage = { id: event.messageId, role: 'tool', content: event.content, toolCallId: event.toolCallId, ...attribution };
        const caller = this.#messages.findIndex((message) => message.role === 'assistant' && message.toolCalls?.some((call) => call.id === event.toolCallId));
        let at = caller === -1 ? this.#messages.length : caller + 1;
        while (caller !== -1 && this.#messages[at]?.role === 'tool') at++;
        this.#messages.splice(at, 0, result);
        this.#byId.set(result.id, result);
        break;
      }
      default:
        break;
    }
  }

  /** The messages so far, in order: a copy. */
  snapshot(): AgUiMessage[] {
    return JSON.parse(JSON.stringify(this.#messages)) as AgUiMessage[];
  }

  #add(message: AgUiMessage): void {
    this.#messages.push(message);
    this.#byId.set(message.id, message);
  }
}
