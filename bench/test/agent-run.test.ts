import { describe, expect, it } from 'vitest';
import { agentRunTurns, eventsOf, MEAN_EVENTS_PER_RUN, NaiveAgentRun } from '../lib/agent-run.js';
import { expectedEventsPerUser } from '../lib/producer.js';
import { AgentEventSchema } from 'agentwire-protocol';

describe('agent runs of the agent-runs workload', () => {
  it('are shaped like a real run: started, thinking, a tool call, 40–80 deltas in turns of 1–5, usage and completed', () => {
    for (let user = 0; user < 50; user++) {
      const turns = agentRunTurns(user, user % 3);
      const types = turns.flat().map((step) => step.type);
      const deltas = types.filter((type) => type === 'agent_message_delta').length;
      expect(deltas).toBeGreaterThanOrEqual(40);
      expect(deltas).toBeLessThanOrEqual(80);
      expect(types).toEqual(['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', ...new Array<string>(deltas).fill('agent_message_delta'), 'usage_updated', 'agent_completed']);
      for (const turn of turns.slice(4, -1)) expect(turn.length).toBeGreaterThanOrEqual(1);
      expect(Math.max(...turns.slice(4, -1).map((turn) => turn.length))).toBeLessThanOrEqual(5);
      expect(eventsOf(turns)).toBe(types.length);
    }
  });

  it('are the same in every process (derived from user and run) and differ between runs', () => {
    expect(agentRunTurns(7, 2)).toEqual(agentRunTurns(7, 2));
    expect(agentRunTurns(7, 2)).not.toEqual(agentRunTurns(7, 3));
    const mean = Array.from({ length: 500 }, (_, user) => eventsOf(agentRunTurns(user, 0))).reduce((a, b) => a + b) / 500;
    expect(Math.abs(mean - MEAN_EVENTS_PER_RUN)).toBeLessThan(3);
  });

  it('give the naive systems events that are valid catalog events with strictly increasing stamps', () => {
    const run = new NaiveAgentRun();
    const events = agentRunTurns(1, 0).flat().map((step) => run.event(step));
    for (const event of events) expect(AgentEventSchema.safeParse(event).success).toBe(true);
    const stamps = events.map((event) => event.ts);
    expect(stamps.every((ts, i) => i === 0 || ts > stamps[i - 1]!)).toBe(true);
  });

  it('count every event of every run each user plays, back to back or at a rate', () => {
    const perRun = (user: number, run: number): number => eventsOf(agentRunTurns(user, run));
    expect(expectedEventsPerUser({ kind: 'runs', users: 2, runsPerUser: 2 })).toEqual([perRun(0, 0) + perRun(0, 1), perRun(1, 0) + perRun(1, 1)]);
    // Run k is user k % users's run floor(k / users).
    expect(expectedEventsPerUser({ kind: 'runs-rate', users: 3, runs: 4, runsPerSec: 1, turnMs: 1 })).toEqual([perRun(0, 0) + perRun(0, 1), perRun(1, 0), perRun(2, 0)]);
  });
});
