import { randomUUID } from 'node:crypto';
import { isCritical, type AgentEvent, type EventData, type EventType } from 'agentwire-protocol';
import { newBenchRun } from './bench-event.js';
import { stampMs } from './clock.js';

/**
 * One step of a benchmark agent run (bench/README.md, "Workloads" `agent-runs`): what agent
 * code does at that point, one event each. Ids, durations and cumulative usage are left to
 * the system (agentwire's `RunEmitter` makes them; {@link NaiveAgentRun} for the others).
 */
export type AgentRunStep =
  | { type: 'agent_started'; input: string }
  | { type: 'agent_thinking'; text: string }
  | { type: 'tool_executing'; tool: string; args: { query: string } }
  | { type: 'tool_completed'; result: { hits: { title: string; url: string }[] } }
  | { type: 'agent_message_delta'; delta: string }
  | { type: 'usage_updated'; model: string; inputTokens: number; outputTokens: number }
  | { type: 'agent_completed'; text: string };

/**
 * One run as the producer plays it: turns of steps. A turn is what agent code does in one
 * turn of the event loop (one read of the model's stream holds one or several deltas), each
 * step awaited as agent code awaits it; between turns the agent waits for its model or tool.
 */
export type AgentRunTurns = readonly (readonly AgentRunStep[])[];

/** Fewest and most message deltas per run (the issue: 40–80, as an LLM streams an answer). */
const DELTAS = { min: 40, max: 80 } as const;
/** Most deltas one read of the model's stream carries (a turn of deltas holds 1 to this many). */
const MAX_DELTAS_PER_TURN = 5;
/** Events of a run besides its deltas: started, thinking, tool executing and completed, usage, completed. */
const EVENTS_BESIDES_DELTAS = 6;
/** Mean events per run, for sizing a workload by its event count. */
export const MEAN_EVENTS_PER_RUN = EVENTS_BESIDES_DELTAS + (DELTAS.min + DELTAS.max) / 2;

const WORDS = [
  'the', 'agent', 'found', 'three', 'sources', 'that', 'agree', 'on', 'a', 'figure', 'of', 'about',
  'twelve', 'percent', 'while', 'one', 'older', 'report', 'gives', 'nine', 'and', 'explains', 'why',
  'its', 'method', 'differs', 'so', 'here', 'is', 'summary', 'with', 'links',
];

/** A small deterministic generator (mulberry32): both processes derive the same runs. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Run `run` (0, 1, 2, … per user) of user `user`: started, thinking, a tool call and its
 * result, 40–80 deltas of one to three words in turns of one to five, then usage and
 * completed together. The same on every call, in every process.
 */
export function agentRunTurns(user: number, run: number): AgentRunTurns {
  const next = random(Math.imul(user + 1, 0x9e3779b1) ^ Math.imul(run + 1, 0x85ebca6b));
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const words = (count: number): string => Array.from({ length: count }, () => WORDS[int(0, WORDS.length - 1)]).join(' ');

  const deltas = Array.from({ length: int(DELTAS.min, DELTAS.max) }, () => `${words(int(1, 3))} `);
  const turns: AgentRunStep[][] = [
    [{ type: 'agent_started', input: `question ${run} of user ${user}: ${words(12)}?` }],
    [{ type: 'agent_thinking', text: `I should look this up first: ${words(14)}.` }],
    [{ type: 'tool_executing', tool: 'web_search', args: { query: words(5) } }],
    [{ type: 'tool_completed', result: { hits: Array.from({ length: 3 }, (_, i) => ({ title: words(6), url: `https://example.com/${user}/${run}/${i}` })) } }],
  ];
  for (let i = 0; i < deltas.length; ) {
    const size = Math.min(int(1, MAX_DELTAS_PER_TURN), deltas.length - i);
    turns.push(deltas.slice(i, i + size).map((delta) => ({ type: 'agent_message_delta', delta })));
    i += size;
  }
  turns.push([
    { type: 'usage_updated', model: 'bench-model', inputTokens: int(400, 2_000), outputTokens: deltas.length },
    { type: 'agent_completed', text: deltas.join('') },
  ]);
  return turns;
}

/** Events in one run's turns. */
export function eventsOf(turns: AgentRunTurns): number {
  return turns.reduce((sum, turn) => sum + turn.length, 0);
}

/**
 * One run of a system without runs of its own (`ws-naive`, Socket.IO): builds each step's
 * event as agentwire's `RunEmitter` would (same envelope, same data fields, ids made with
 * `randomUUID`), stamped with {@link stampMs}, so that every system carries the same events.
 */
export class NaiveAgentRun {
  readonly #run = newBenchRun();
  readonly #messageId = `msg_${randomUUID()}`;
  readonly #toolCallId = `call_${randomUUID()}`;
  #startedAt = 0;
  #toolStartedAt = 0;
  #usage: EventData<'usage_updated'>['usage'] = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };

  /** The event of `step`. */
  event(step: AgentRunStep): AgentEvent {
    const ts = stampMs();
    switch (step.type) {
      case 'agent_started':
        this.#startedAt = ts;
        return this.#envelope('agent_started', ts, { input: step.input });
      case 'agent_thinking':
        return this.#envelope('agent_thinking', ts, { text: step.text });
      case 'tool_executing':
        this.#toolStartedAt = ts;
        return this.#envelope('tool_executing', ts, { toolCallId: this.#toolCallId, tool: step.tool, args: step.args });
      case 'tool_completed':
        return this.#envelope('tool_completed', ts, { toolCallId: this.#toolCallId, tool: 'web_search', ok: true, result: step.result, durationMs: ts - this.#toolStartedAt });
      case 'agent_message_delta':
        return this.#envelope('agent_message_delta', ts, { messageId: this.#messageId, delta: step.delta });
      case 'usage_updated': {
        const { model, inputTokens, outputTokens } = step;
        const totalTokens = inputTokens + outputTokens;
        this.#usage = { inputTokens, outputTokens, totalTokens, models: [{ model, inputTokens, outputTokens }] };
        return this.#envelope('usage_updated', ts, { usage: this.#usage });
      }
      case 'agent_completed':
        return this.#envelope('agent_completed', ts, { result: { text: step.text }, usage: this.#usage, durationMs: ts - this.#startedAt });
    }
  }

  #envelope<T extends EventType>(type: T, ts: number, data: EventData<T>): AgentEvent {
    return { id: randomUUID(), type, runId: this.#run.runId, threadId: this.#run.threadId, agent: 'bench', ts, critical: isCritical(type), data } as AgentEvent;
  }
}
