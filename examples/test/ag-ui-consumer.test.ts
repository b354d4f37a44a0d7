import { describe, expect, it } from 'vitest';
import { main } from '../ag-ui-consumer.js';

describe('examples/ag-ui-consumer.ts', () => {
  it('an @ag-ui/client HttpAgent receives the whole demo run: started, reasoning, tool call and result, the answer, finished', async () => {
    const lines: string[] = [];
    const { events, answer, result } = await main({ print: (line) => lines.push(line) });
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('RUN_STARTED');
    expect(types.at(-1)).toBe('RUN_FINISHED');
    for (const type of ['REASONING_MESSAGE_CONTENT', 'TOOL_CALL_START', 'TOOL_CALL_RESULT', 'TEXT_MESSAGE_CONTENT']) expect(types).toContain(type);
    expect(answer).toBe('17 * 23 = 391.');
    expect(result).toEqual({ text: '17 * 23 = 391.' });
    expect(lines).toContain('  tool result: {"value":391}');
    expect(lines.at(-1)).toBe('answer: 17 * 23 = 391.');
  });
});
