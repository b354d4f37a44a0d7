import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, defineAgent, demoAgent, MemoryEventLog } from 'agentwire-core';
import { createGateway, silentLogger } from 'agentwire-gateway';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openTab } from './page-support.js';

/** The page: a React app using @ai-sdk/react's useChat with DefaultChatTransport, as an AI SDK 6 app is written. */
const pageSource = fileURLToPath(new URL('./aisdk-page/', import.meta.url));
const poll = { timeout: 15_000 };

/** A gate the test opens: the agent streams its first words, then waits for it. */
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (openGate = resolve));

/** Thinks, streams "One, ", waits for the test's gate, streams "two." and completes. */
const counting = defineAgent({
  name: 'counting',
  async run({ run }) {
    await run.thinking('Counting to two.');
    await run.messageDelta('One, ');
    await gate;
    await run.messageDelta('two.');
    return { text: 'One, two.' };
  },
});

/** Streams "Working" and goes on until it is cancelled. */
const endless = defineAgent({
  name: 'endless',
  async run({ run, signal }) {
    await run.messageDelta('Working');
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return { text: 'Working' };
  },
});

let browser: Browser;
let pageRoot: string;
let baseUrl: string;
let close: () => Promise<void>;

beforeAll(async () => {
  pageRoot = mkdtempSync(join(tmpdir(), 'agentwire-use-chat-'));
  await build({ root: pageSource, configFile: false, logLevel: 'error', build: { outDir: pageRoot, emptyOutDir: true } });
  const log = new MemoryEventLog();
  const hub = createHub({ log, agents: [demoAgent({ delayMs: 0 }), counting, endless] });
  // The page is served by the gateway it talks to: same origin, as an app would serve it.
  const gateway = createGateway({ hub, auth: { mode: 'dev' }, port: 0, webRoot: pageRoot, logger: silentLogger });
  baseUrl = (await gateway.listen()).url;
  close = async () => {
    await gateway.close();
    await hub.close();
    await log.close();
  };
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await close?.();
  rmSync(pageRoot, { recursive: true, force: true });
});

function chatUrl(chatId: string, agent?: string): string {
  return `${baseUrl}/?chat=${chatId}${agent === undefined ? '' : `&agent=${agent}`}`;
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator('#prompt').fill(text);
  await page.locator('#send').click();
}

const assistant = (page: Page) => page.locator('.message[data-role="assistant"]');

describe("README.md's Vercel AI SDK hook", () => {
  it('is printed verbatim under "### Vercel AI SDK (useChat)": the page below is built on it', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('\n### Vercel AI SDK (useChat)\n'));
    const start = section.indexOf('```ts\n') + '```ts\n'.length;
    const hook = readFileSync(new URL('./aisdk-page/use-agentwire-chat.ts', import.meta.url), 'utf8');
    expect(section.slice(start, section.indexOf('```\n', start))).toBe(hook);
  });
});

describe('a React page with @ai-sdk/react useChat and DefaultChatTransport, against a real gateway, in Chromium', () => {
  it('sends, and the run streams into the chat: the tool call and the answer', async () => {
    await using tab = await openTab(browser, chatUrl('chat_calc'));
    await send(tab.page, 'What is 17 * 23?');
    await expect.poll(() => assistant(tab.page).locator('.text').last().textContent(), poll).toBe('17 * 23 = 391.');
    expect(await assistant(tab.page).locator('.tool[data-tool="calculator"]').getAttribute('data-state')).toBe('output-available');
    await expect.poll(() => tab.page.locator('#status').textContent(), poll).toBe('ready');
    expect(tab.errors).toEqual([]);
  });

  it('reloaded mid-run, resumes the run: every part once, then the rest as it comes', async () => {
    await using tab = await openTab(browser, chatUrl('chat_reload', 'counting'));
    await send(tab.page, 'count');
    await expect.poll(() => assistant(tab.page).locator('.text').textContent(), poll).toBe('One, ');
    await tab.page.reload();
    await expect.poll(() => assistant(tab.page).locator('.text').textContent(), poll).toBe('One, ');
    openGate();
    await expect.poll(() => assistant(tab.page).locator('.text').textContent(), poll).toBe('One, two.');
    await expect.poll(() => assistant(tab.page).getAttribute('data-run-status'), poll).toBe('completed');
    // Exactly once: one user message, one assistant message holding one reasoning part and one text part.
    expect(await tab.page.locator('.message').count()).toBe(2);
    expect(await tab.page.locator('.message[data-role="user"]').count()).toBe(1);
    expect(await assistant(tab.page).locator('.reasoning').allTextContents()).toEqual(['Counting to two.']);
    expect(await assistant(tab.page).locator('.text').count()).toBe(1);
    expect(tab.errors).toEqual([]);
  });

  it("stopped from a second tab, the run ends in both: the first tab's stream ends with abort", async () => {
    await using first = await openTab(browser, chatUrl('chat_stop', 'endless'));
    await send(first.page, 'work');
    await expect.poll(() => assistant(first.page).locator('.text').textContent(), poll).toBe('Working');
    // A second tab of the same browser: the chat's messages are in its storage, the run comes with the resume.
    const second = await first.page.context().newPage();
    await second.goto(chatUrl('chat_stop', 'endless'));
    await expect.poll(() => assistant(second).locator('.text').textContent(), poll).toBe('Working');
    await second.locator('#stop').click();
    for (const page of [first.page, second]) {
      await expect.poll(() => assistant(page).getAttribute('data-run-status'), poll).toBe('cancelled');
      await expect.poll(() => page.locator('#status').textContent(), poll).toBe('ready');
    }
    expect(first.errors).toEqual([]);
  });

  it('asks approval for a tool call; approved in the page, the tool runs and the answer follows in the same message', async () => {
    await using tab = await openTab(browser, chatUrl('chat_approve'));
    await send(tab.page, '/approve');
    const tool = assistant(tab.page).locator('.tool');
    await expect.poll(() => tool.locator('.prompt').textContent(), poll).toBe('Send the email "Weekly status" to team@example.com?');
    expect(await tool.getAttribute('data-state')).toBe('approval-requested');
    await tool.locator('.approve').click();
    await expect.poll(() => assistant(tab.page).locator('.text').textContent(), poll).toBe('The email "Weekly status" was sent to team@example.com.');
    expect(await tool.count()).toBe(1);
    expect(await tool.getAttribute('data-tool')).toBe('send_email');
    expect(await tool.getAttribute('data-state')).toBe('output-available');
    expect(await assistant(tab.page).count()).toBe(1);
    expect(tab.errors).toEqual([]);
  });
});
