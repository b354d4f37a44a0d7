import { createClient, type WebSocketConstructor } from 'agentwire-client';
import { formatDuration, isTerminalEvent, WS_PATH, type DeliveryReport, type Usage } from 'agentwire-protocol';
import WebSocket from 'ws';
import { ConfigError, parseCommandLine, type CommandSpec, type ParsedCommandLine } from './command-line.js';
import { describeEvent, paint } from './format.js';

/** Defaults of `agentwire tail`. */
export const TAIL_DEFAULTS = { url: 'http://127.0.0.1:7070', intervalMs: 2_000 } as const;

/** The options of `agentwire tail`, declared once: parsing, environment and help derive from them. */
export const TAIL_OPTIONS = {
  url: { kind: 'string', description: 'The server, by its HTTP URL (the WebSocket URL is derived from it).', default: TAIL_DEFAULTS.url, valueName: 'url' },
  token: { kind: 'string', description: "Follow this user's events; the user's token, e.g. dev:alice." },
  adminToken: { kind: 'string', description: 'Follow the delivery report (/v1/admin/delivery) with this admin token instead.' },
  delivery: { kind: 'boolean', description: 'Follow the delivery report of a server that has no admin token (loopback only).', default: false, env: false },
  json: { kind: 'boolean', description: 'One JSON object per line, for piping.', default: false, env: false },
  intervalMs: { kind: 'integer', description: 'Between two polls of the delivery report.', default: TAIL_DEFAULTS.intervalMs, env: false },
} as const;

/** `agentwire tail`. */
export const TAIL_COMMAND = {
  name: 'tail',
  summary: "follow a user's events as they arrive, or the delivery report",
  description: [
    "Prints a user's events as they arrive, colour-coded by type, with a summary line at the end of each run",
    '(duration, tool calls, tokens, cost); with --admin-token or --delivery, the delivery report instead.',
    'When the server cannot be reached, it says so and exits 1. Once connected, it follows the server',
    'through restarts: each reconnect is printed, and it goes on until Ctrl-C.',
  ].join('\n'),
  options: TAIL_OPTIONS,
} as const satisfies CommandSpec<typeof TAIL_OPTIONS>;

/** What `agentwire tail` is asked to do, from its command line: follow a user's events, or (admin) the delivery report. */
export type TailRequest = {
  /** The server's HTTP URL (`http://host:port`); the WebSocket URL is derived from it. */
  url: string;
  /** One JSON object per line instead of coloured text. */
  json: boolean;
} & (
  | { mode: 'events'; token: string }
  | {
      mode: 'delivery';
      /** Admin token; none for a server without one (loopback only). */
      adminToken?: string;
      /** Between polls of `/v1/admin/delivery`. @default 2_000 */
      intervalMs: number;
    }
);

/** Everything {@link tail} needs: the request, and where and how to print. */
export type TailOptions = TailRequest & {
  color: boolean;
  write: (line: string) => void;
  /** Ends the tail (Ctrl-C). */
  signal: AbortSignal;
};

/** One run's summary line, printed at its terminal event. */
export interface RunSummary {
  readonly runId: string;
  readonly agent: string;
  readonly outcome: string;
  readonly durationMs: number;
  readonly toolCalls: number;
  readonly usage: Usage;
}

/** `── run run_… completed in 1.2 s · 2 tool calls · 120 tokens (80 in, 40 out) · $0.000120 · demo-1` */
export function formatRunSummary(summary: RunSummary, color: boolean): string {
  const { usage } = summary;
  const cost = usage.costUsd === undefined ? 'cost unknown' : `$${usage.costUsd.toFixed(6)}`;
  const models = usage.models?.map((m) => m.model).join(', ') || 'no model';
  const calls = `${summary.toolCalls} tool call${summary.toolCalls === 1 ? '' : 's'}`;
  const style = summary.outcome === 'completed' ? 'green' : 'red';
  return paint(
    `── run ${summary.runId} ${summary.outcome} in ${formatDuration(summary.durationMs)} · ${calls} · ${usage.totalTokens} tokens (${usage.inputTokens} in, ${usage.outputTokens} out) · ${cost} · ${models}`,
    style,
    color,
  );
}

/** One line of the delivery report: the SLO figure, then the users waiting longest. */
export function formatDeliveryReport(report: DeliveryReport, color: boolean): string {
  const time = new Date(report.now).toISOString().slice(11, 19);
  const head = `${paint(time, 'dim', color)} ${paint(`overdue ${report.overdue}`, report.overdue > 0 ? 'red' : 'green', color)} (critical events unacked > ${formatDuration(report.thresholdMs)})`;
  const users = report.users
    .slice(0, 5)
    .map((user) => `${user.userId}: ${user.unacked} unacked, oldest ${formatDuration(user.oldestAgeMs)}, ${user.connections} conn`)
    .join(' · ');
  return users === '' ? head : `${head} · ${users}${report.users.length > 5 ? ` · +${report.users.length - 5} more` : ''}`;
}

