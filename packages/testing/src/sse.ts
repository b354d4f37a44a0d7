/** One server-sent event as it came over the wire: its `id:` (when it has one) and its `data:` lines joined. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly data: string;
}

/** One SSE block (the text between two blank lines) as a message; undefined for a block without data (a comment). */
export function parseSseBlock(block: string): SseMessage | undefined {
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length > 0 ? { id, data: data.join('\n') } : undefined;
}

/** The complete messages of SSE text, as a consumer whose stream was cut has them: a message cut short is not one. */
export function completeSseMessages(text: string): SseMessage[] {
  const blocks = text.split('\n\n');
  blocks.pop();
  return blocks.map(parseSseBlock).filter((message): message is SseMessage => message !== undefined);
}

/** Reads an SSE response message by message, as it arrives. */
export async function* sseMessages(response: Response): AsyncGenerator<SseMessage> {
  if (!response.body) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const message = parseSseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (message) yield message;
    }
  }
}
