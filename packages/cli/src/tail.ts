import { createClient, type WebSocketConstructor } from 'agentwire-client';
import { isTerminalEvent, WS_PATH, type DeliveryReport, type Usage } from 'agentwire-protocol';
import WebSocket from 'ws';
import { ConfigError } from './config.js';
import { describeEvent, paint } from './format.js';

/** Defaults of `agentwire tail`. */
export const TAIL_DEFAULTS = { url: 'http://127.0.0.1:7070', intervalMs: 2_000 } as const;

/** What `agentwire tail` does: follow a user's events, or (admin) the delivery report. */
export type TailOptions = {
  /** The server's HTTP URL (`http://host:port`); the WebSocket URL is derived from it. */
  url: string;
  /** One JSON object per line instead of coloured text. */
  json: boolean;
  color: boolean;
  write: (line: string) => void;
  /** Ends the tail (Ctrl-C). */
  signal: AbortSignal;
} & (
  | { mode: 'events'; token: string; WebSocket?: WebSocketConstructor }
  | {
      mode: 'delivery';
      /** Admin token; none for a server without one (loopback only). */
      adminToken?: string;
      /** Between polls of `/v1/admin/delivery`. @default 2_000 */
      intervalMs: number;
    }
);

/** One run's summary line, printed at its terminal event. */
export interface RunSummary {
  readonly runId: string;
  readonly agent: string;
  readonly outcome: string;
  readonly durationMs: number;
  readonly toolCalls: number;
  readonly usage: Usage;
}

function seconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

/** `── run run_… completed in 1.2 s · 2 tool calls · 120 tokens (80 in, 40 out) · $0.000120 · demo-1` */
export function formatRunSummary(summary: RunSummary, color: boolean): string {
  const { usage } = summary;
  const cost = usage.costUsd === undefined ? 'cost unknown' : `$${usage.costUsd.toFixed(6)}`;
  const models = usage.models?.map((m) => m.model).join(', ') || 'no model';
  const calls = `${summary.toolCalls} tool call${summary.toolCalls === 1 ? '' : 's'}`;
  const style = summary.outcome === 'completed' ? 'green' : 'red';
  return paint(
    `── run ${summary.runId} ${summary.outcome} in ${seconds(summary.durationMs)} · ${calls} · ${usage.totalTokens} tokens (${usage.inputTokens} in, ${usage.outputTokens} out) · ${cost} · ${models}`,
    style,
    color,
  );
}

/** One line of the delivery report: the SLO figure, then the users waiting longest. */
export function formatDeliveryReport(report: DeliveryReport, color: boolean): string {
  const time = new Date(report.now).toISOString().slice(11, 19);
  const head = `${paint(time, 'dim', color)} ${paint(`overdue ${report.overdue}`, report.overdue > 0 ? 'red' : 'green', color)} (critical events unacked > ${seconds(report.thresholdMs)})`;
  const users = report.users
    .slice(0, 5)
    .map((user) => `${user.userId}: ${user.unacked} unacked, oldest ${seconds(user.oldestAgeMs)}, ${user.connections} conn`)
    .join(' · ');
  return users === '' ? head : `${head} · ${users}${report.users.length > 5 ? ` · +${report.users.length - 5} more` : ''}`;
}

/**
 * `agentwire tail`: connects as a user with the client SDK and prints the user's events
 * as they arrive (colour-coded by type), with a summary line at the end of each run; or,
 * in delivery mode, polls `/v1/admin/delivery` and prints a line per poll. Resolves when
 * `signal` aborts.
 */
