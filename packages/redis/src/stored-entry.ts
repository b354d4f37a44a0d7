import { JsonLogEntry, parseLogEntry, type LogEntry } from 'agentwire-core';
import type { AgentEvent, EventType } from 'agentwire-protocol';

/**
 * An event as the Redis log stores it in the stream: what a gateway needs to deliver it
 * without parsing its JSON (parsing showed in a gateway's CPU profile under fan-out, and
 * was most of a replay's: bench/README.md, "Figures behind the code"), then the JSON itself:
 *
 *     <type>\n<ts>\n<threadId length>\n<threadId><event JSON>
 *
 * Built here by the producer; the thread id is length-prefixed as it may hold any
 * character. The live tail's pub/sub message is the same behind the epoch and offset:
 * `<epoch>\n<offset>\n<stored entry>`.
 */
export function storedEntry(event: AgentEvent, json: string): string {
  return `${event.type}\n${event.ts}\n${event.threadId.length}\n${event.threadId}${json}`;
}

/** An entry read from the stream or heard on pub/sub: the event is parsed only if someone reads it. */
class StoredEntry extends JsonLogEntry {
  readonly ts: number;

  constructor(offset: number, type: EventType, ts: number, threadId: string, json: string) {
    super(offset, json, type, threadId);
    this.ts = ts;
  }
}

/**
 * Reads `stored` (from {@link storedEntry}, at `from`) as the entry at `offset`; undefined
 * when it is not of that format.
 */
function parseStored(offset: number, stored: string, from: number): LogEntry | undefined {
  const afterType = stored.indexOf('\n', from);
  const afterTs = stored.indexOf('\n', afterType + 1);
  const afterLength = stored.indexOf('\n', afterTs + 1);
  if (afterType < 0 || afterTs < 0 || afterLength < 0) return undefined;
  const ts = Number(stored.slice(afterType + 1, afterTs));
  const threadFrom = afterLength + 1;
  const jsonFrom = threadFrom + Number(stored.slice(afterTs + 1, afterLength));
  if (!Number.isFinite(ts) || !Number.isSafeInteger(jsonFrom) || jsonFrom <= threadFrom || jsonFrom >= stored.length) return undefined;
  const type = stored.slice(from, afterType) as EventType;
  return new StoredEntry(offset, type, ts, stored.slice(threadFrom, jsonFrom), stored.slice(jsonFrom));
}

/**
 * The entry at `offset` of a stream entry's stored text. An entry written by a version
 * before the stored format (plain JSON, which no event type starts like) is parsed as such.
 */
export function parseStoredEntry(offset: number, stored: string): LogEntry {
  if (stored.startsWith('{')) return parseLogEntry(offset, stored);
  const entry = parseStored(offset, stored, 0);
  if (!entry) throw new Error(`the stream entry at offset ${offset} is not an agentwire event`);
  return entry;
}

export interface TailMessage {
  readonly epoch: string;
  readonly entry: LogEntry;
}

/** Reads a live tail message; undefined when it is not one (the stream is then read instead). */
export function parseTailMessage(message: string): TailMessage | undefined {
  const afterEpoch = message.indexOf('\n');
  const afterOffset = message.indexOf('\n', afterEpoch + 1);
  if (afterEpoch < 0 || afterOffset < 0) return undefined;
  const offset = Number(message.slice(afterEpoch + 1, afterOffset));
  if (!Number.isSafeInteger(offset)) return undefined;
  const entry = parseStored(offset, message, afterOffset + 1);
  return entry && { epoch: message.slice(0, afterEpoch), entry };
}
