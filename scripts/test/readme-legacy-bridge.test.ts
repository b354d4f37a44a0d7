/**
 * README's "Migrating at run time" snippet, run as printed against a real gateway: its
 * `hub` is the gateway's, its `userId` a user connected over a WebSocket. The events reach
 * that user mapped onto the catalog, and `/metrics` counts each legacy shape.
 */
import { createLegacyBridge } from 'agentwire-core';
import { connectAs, startServer } from 'agentwire-testing/gateway';
import { describe, expect, it } from 'vitest';
import { codeBlocks, readRepoFile } from './markdown.js';

const README = readRepoFile('README.md');
const start = README.indexOf('**Migrating at run time.**');
const snippet = codeBlocks(README.slice(start, README.indexOf('\n## ', start))).find(({ language }) => language === 'ts')?.body ?? '';

/** The snippet as an async function of the names it uses (it is plain JavaScript: no type annotations). */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the README's text is the code under test, run as printed
const runSnippet = new Function('createLegacyBridge', 'hub', 'userId', `return (async () => {\n${snippet}\n})();`) as (
  createBridge: typeof createLegacyBridge,
  hub: unknown,
  userId: string,
) => Promise<void>;

describe('README: the legacy bridge', () => {
  it('runs as printed: the user sees a catalog run, and the gateway counts the legacy shapes', async () => {
    expect(snippet).toContain('createLegacyBridge(');
    await using server = await startServer();
    const { client } = await connectAs(server, 'alice');
    await using _c = client;
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await runSnippet(createLegacyBridge, server.hub, 'alice');
      expect((await client.event('agent_started', 'r1')).event.agent).toBe('legacy');
      expect((await client.event('agent_thinking', 'r1')).event.data).toEqual({ text: 'Checking the order' });
      expect((await client.event('agent_completed', 'r1')).event.data).toMatchObject({ result: { text: 'It ships Monday.' } });
    } finally {
      process.off('warning', onWarning);
    }
    // Warned once per call site, each naming the RunEmitter call that replaces it.
    expect(warnings.map((message) => /run\.(\w+)\(\)/.exec(message)?.[1])).toEqual(['start', 'thinking', 'complete']);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('agentwire_legacy_events_total{pattern="flat"} 2');
    expect(metrics).toContain('agentwire_legacy_events_total{pattern="data"} 1');
    expect(metrics).toContain('agentwire_legacy_events_total{pattern="alias"} 1');
  });
});