export async function tail(options: TailOptions): Promise<void> {
  if (options.mode === 'delivery') return tailDelivery(options);
  const wsUrl = `${options.url.replace(/^http/, 'ws').replace(/\/$/, '')}${WS_PATH}`;
  const client = createClient({ url: wsUrl, token: options.token, WebSocket: options.WebSocket ?? WebSocket });
  const toolCalls = new Map<string, number>();
  client.on('*', (event, offset) => {
    if (event.type === 'agent_started') toolCalls.set(event.runId, 0);
    if (event.type === 'tool_executing') toolCalls.set(event.runId, (toolCalls.get(event.runId) ?? 0) + 1);
    options.write(options.json ? JSON.stringify({ offset, event }) : describeEvent(event, offset, options.color));
    if (!isTerminalEvent(event)) return;
    const { data } = event;
    const summary: RunSummary = {
      runId: event.runId,
      agent: event.agent,
      outcome: event.type.replace('agent_', ''),
      durationMs: data.durationMs,
      toolCalls: toolCalls.get(event.runId) ?? 0,
      usage: data.usage,
    };
    toolCalls.delete(event.runId);
    options.write(options.json ? JSON.stringify({ runSummary: summary }) : formatRunSummary(summary, options.color));
  });
  client.onState((state) => {
    if (options.json) return;
    const why = state.reason === undefined ? '' : ` (${state.reason})`;
    options.write(paint(`· ${state.status}${why}`, 'dim', options.color));
  });
  const stopped = new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    const welcome = await Promise.race([client.connect(), stopped]);
    if (welcome && !options.json) options.write(paint(`tailing the events of "${welcome.userId}" on ${options.url} (Ctrl-C to stop)`, 'dim', options.color));
    await stopped;
  } finally {
    client.close();
  }
}

async function tailDelivery(options: Extract<TailOptions, { mode: 'delivery' }>): Promise<void> {
  const endpoint = `${options.url.replace(/\/$/, '')}/v1/admin/delivery`;
  const headers: Record<string, string> = options.adminToken === undefined ? {} : { authorization: `Bearer ${options.adminToken}` };
  while (!options.signal.aborted) {
    const response = await fetch(endpoint, { headers, signal: options.signal }).catch((error: unknown) => {
      if (options.signal.aborted) return undefined;
      throw error;
    });
    if (!response) return;
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      throw new Error(`${endpoint} answered ${response.status}: ${body.message ?? response.statusText}`);
    }
    const report = (await response.json()) as DeliveryReport;
    options.write(options.json ? JSON.stringify(report) : formatDeliveryReport(report, options.color));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs);
      options.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}

/**
 * Parses `agentwire tail` arguments: `--url`, `--token` (events of that user),
 * `--admin-token` or `--delivery` (the delivery report), `--json`, `--interval-ms`.
 * Environment: `AGENTWIRE_URL`, `AGENTWIRE_TOKEN`, `AGENTWIRE_ADMIN_TOKEN`.
 * @throws ConfigError
 */
export function parseTailArgs(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { url: string; json: boolean; mode: 'events'; token: string } | { url: string; json: boolean; mode: 'delivery'; adminToken?: string; intervalMs: number } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i] ?? '');
    const name = match?.[1];
    if (name === 'json' || name === 'delivery') {
      flags.add(name);
      continue;
    }
    if (!match || !name || !['url', 'token', 'admin-token', 'interval-ms'].includes(name)) throw new ConfigError(`unknown option ${args[i] ?? ''}; see agentwire help`);
    const value = match[2] ?? args[++i];
    if (value === undefined || value === '') throw new ConfigError(`--${name} needs a value`);
    values.set(name, value);
  }
  const url = values.get('url') ?? env.AGENTWIRE_URL ?? TAIL_DEFAULTS.url;
  if (!/^https?:\/\//.test(url)) throw new ConfigError(`--url must be an http:// or https:// URL, got "${url}"`);
  const json = flags.has('json');
  const token = values.get('token') ?? env.AGENTWIRE_TOKEN;
  const adminToken = values.get('admin-token') ?? (token === undefined ? env.AGENTWIRE_ADMIN_TOKEN : undefined);
  if (flags.has('delivery') || adminToken !== undefined) {
    const rawInterval = values.get('interval-ms') ?? String(TAIL_DEFAULTS.intervalMs);
    if (!/^\d+$/.test(rawInterval) || Number(rawInterval) === 0) throw new ConfigError(`--interval-ms must be a positive integer, got "${rawInterval}"`);
    return { url, json, mode: 'delivery', ...(adminToken === undefined ? {} : { adminToken }), intervalMs: Number(rawInterval) };
  }
  if (token === undefined) throw new ConfigError('agentwire tail needs --token (e.g. --token dev:alice), or --admin-token / --delivery for the delivery report');
  return { url, json, mode: 'events', token };
}
