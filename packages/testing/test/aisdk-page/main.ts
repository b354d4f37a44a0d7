// A chat page as an AI SDK 6 app writes it: @ai-sdk/react's useChat, DefaultChatTransport pointed at agentwire.
// The Chromium test (../aisdk-use-chat.test.ts) drives it; ?chat=<id> names the chat.
// The page is the README's useAgentwireChat (./use-agentwire-chat.ts, quoted there verbatim) and a few elements.
import { createElement as h, useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { useAgentwireChat, type AgentwireMessage as Message } from './use-agentwire-chat.js';

const query = new URLSearchParams(location.search);
const chatId = query.get('chat') ?? 'chat_page';
/** The agent to run (?agent=<name>); else the server's default. */
const agent = query.get('agent') ?? undefined;
/** The chat's messages, kept across reloads (the resumed stream brings the message of a run still going whole, under its id). */
const storageKey = `chat:${chatId}`;
const stored = JSON.parse(localStorage.getItem(storageKey) ?? '[]') as Message[];

function Part({ part, onAnswer }: { part: Message['parts'][number]; onAnswer: (id: string, approved: boolean) => void }): ReactNode {
  switch (part.type) {
    case 'text':
      return h('p', { className: 'text' }, part.text);
    case 'reasoning':
      return h('p', { className: 'reasoning' }, part.text);
    case 'dynamic-tool': {
      const { state } = part;
      const asking = state === 'approval-requested';
      return h(
        'div',
        { className: 'tool', 'data-tool': part.toolName, 'data-state': state },
        h('span', { className: 'tool-name' }, part.toolName),
        asking ? h('span', { className: 'prompt' }, (part.input as { prompt: string }).prompt) : null,
        asking ? h('button', { className: 'approve', onClick: () => onAnswer(part.approval.id, true) }, 'Approve') : null,
        asking ? h('button', { className: 'deny', onClick: () => onAnswer(part.approval.id, false) }, 'Deny') : null,
        state === 'output-available' ? h('code', { className: 'output' }, JSON.stringify(part.output)) : null,
      );
    }
    default:
      return h('p', { className: 'part', 'data-type': part.type });
  }
}

function Chat(): ReactNode {
  const { messages, sendMessage, status, addToolApprovalResponse, stopRun } = useAgentwireChat({ id: chatId, token: 'dev:alice', messages: stored, ...(agent === undefined ? {} : { agent }) });
  const [text, setText] = useState('');
  useEffect(() => localStorage.setItem(storageKey, JSON.stringify(messages)), [messages]);
  const runId = messages.at(-1)?.metadata?.agentwire.runId;
  return h(
    'main',
    null,
    h('div', { id: 'status' }, status),
    ...messages.map((message) =>
      h(
        'div',
        { key: message.id, className: 'message', 'data-role': message.role, 'data-run-status': message.metadata?.agentwire.status ?? '' },
        ...message.parts.map((part, i) => h(Part, { key: i, part, onAnswer: (id, approved) => void addToolApprovalResponse({ id, approved }) })),
      ),
    ),
    h('input', { id: 'prompt', value: text, onChange: (event: { target: { value: string } }) => setText(event.target.value) }),
    h('button', { id: 'send', onClick: () => void sendMessage({ text }).then(() => setText('')) }, 'Send'),
    h('button', { id: 'stop', onClick: () => void (runId === undefined ? undefined : stopRun(runId)) }, 'Stop for every tab'),
  );
}

const root = document.getElementById('root');
if (root) createRoot(root).render(h(Chat));
