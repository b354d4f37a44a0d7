import { tmpdir } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, defineAgent, demoAgent, MemoryEventLog } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';
import { SUBPROTOCOL } from 'agentwire-protocol';
import type { Browser, Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { distDir, ensureBuilt, launchChromium, UI_TIMEOUT_MS } from './page-support.js';

/**
 * Screenshots: the README shows the committed ones in docs/images, refreshed with
 * `UPDATE_SCREENSHOTS=1 npx vitest run packages/testing/test/web-ops-panel.test.ts`; ordinary runs
 * write to the temp folder so a test run never dirties the work tree.
 */
const imagesDir = process.env.UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../../docs/images', import.meta.url))
  : join(tmpdir(), 'agentwire-screenshots');
async function numberIn(locator: Locator): Promise<number> {
  return Number((await locator.textContent())?.replace(/[^\d.]/g, ''));
}

describe('live ops panel in headless Chromium', () => {
  it('draws live numbers, latency, unacked critical events, run timelines with tool bars, and tokens and cost per model', async () => {
    await ensureBuilt();

    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const research = defineAgent({
      name: 'research',
      async run({ run }) {
        await run.usage({ model: 'gpt-4o-mini', inputTokens: 1_800, outputTokens: 420, cachedInputTokens: 600, reasoningTokens: 150 });
        await run.tool('search_docs', { q: 'resume' }, () => new Promise<string>((resolve) => setTimeout(() => resolve('3 hits'), 60)));
        await run.tool('summarize', {}, () => held);
        return { text: 'done' };
      },
    });
    const log = new MemoryEventLog();
    const hub = createHub({ log, agents: [demoAgent({ delayMs: 15 }), research] });
    // ackAlertMs 1: the client below that never acks shows up as unacked at once.
    const gateway = createGateway({ hub, auth: { mode: 'dev' }, port: 0, webRoot: distDir, logger: silentLogger, ackAlertMs: 1 });
    const { url, wsUrl } = await gateway.listen();
    let browser: Browser | undefined;
    const silent = new WebSocket(wsUrl, [SUBPROTOCOL]);
    try {
      const startRun = async (input: string, agent?: string): Promise<string> => {
        const response = await fetch(`${url}/v1/runs`, {
          method: 'POST',
          headers: { authorization: 'Bearer dev:load-user', 'content-type': 'application/json' },
          body: JSON.stringify({ input, ...(agent === undefined ? {} : { agent }) }),
        });
        return ((await response.json()) as { runId: string }).runId;
      };
      await new Promise((resolve) => silent.once('open', resolve));
      const welcomed = new Promise((resolve) => silent.once('message', resolve));
      silent.send(JSON.stringify({ op: 'hello', token: 'dev:load-user' }));
      await welcomed;

      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1200, height: 980 }, reducedMotion: 'reduce' });
      context.setDefaultTimeout(UI_TIMEOUT_MS);
      const page = await context.newPage();
      const errors: Error[] = [];
      page.on('pageerror', (error) => errors.push(error));
      await page.goto(`${url}/?user=ops-viewer&opsIntervalMs=200#ops`);
      const panel = page.locator('[data-testid="ops-panel"]');
      await page.locator('[data-testid="ops-panel"][data-state="live"]').waitFor();
      expect(await page.locator('[data-testid="chat-input"]').isVisible()).toBe(false);

      // The page's own client and the silent one.
      await expect.poll(() => numberIn(panel.locator('[data-testid="ops-connections"]')), { timeout: UI_TIMEOUT_MS }).toBe(2);

      const heldRun = await startRun('look it up', 'research');
      const demoRuns = await Promise.all(['What is 17 * 23?', 'What is 6 * 7?', 'count the words in this sentence'].map((input) => startRun(input)));
      // Live: the rate and latency of those runs' events, and their critical events the silent client never acks.
      await expect.poll(() => numberIn(panel.locator('[data-testid="ops-events-rate"]')), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
      await expect(panel.locator('[data-testid="ops-latency-p50"]').textContent()).resolves.toMatch(/^≤ \d+(\.\d)? m?s$/);
      await expect(panel.locator('[data-testid="ops-latency-p99"]').textContent()).resolves.toMatch(/^≤ \d+(\.\d)? m?s$/);
      await expect.poll(() => numberIn(panel.locator('[data-testid="ops-unacked"]')), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);

      // The held run: running, one finished tool bar and one still open.
      const running = panel.locator(`[data-testid="ops-run"][data-run-id="${heldRun}"][data-status="running"]`);
      await running.locator('[data-testid="ops-tool-bar"][data-tool="search_docs"][data-state="ok"]').waitFor({ state: 'attached' });
      await running.locator('[data-testid="ops-tool-bar"][data-tool="summarize"][data-state="running"]').waitFor({ state: 'attached' });
      await expect(running.locator('[data-tool="search_docs"] text').textContent()).resolves.toMatch(/^search_docs \d+ ms$/);
      for (const runId of demoRuns) await panel.locator(`[data-testid="ops-run"][data-run-id="${runId}"][data-status="completed"]`).waitFor({ state: 'attached' });
      const demoModel = panel.locator('[data-testid="ops-model"][data-model="demo-1"]');
      await demoModel.waitFor({ state: 'attached' });
      await expect(demoModel.locator('[data-testid="ops-model-cost"]').textContent()).resolves.toMatch(/^\$0\.\d{6}$/);

      // A last burst once the charts have some history, so the picture shows traffic.
      await expect.poll(() => panel.getAttribute('data-samples').then(Number), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(15);
      await Promise.all(['What is 12 * 12?', 'hello agentwire', 'What is 9 * 9?'].map((input) => startRun(input)));
      await expect.poll(() => numberIn(panel.locator('[data-testid="ops-events-rate"]')), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
      mkdirSync(imagesDir, { recursive: true });
      await page.screenshot({ path: join(imagesDir, 'ops-panel.png'), fullPage: true });

      release();
      await panel.locator(`[data-testid="ops-run"][data-run-id="${heldRun}"][data-status="completed"]`).waitFor({ state: 'attached' });
      const research$ = panel.locator('[data-testid="ops-model"][data-model="gpt-4o-mini"]');
      await research$.waitFor({ state: 'attached' });
      expect(await research$.locator('rect.ops-tokens').count()).toBe(4);

      // The chat view of the same app, for the README.
      await page.locator('[data-testid="tab-chat"]').click();
      await page.locator('[data-testid="chat-input"]').fill('What is 17 * 23?');
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-run-id][data-status="completed"] [data-testid="answer"]').waitFor();
      expect(await panel.isVisible()).toBe(false);
      await page.screenshot({ path: join(imagesDir, 'chat.png') });
      expect(errors).toEqual([]);
    } finally {
      silent.close();
      await browser?.close();
      await gateway.close();
      await hub.close();
      await log.close();
    }
  }, 60_000);
});
