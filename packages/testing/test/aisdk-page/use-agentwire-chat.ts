// use-agentwire-chat.ts: the AI SDK's useChat, pointed at agentwire.
import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport, lastAssistantMessageIsCompleteWithApprovalResponses, type UIMessage } from 'ai';
import type { AiSdkMessageMetadata } from 'agentwire-protocol';

export type AgentwireMessage = UIMessage<AiSdkMessageMetadata>;

/** A chat with an agentwire agent: resumed after a reload, approvals answered with addToolApprovalResponse. */
export function useAgentwireChat({ id, token, agent, messages }: { id: string; token: string; agent?: string; messages?: AgentwireMessage[] }) {
  const headers = { authorization: `Bearer ${token}` };
  const chat = useChat<AgentwireMessage>({
    id, // the chat id is the runs' thread
    messages,
    resume: true, // after a reload, the run that goes on comes back whole: every part once
    transport: new DefaultChatTransport({ api: '/v1/aisdk/chat', headers, body: { agent } }),
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses, // sends the approval answers
  });
  /** Stops the run for every tab and device: useChat's stop() only aborts this page's request. */
  const stopRun = (runId: string) => fetch(`/v1/runs/${runId}/cancel`, { method: 'POST', headers });
  return { ...chat, stopRun };
}
