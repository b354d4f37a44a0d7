import { AgentEventSchema, AgUiTranslator, AiSdkTranslator, EVENT_TYPES, isCritical, type AgentEvent, type AgUiEvent, type AiSdkUiPart, type EventData, type EventType } from 'agentwire-protocol';

const usage = { inputTokens: 12, outputTokens: 5, totalTokens: 17, models: [{ model: 'demo-1', inputTokens: 12, outputTokens: 5 }] };

/**
 * One sample `data` of each event type of the catalog: a mapped type over it, so a type
 * added to the catalog is a type error here until it has its sample (and its row).
 */
const SAMPLES: { readonly [T in EventType]: EventData<T> } = {
  agent_started: { input: 'What is 17 * 23?' },
  agent_thinking: { text: 'I see arithmetic: using the calculator.' },
  agent_message_delta: { messageId: 'msg_1', delta: '17 * 23 = 391.' },
  tool_executing: { toolCallId: 'call_1', tool: 'calculator', args: { expression: '17 * 23' } },
  tool_completed: { toolCallId: 'call_1', tool: 'calculator', ok: true, result: { value: 391 }, durationMs: 3 },
  progress: { message: 'Step 1 of 2', fraction: 0.5 },
  usage_updated: { usage },
  agent_completed: { result: { text: '17 * 23 = 391.' }, usage, durationMs: 40 },
  agent_error: { error: { code: 'agent_error', message: 'The model is unavailable.' }, usage, durationMs: 40 },
  agent_cancelled: { reason: 'cancelled by the user', usage, durationMs: 40 },
  custom: { name: 'chart', value: { points: [1, 2, 3] } },
  input_requested: { requestId: 'req_1', kind: 'approval', prompt: 'Send the email?', toolCallId: 'call_2' },
  input_resolved: { requestId: 'req_1', outcome: 'answered', value: { approved: true } },
  state_snapshot: { state: { plan: ['draft'] } },
  state_delta: { patch: [{ op: 'add', path: '/plan/-', value: 'review' }] },
};

/** What an event of a row follows (besides the run's `agent_started`): the translation of some depends on it. */
const FOLLOWS: Partial<Record<EventType, readonly EventType[]>> = {
  tool_completed: ['tool_executing'],
  input_resolved: ['input_requested'],
  state_delta: ['state_snapshot'],
};

/** A sample event of `type`, checked against the catalog; of a sub-run of `run_1` with `sub`. */
function sample(type: EventType, n: number, sub = false): AgentEvent {
  const run = sub ? { runId: 'run_2', agent: 'researcher' } : { runId: 'run_1', agent: 'demo' };
  const data = sub && type === 'agent_started' ? { ...SAMPLES.agent_started, parentRunId: 'run_1' } : SAMPLES[type];
  return AgentEventSchema.parse({ id: `evt_${n}`, type, ...run, threadId: 'thr_1', ts: 1_700_000_000_000 + n, critical: isCritical(type), data });
}

/** What one wire makes of a run's events, through its one translator. */
interface Wire {
  push(event: AgentEvent): string[];
}

function agUi(event: AgUiEvent): string {
  const attributed = 'subagentRunId' in event && event.subagentRunId !== undefined && !event.type.startsWith('SUBAGENT_');
  return attributed ? `${agUiType(event)} (subagentRunId)` : agUiType(event);
}

function agUiType(event: AgUiEvent): string {
  if (event.type === 'CUSTOM') return `\`CUSTOM\` \`${event.name}\``;
  if (event.type === 'SUBAGENT_FINISHED') return `\`SUBAGENT_FINISHED\` (outcome ${event.outcome?.type ?? 'success'})`;
  if (event.type === 'RUN_FINISHED') return `\`RUN_FINISHED\` (outcome ${event.outcome?.type ?? 'success'})`;
  return `\`${event.type}\``;
}

function aiSdk(part: AiSdkUiPart): string {
  return `\`${part.type}\``;
}