/** `ws`'s WebSocket, telling `onError` why a connection failed (`connect ECONNREFUSED 127.0.0.1:7070`), which a close event does not. */
function reportingErrors(onError: (message: string) => void): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.on('error', (error) => onError(error.message));
    }
  };
}

/** Why the server could not be reached, with what to check. */
function unreachable(url: string, cause: string): Error {
  return new Error(`cannot reach ${url} (${cause}). Is agentwire serve running there? --url or AGENTWIRE_URL names the server.`);
}

/**
 * `agentwire tail`: connects as a user with the client SDK and prints the user's events
 * as they arrive (colour-coded by type), with a summary line at the end of each run; or,
 * in delivery mode, polls `/v1/admin/delivery` and prints a line per poll. Resolves when
 * `signal` aborts. Rejects, naming the URL and the cause, when the first connection (or a
 * poll) fails; after a first `welcome`, a dropped connection is reconnected, each attempt printed.
 */
export async function tail(options: TailOptions): Promise<void> {
  if (options.mode === 'delivery') return tailDelivery(options);
  const wsUrl = `${options.url.replace(/^http/, 'ws').replace(/\/$/, '')}${WS_PATH}`;
  let socketError: string | undefined;
  const client = createClient({ url: wsUrl, token: options.token, WebSocket: reportingErrors((message) => (socketError = message)) });
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
  let opened = false;
  let failFirst: (error: Error) => void = () => undefined;
  const firstConnectionFailed = new Promise<never>((_, reject) => (failFirst = reject));
  client.onState((state) => {
    if (state.status === 'open') opened = true;
    // Before any welcome, a reconnect means the server is not there: say so instead of retrying for ever.
    if (state.status === 'reconnecting' && !opened) failFirst(unreachable(wsUrl, socketError ?? state.reason ?? 'no welcome'));
    if (options.json) return;
    const why = state.reason === undefined ? '' : ` (${state.reason})`;
    options.write(paint(`· ${state.status}${why}`, 'dim', options.color));
  });
  const stopped = new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    const welcome = await Promise.race([client.connect(), stopped, firstConnectionFailed]);
    if (welcome && !options.json) options.write(paint(`tailing the events of "${welcome.userId}" on ${options.url} (Ctrl-C to stop)`, 'dim', options.color));
    await stopped;
  } finally {
    client.close();
  }
}

async function tailDelivery(options: TailOptions & { mode: 'delivery' }): Promise<void> {
  const endpoint = `${options.url.replace(/\/$/, '')}/v1/admin/delivery`;
  const headers: Record<string, string> = options.adminToken === undefined ? {} : { authorization: `Bearer ${options.adminToken}` };
  while (!options.signal.aborted) {
    const response = await fetch(endpoint, { headers, signal: options.signal }).catch((error: unknown) => {
      if (options.signal.aborted) return undefined;
      // fetch says "fetch failed"; its cause says why (connect ECONNREFUSED 127.0.0.1:7070).
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw unreachable(endpoint, cause);
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
 * Parses `agentwire tail` arguments (see {@link TAIL_OPTIONS}); `AGENTWIRE_ADMIN_TOKEN`
 * applies only when no user token is given. `{ help: true }` for `--help`.
 * @throws ConfigError
 */
export function parseTailArgs(args: readonly string[], env: Readonly<Record<string, string | undefined>>): TailRequest | { help: true } {
  const line: ParsedCommandLine<typeof TAIL_OPTIONS> = parseCommandLine(TAIL_COMMAND, args, env);
  if (line.help) return line;
  const { url, json, token, delivery, intervalMs } = line.values;
  if (!/^https?:\/\//.test(url)) throw new ConfigError(`--url must be an http:// or https:// URL, got "${url}"`);
  const adminToken = line.given.has('adminToken') || token === undefined ? line.values.adminToken : undefined;
  if (delivery || adminToken !== undefined) {
    if (intervalMs === 0) throw new ConfigError('--interval-ms must be a positive integer, got "0"');
    return { url, json, mode: 'delivery', ...(adminToken === undefined ? {} : { adminToken }), intervalMs };
  }
  if (token === undefined) throw new ConfigError('agentwire tail needs --token (e.g. --token dev:alice), or --admin-token / --delivery for the delivery report');
  return { url, json, mode: 'events', token };
}
