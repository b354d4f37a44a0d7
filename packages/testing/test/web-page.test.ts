import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, demoAgent, MemoryEventLog } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distDir, ensureBuilt, launchChromium, UI_TIMEOUT_MS } from './page-support.js';

interface Served {
  url: string;
  close(): Promise<void>;
}

/**
 * A real gateway on 127.0.0.1 (port 0 unless given) serving the built page, with the
 * demo agent at full speed and its own in-memory log (so its own epoch).
 */
async function startGateway(port = 0): Promise<Served> {
  const log = new MemoryEventLog();
  const hub = createHub({ log, agents: [demoAgent({ delayMs: 0 })] });
  const gateway = createGateway({ hub, auth: { mode: 'dev' }, port, webRoot: distDir, logger: silentLogger });
  const { url } = await gateway.listen();
  let closed: Promise<void> | undefined;
  return {
    url,
    close() {
      closed ??= (async () => {
        await gateway.close();
        await hub.close();
        await log.close();
      })();
      return closed;
    },
  };
}

interface OpenPage extends AsyncDisposable {
  page: Page;
  /** Uncaught errors of the page; every test expects none. */
  errors: Error[];
}

let served: Served | undefined;
let browser: Browser | undefined;

async function openPage(userId: string, options: BrowserContextOptions = {}, baseUrl = served?.url): Promise<OpenPage> {
  if (!baseUrl || !browser) throw new Error('beforeAll did not finish');
  // Reduced motion: no fade-in or spinners, so screenshots show the settled page.
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, reducedMotion: 'reduce', ...options });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${baseUrl}/?user=${encodeURIComponent(userId)}`);
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
  return { page, errors, [Symbol.asyncDispose]: () => context.close() };
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid="chat-input"]').fill(text);
  await page.locator('[data-testid="send"]').click();
}

function screenshotPath(name: string): string {
  return join(tmpdir(), `agentwire-web-${name}.png`);
}

describe('web page in headless Chromium', () => {
  beforeAll(async () => {
    await ensureBuilt();
    served = await startGateway();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await served?.close();
    }
  });

  it('renders a completed run: thinking, the calculator tool with its duration, the answer 391, usage and cost', async () => {
    await using opened = await openPage('web-test-calc');
    const { page } = opened;
    await expect(page.locator('[data-testid="user-id"]').textContent()).resolves.toBe('web-test-calc');
    await expect(page.locator('[data-testid="examples"]').textContent()).resolves.toMatch(/What is 17 \* 23\?.*\/slow 5000.*\/fail/);
    await page.screenshot({ path: screenshotPath('empty') });

    await send(page, 'What is 17 * 23?');
    const run = page.locator('[data-run-id][data-status="completed"]');
    await run.waitFor();

    await expect(run.locator('[data-testid="run-input"]').textContent()).resolves.toBe('What is 17 * 23?');
    await expect(run.locator('[data-testid="answer"]').textContent()).resolves.toContain('391');
    expect(await run.locator('[data-event-type="agent_thinking"]').count()).toBeGreaterThan(0);

    const tool = run.locator('[data-event-type="tool_completed"][data-tool="calculator"]');
    await expect(tool.getAttribute('data-tool-status')).resolves.toBe('ok');
    await expect(tool.locator('[data-testid="tool-duration"]').textContent()).resolves.toMatch(/^\d+(\.\d)? (ms|s)$/);
    await expect(tool.locator('[data-testid="tool-args"]').textContent()).resolves.toContain('17 * 23');
    await expect(tool.locator('[data-testid="tool-result"]').textContent()).resolves.toContain('391');

    await expect(run.locator('[data-testid="usage-input"]').textContent()).resolves.toMatch(/in\s*[1-9]\d* tok/);
    await expect(run.locator('[data-testid="usage-output"]').textContent()).resolves.toMatch(/out\s*[1-9]\d* tok/);
    await expect(run.locator('[data-testid="usage-cost"]').textContent()).resolves.toMatch(/\$\d/);
    await expect(run.locator('[data-testid="outcome"]').textContent()).resolves.toContain('Completed');
    expect(await run.locator('[data-testid="cancel"]').isVisible()).toBe(false);

    await page.screenshot({ path: screenshotPath('completed'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: screenshotPath('completed-dark'), fullPage: true });
    expect(opened.errors).toEqual([]);
  });

  it('a reload replays the tab\'s stream, so the finished run is drawn again', async () => {
    await using opened = await openPage('web-test-reload');
    const { page } = opened;
    await send(page, 'What is 6 * 7?');
    const runId = await page.locator('[data-run-id][data-status="completed"]').getAttribute('data-run-id');
    expect(runId).toBeTruthy();

    await page.reload();
    const again = page.locator(`[data-run-id="${runId}"][data-status="completed"]`);
    await again.waitFor();
    await expect(again.locator('[data-testid="answer"]').textContent()).resolves.toContain('42');
    await expect(again.locator('[data-testid="run-input"]').textContent()).resolves.toBe('What is 6 * 7?');
    expect(await page.locator('[data-run-id]').count()).toBe(1);
    expect(opened.errors).toEqual([]);
  });

  it('Cancel on a running /slow run renders it cancelled', async () => {
    await using opened = await openPage('web-test-cancel');
    const { page } = opened;
    await send(page, '/slow 60000');
    const run = page.locator('[data-run-id]');
    // The run is under way once its progress bar is drawn.
    await run.locator('[data-event-type="progress"]').waitFor();
    await expect(run.getAttribute('data-status')).resolves.toBe('running');
    await page.screenshot({ path: screenshotPath('running'), fullPage: true });

    await run.locator('[data-testid="cancel"]').click();
    await page.locator('[data-run-id][data-status="cancelled"]').waitFor();
    await expect(run.locator('[data-testid="outcome"]').textContent()).resolves.toContain('Cancelled');
    expect(await run.locator('[data-testid="cancel"]').isVisible()).toBe(false);
    await page.screenshot({ path: screenshotPath('cancelled'), fullPage: true });
    expect(opened.errors).toEqual([]);
  });

  it('shows the server going away and coming back; the new server\'s stream is reported as a reset', async () => {
    const first = await startGateway();
    let second: Served | undefined;
    try {
      await using opened = await openPage('web-test-reconnect', {}, first.url);
      const { page } = opened;
      await send(page, 'What is 2 * 3?');
      const run = page.locator('[data-run-id][data-status="completed"]');
      await run.waitFor();

      await first.close();
      const connection = page.locator('[data-testid="connection"]');
      await page.locator('[data-testid="connection"][data-state="reconnecting"]').waitFor();
      await expect(connection.textContent()).resolves.toContain('server shutdown');

      // A new server on the same address: a new in-memory log, so a new epoch.
      second = await startGateway(Number(new URL(first.url).port));
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
      await expect(page.locator('[data-testid="notice"]').textContent()).resolves.toContain('reset');
      await expect(run.locator('[data-testid="answer"]').textContent()).resolves.toContain('2 * 3 = 6');
      expect(opened.errors).toEqual([]);
    } finally {
      await first.close();
      await second?.close();
    }
  });

  it('/fail renders the run as an error with its message', async () => {
    await using opened = await openPage('web-test-fail', { colorScheme: 'dark' });
    const { page } = opened;
    await send(page, '/fail');
    const run = page.locator('[data-run-id][data-status="error"]');
    await run.waitFor();
    await expect(run.locator('[data-testid="error-message"]').textContent()).resolves.toContain('failed on purpose');
    await expect(run.locator('[data-testid="outcome"]').textContent()).resolves.toContain('Failed');
    await page.screenshot({ path: screenshotPath('error'), fullPage: true });
    expect(opened.errors).toEqual([]);
  });
});