/** The gateway's wires: AG-UI as `POST /v1/agui/:agent` streams it (interrupts on), the AI SDK UI message stream. */
const WIRES: readonly (() => Wire)[] = [
  () => {
    const translator = new AgUiTranslator({ interrupts: true });
    return { push: (event) => translator.push(event).map(agUi) };
  },
  () => {
    const translator = new AiSdkTranslator();
    return { push: (event) => translator.push(event).map(aiSdk) };
  },
];

/** What each wire gives for a run's first event, and for each other type after it: the cells of one row per type. */
function rows(): string[][] {
  return EVENT_TYPES.map((type) =>
    WIRES.map((make) => {
      const wire = make();
      const started = wire.push(sample('agent_started', 1));
      for (const [i, before] of (FOLLOWS[type] ?? []).entries()) wire.push(sample(before, 2 + i));
      const out = type === 'agent_started' ? started : wire.push(sample(type, 9));
      return out.length === 0 ? '(nothing)' : out.join(', ');
    }),
  );
}

/** What AG-UI gives for each type of event of a sub-run, after the run's start and the sub-run's: the sub-run table's cells. */
function subRunRows(): string[] {
  return EVENT_TYPES.map((type) => {
    const translator = new AgUiTranslator({ interrupts: true });
    translator.push(sample('agent_started', 1));
    const started = translator.push(sample('agent_started', 2, true));
    for (const [i, before] of (FOLLOWS[type] ?? []).entries()) translator.push(sample(before, 3 + i, true));
    const out = type === 'agent_started' ? started : translator.push(sample(type, 9, true));
    return out.length === 0 ? '(nothing)' : out.map(agUi).join(', ');
  });
}

/** docs/wire-mapping.md: the run's events on each wire, generated by driving the translators with one sample event per catalog type. */
export function wireMappingMarkdown(): string {
  const table = rows().map((cells, i) => `| \`${EVENT_TYPES[i] ?? ''}\` | ${cells.join(' | ')} |`);
  return [
    '# One run, three wires',
    '',
    '<!-- Generated by `npm run docs` from the translators of packages/protocol (scripts/wire-mapping.ts); a test keeps it in sync. -->',
    '',
    'The same run goes out on three wires: the WebSocket (each agentwire event as it is, in an `event` frame,',
    'docs/protocol.md), AG-UI (`POST /v1/agui/:agent`, `AgUiTranslator`: docs/ag-ui-mapping.md) and the AI SDK UI',
    'message stream (`POST /v1/aisdk/chat`, `AiSdkTranslator`: docs/ai-sdk-mapping.md). Each row is what the',
    'translator gives for one sample event of that type pushed after the run\'s `agent_started` (for',
    '`agent_started`, what it gives first), and after the event it answers where there is one (a tool call\'s',
    '`tool_executing`, a request\'s `input_requested`, the `state_snapshot` a delta patches). A translator keeps',
    'a little state: a text message or part stays',
    'open until something else comes (it is then closed first), a reasoning span closes before the next',
    'non-thinking event, and the terminal event closes whatever is open; the mapping pages give the reasons.',
    '',
    '| agentwire event (WebSocket) | AG-UI events | AI SDK UI message stream parts |',
    '| --- | --- | --- |',
    ...table,
    '',
    '## A sub-run on its parent\'s AG-UI stream',
    '',
    'A sub-run is a run whose `agent_started` names the run (or one of its sub-runs) as `parentRunId`. The',
    'parent\'s AG-UI stream shows it as an AG-UI subagent, its events carrying its run id as `subagentRunId`;',
    'each row is what AG-UI gives for one event of a sub-run, after the parent\'s start and the sub-run\'s',
    '(docs/ag-ui-mapping.md, "Sub-runs"). The AI SDK stream and the WebSocket\'s `toAgUi` follow one run only:',
    'a sub-run is a run of its own there.',
    '',
    '| agentwire event of a sub-run | AG-UI events on the parent\'s stream |',
    '| --- | --- |',
    ...subRunRows().map((cell, i) => `| sub-run \`${EVENT_TYPES[i] ?? ''}\` | ${cell} |`),
    '',
  ].join('\n');
}
