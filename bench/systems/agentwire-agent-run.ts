import { systemClock, type Clock, type Hub } from 'agentwire-core';
import type { AgentRunStep } from '../lib/agent-run.js';
import { userIdOf } from '../lib/bench-event.js';
import { stampMs } from '../lib/clock.js';
import type { BenchAgentRun } from './system.js';

/**
 * The clock of the bench's agentwire hubs: the system clock's timers, and `now` read from
 * the shared bench clock (lib/clock.ts `stampMs`), so that every event's `ts` is its emit
 * time with sub-millisecond resolution, as the naive systems stamp theirs.
 */
export const benchHubClock: Clock = { ...systemClock, now: stampMs };

/**
 * `agent-runs` on agentwire: a fresh `RunEmitter` of user `user`, each step one emitter call
 * awaited as agent code awaits it. Ids, durations and cumulative usage are the emitter's.
 */
export function agentwireAgentRun(hub: Hub, user: number): BenchAgentRun {
  const run = hub.emitter({ userId: userIdOf(user), agent: 'bench' });
  let toolCallId = '';
  return {
    async emit(step: AgentRunStep): Promise<void> {
      switch (step.type) {
        case 'agent_started':
          await run.start({ input: step.input });
          return;
        case 'agent_thinking':
          await run.thinking(step.text);
          return;
        case 'tool_executing':
          ({ toolCallId } = await run.toolExecuting({ tool: step.tool, args: step.args }));
          return;
        case 'tool_completed':
          await run.toolCompleted({ toolCallId, ok: true, result: step.result });
          return;
        case 'agent_message_delta':
          await run.messageDelta(step.delta);
          return;
        case 'usage_updated':
          await run.usage({ model: step.model, inputTokens: step.inputTokens, outputTokens: step.outputTokens });
          return;
        case 'agent_completed':
          await run.complete({ text: step.text });
          return;
      }
    },
  };
}
