import type { AgentEvent, Usage } from 'agentwire-protocol';

const CODES = { dim: 2, bold: 1, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
export type Style = keyof typeof CODES;

/** Wraps text in an ANSI style when colour is on. */
export function paint(text: string, style: Style, color: boolean): string {
  return color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

const STYLE_OF: Record<AgentEvent['type'], Style> = {
  agent_started: 'bold',
  agent_thinking: 'magenta',
  agent_message_delta: 'cyan',
  tool_executing: 'yellow',
  tool_completed: 'yellow',
  progress: 'dim',
  usage_updated: 'dim',
  agent_completed: 'green',
  agent_error: 'red',
  agent_cancelled: 'red',
  custom: 'blue',
  input_requested: 'bold',
  input_resolved: 'bold',
  state_snapshot: 'blue',
  state_delta: 'blue',
};

function short(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line for one event: offset, type, and what matters of its data. */
export function describeEvent(event: AgentEvent, offset: number, color: boolean): string {
  let detail: string;
  switch (event.type) {
    case 'agent_started':
      detail = `run ${event.runId}`;
      break;
    case 'agent_thinking':
      detail = event.data.text;
      break;
    case 'agent_message_delta':
      detail = JSON.stringify(event.data.delta);
      break;
    case 'tool_executing':
      detail = `${event.data.tool}(${short(event.data.args)})`;
      break;
    case 'tool_completed':
      detail = `${event.data.tool} ${event.data.ok ? `→ ${short(event.data.result)}` : `failed: ${event.data.error?.message ?? ''}`} in ${event.data.durationMs} ms`;
      break;
    case 'progress':
      detail = `${event.data.message ?? ''}${event.data.fraction === undefined ? '' : ` ${Math.round(event.data.fraction * 100)}%`}`;
      break;
    case 'usage_updated':
      detail = `${event.data.usage.totalTokens} tokens so far`;
      break;
    case 'agent_completed':
      detail = event.data.result.text ?? short(event.data.result.data);
      break;
    case 'agent_error':
      detail = `${event.data.error.code}: ${event.data.error.message}`;
      break;
    case 'agent_cancelled':
      detail = event.data.reason;
      break;
    case 'custom':
      detail = `${event.data.name} ${short(event.data.value)}`;
      break;
    case 'input_requested':
      detail = `${event.data.kind} ${event.data.requestId}: ${event.data.prompt}`;
      break;
    case 'input_resolved':
      detail = `${event.data.requestId} ${event.data.outcome}${event.data.value === undefined ? '' : ` ${short(event.data.value)}`}`;
      break;
    case 'state_snapshot':
      detail = short(event.data.state);
      break;
    case 'state_delta':
      detail = short(event.data.patch);
      break;
  }
  return `${paint(String(offset).padStart(4), 'dim', color)} ${paint(event.type.padEnd(20), STYLE_OF[event.type], color)} ${detail}`;
}

/** The closing summary of a run: tokens in and out, cost, duration. */
export function formatUsage(usage: Usage, durationMs: number, color: boolean): string {
  const cost = usage.costUsd === undefined ? 'cost unknown' : `$${usage.costUsd.toFixed(6)}`;
  const models = usage.models?.map((m) => m.model).join(', ') ?? 'no model';
  return paint(
    `usage: ${usage.inputTokens} input + ${usage.outputTokens} output = ${usage.totalTokens} tokens (${models}), ${cost}, ${durationMs} ms`,
    'bold',
    color,
  );
}
