import { defineAgent } from 'agentwire-core';
import type { RunSnapshot } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock } from 'agentwire-testing/clock';
import { gatewayClient, nextEvent } from './client-support.js';
import { startServer, type TestServer } from 'agentwire-testing/gateway';

/** Plans, asks which step to add, adds it, and completes: its state changes around a wait. */
const planner = defineAgent({
  name: 'planner',
  async run({ run }) {
    const plan = { goal: 'ship the release notes for version 2 to every customer, in three languages', steps: ['draft', 'review'], current: 'draft' };
    await run.setState(plan);
    const added = await run.requestInput({ kind: 'text', prompt: 'Which step should follow review?' });
    if (added.outcome !== 'answered') return { text: 'No answer.' };
    await run.setState({ ...plan, steps: [...plan.steps, added.value], current: 'review' });
    return { text: 'Planned.' };
  },
});

/** Starts a planner run from a client that then leaves; resolves once the run waits for its answer. */
async function startPlanner(server: TestServer): Promise<{ runId: string; requestId: string; epoch: string }> {
  using starter = gatewayClient(server);
  await starter.connect();
  const asked = nextEvent(starter, 'input_requested');
  const { runId } = await starter.run('plan', { agent: 'planner' });
  const { data } = await asked;
  return { runId, requestId: data.requestId, epoch: starter.position?.epoch ?? '' };
}

const PLANNED = { goal: 'ship the release notes for version 2 to every customer, in three languages', steps: ['draft', 'review'], current: 'draft' };

describe('shared state over the wire (docs/protocol.md §6)', () => {
  it('a client that connects mid-run gets the state from activeRuns, follows the deltas, and GET /v1/runs/:runId agrees', async () => {
    await using server = await startServer({ agents: [planner] });
    const { runId, requestId } = await startPlanner(server);

    const answer = await fetch(`${server.url}/v1/runs/${runId}`, { headers: { authorization: 'Bearer dev:alice' } });
    expect(((await answer.json()) as RunSnapshot).state).toEqual(PLANNED);

    using client = gatewayClient(server);
    const welcome = await client.connect();
    expect(welcome.activeRuns?.find((run) => run.runId === runId)?.state).toEqual(PLANNED);
    expect(client.runs.get(runId)?.state).toEqual(PLANNED);
    const states: unknown[] = [];
    client.onRun((snapshot) => states.push(snapshot.state));

    const delta = nextEvent(client, 'state_delta', runId);
    const completed = nextEvent(client, 'agent_completed', runId);
    await client.respond(runId, requestId, 'publish');
    // Only what changed travels: the new step and the current one.
    expect((await delta).data.patch).toEqual(
      expect.arrayContaining([
        { op: 'add', path: '/steps/2', value: 'publish' },
        { op: 'replace', path: '/current', value: 'review' },
      ]),
    );
    await completed;
    const final = { ...PLANNED, steps: ['draft', 'review', 'publish'], current: 'review' };
    expect(client.runs.get(runId)).toMatchObject({ status: 'completed', state: final });
    expect(states).toContainEqual(final);
    const after = await fetch(`${server.url}/v1/runs/${runId}`, { headers: { authorization: 'Bearer dev:alice' } });
    expect(((await after.json()) as RunSnapshot).state).toEqual(final);
  });

  it('a reset (the position expired) rebuilds the run with its current state', async () => {
    const clock = new ManualClock();
    await using server = await startServer({ agents: [planner], clock, log: { historyTtlMs: 60_000 } });
    const { runId, requestId, epoch } = await startPlanner(server);
    clock.advance(120_000);

    using back = gatewayClient(server, { resume: { epoch, offset: 1 } });
    const resets: string[] = [];
    back.onReset((info) => resets.push(info.reason));
    await back.connect();
    expect(resets).toEqual(['offset_expired']);
    expect(back.runs.get(runId)).toMatchObject({ status: 'waiting', state: PLANNED });
    const completed = nextEvent(back, 'agent_completed', runId);
    await back.respond(runId, requestId, 'publish');
    await completed;
    expect(back.runs.get(runId)?.state).toEqual({ ...PLANNED, steps: ['draft', 'review', 'publish'], current: 'review' });
  });
});
