import { AbstractChat, DefaultChatTransport, type ChatInit, type ChatState, type ChatStatus, type UIMessage } from 'ai';
import type { AiSdkMessageMetadata } from 'agentwire-protocol';
import type { TestServer } from 'agentwire-testing/gateway';

/** A chat message of the agentwire endpoint: its metadata names the run. */
export type ChatMessage = UIMessage<AiSdkMessageMetadata>;

/** The state `useChat` keeps in React, kept in plain fields: what the AI SDK's own `Chat` classes do for each framework. */
class PlainChatState<M extends UIMessage> implements ChatState<M> {
  status: ChatStatus = 'ready';
  error: Error | undefined = undefined;
  messages: M[];

  constructor(messages: M[]) {
    this.messages = messages;
  }

  pushMessage = (message: M): void => {
    this.messages = [...this.messages, message];
  };

  popMessage = (): void => {
    this.messages = this.messages.slice(0, -1);
  };

  replaceMessage = (index: number, message: M): void => {
    this.messages = [...this.messages.slice(0, index), this.snapshot(message), ...this.messages.slice(index + 1)];
  };

  snapshot = <T>(thing: T): T => structuredClone(thing);
}

/**
 * The AI SDK 6 `Chat` that `useChat` wraps (`AbstractChat`: sendMessage, resumeStream,
 * addToolApprovalResponse, stop, sendAutomaticallyWhen), without React: one page's chat
 * in a Node test.
 */
export class PageChat extends AbstractChat<ChatMessage> {
  constructor({ messages = [], ...init }: ChatInit<ChatMessage>) {
    super({ ...init, state: new PlainChatState(messages) });
  }
}

/** The transport a page points at agentwire: `POST /v1/aisdk/chat`, the user's token in a header. */
export function chatTransport(server: TestServer, token = 'dev:alice', body: Record<string, unknown> = {}): DefaultChatTransport<ChatMessage> {
  return new DefaultChatTransport<ChatMessage>({ api: `${server.url}/v1/aisdk/chat`, headers: { authorization: `Bearer ${token}` }, body });
}
