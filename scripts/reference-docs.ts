import { AgentEventSchema, ERRORS, type ErrorSpec } from 'agentwire-protocol';

/** docs/errors.md, from the error registry of agentwire-protocol. */
export function errorsMarkdown(): string {
  const rows = Object.entries(ERRORS).map(([code, spec]: [string, ErrorSpec]) => {
    const close = spec.closeCode === undefined ? '' : String(spec.closeCode);
    return `| \`${code}\` | ${spec.fatal ? 'yes' : 'no'} | ${close} | ${spec.httpStatus} | ${spec.message} | ${spec.when} |`;
  });
  return [
    '# Error codes',
    '',
    '<!-- Generated from packages/protocol/src/errors.ts by `npm run docs`; a test keeps it in sync. -->',
    '',
    'Every error the server sends is a frame `{"op":"error","code","message","fatal"}` on the WebSocket, or a JSON',
    'body `{"code","message"}` on the HTTP API. A fatal error is followed by a close with the close code below.',
    'A close with 1009 (message too big) comes from the WebSocket layer itself, without an error frame.',
    '',
    '| code | fatal | close code | HTTP status | message | when |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** docs/events.md, from the event catalog of agentwire-protocol. */
export function eventsMarkdown(): string {
  const rows = AgentEventSchema.options.map((option) => {
    const shape: Record<string, { safeParse(value: unknown): { success: boolean } }> = option.shape.data.shape;
    const fields = Object.entries(shape)
      .filter(([name]) => name !== 'truncated')
      .map(([name, schema]) => `\`${name}${schema.safeParse(undefined).success ? '?' : ''}\``)
      .join(', ');
    return `| \`${option.shape.type.value}\` | ${option.shape.critical.value ? 'yes' : 'no'} | ${fields} |`;
  });
  return [
    '# Agent events',
    '',
    '<!-- Generated from packages/protocol/src/catalog.ts by `npm run docs`; a test keeps it in sync. -->',
    '',
    'Every event has `id`, `type`, `runId`, `threadId`, `agent`, `ts` (ms since the Unix epoch), `critical` (from this',
    'table, never set by callers) and `data`. Data larger than `maxEventBytes` is truncated and carries `truncated: true`.',
    '',
    '| type | critical | data |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
