import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, demoAgent, MemoryEventLog, type AgentDefinition, type Clock, type DemoAgentOptions, type Hub, type MemoryEventLogOptions } from 'agentwire-core';
import { createGateway, silentLogger, type AuthOptions } from 'agentwire-gateway';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { requireTool } from 'agentwire-testing/system-tools';

/** packages/web: the page under test. */
export const webDir = fileURLToPath(new URL('../../web/', import.meta.url));
/** The built page, served by the gateway as its `webRoot`. */
export const distDir = join(webDir, 'dist');
/** Playwright's own waits; below vitest's test timeout so a miss reports which element never came. */
export const UI_TIMEOUT_MS = 15_000;

/** Everything the page bundle is made of: a change in any of it makes `dist` stale. */
const bundleInputs = [
  join(webDir, 'src'),
  join(webDir, 'index.html'),
  join(webDir, 'vite.config.ts'),
  fileURLToPath(new URL('../../client/src', import.meta.url)),
  fileURLToPath(new URL('../../protocol/src', import.meta.url)),
];

function newestMtimeMs(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtimeMs(join(path, name))), info.mtimeMs);
}

/** Builds the page unless `dist` is newer than all of its inputs (the root `npm test` builds first). */
export async function ensureBuilt(): Promise<void> {
  const page = join(distDir, 'index.html');
  if (existsSync(page) && statSync(page).mtimeMs >= Math.max(...bundleInputs.map(newestMtimeMs))) return;
  await build({ root: webDir, configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
}

/** Launches Debian's Chromium headless, with the flags this closed network needs. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireTool('chromium'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export interface Served {
  url: string;
  hub: Hub;
  close(): Promise<void>;
}

export interface GatewaySetup {
  /** @default 0 (a free port) */
  port?: number;
  /** @default dev auth */
  auth?: AuthOptions;
  /** The gateway's clock (token expiry); the hub and log keep real time unless `hubClock` is given. */
  clock?: Clock;
  /** The hub's clock (event timestamps, input expiry); the demo agent's pauses keep real time. */
  hubClock?: Clock;
  /** The demo agent's pauses and their clock. @default `{ delayMs: 0 }` (full speed, real time) */
  demo?: DemoAgentOptions;
  /** The in-memory log's retention and clock. @default its defaults, on the system clock */
  log?: MemoryEventLogOptions;
  /** Agents served beside the demo agent (runs of theirs are started over HTTP, as from another device). */
  agents?: readonly AgentDefinition[];
}

/**
 * A real gateway on 127.0.0.1 serving the built page, with the demo agent (at full speed
 * unless told) and its own in-memory log (so its own epoch).
 */
export async function startGateway({ port = 0, auth = { mode: 'dev' }, clock, hubClock, demo = { delayMs: 0 }, agents = [], log: logOptions }: GatewaySetup = {}): Promise<Served> {
  const log = new MemoryEventLog(logOptions);
  const hub = createHub({ log, agents: [demoAgent(demo), ...agents], ...(hubClock ? { clock: hubClock } : {}) });
  const gateway = createGateway({ hub, auth, port, webRoot: distDir, logger: silentLogger, ...(clock ? { clock } : {}) });
  const { url } = await gateway.listen();
  let closed: Promise<void> | undefined;
  return {
    url,
    hub,
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

export interface OpenPage extends AsyncDisposable {
  page: Page;
  /** Uncaught errors of the page; every test expects none. */
  errors: Error[];
}

/**
 * A new browser context (a fresh tab: empty sessionStorage) on `path` of `baseUrl`.
 * `beforeLoad` runs before the page loads (say, `page.clock.install`).
 */
export async function openTab(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = {},
  beforeLoad?: (page: Page) => Promise<void>,
): Promise<OpenPage> {
  // Reduced motion: no fade-in or spinners, so screenshots show the settled page.
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, reducedMotion: 'reduce', ...options });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  await beforeLoad?.(page);
  await page.goto(url);
  return { page, errors, [Symbol.asyncDispose]: () => context.close() };
}

/** The page of the dev user `userId` at `baseUrl`. */
export function pageUrl(baseUrl: string, userId: string): string {
  return `${baseUrl}/?user=${encodeURIComponent(userId)}`;
}

/** Waits until the page's client is connected. */
export async function connected(page: Page): Promise<void> {
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
}

/** Sends `text` from the composer: a run of the demo agent. */
export async function send(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid="chat-input"]').fill(text);
  await page.locator('[data-testid="send"]').click();
}

/** What scrolls sideways: the document's width beyond the viewport's, in CSS pixels (0 when nothing does). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => (document.scrollingElement?.scrollWidth ?? 0) - window.innerWidth);
}

/** Where a test writes a screenshot (the OS temp folder), to look at. */
export function screenshotPath(name: string): string {
  return join(tmpdir(), `agentwire-web-${name}.png`);
}

/** What a page test file shares: one gateway serving the page, and one Chromium. */
export interface PageFixture {
  readonly served: Served;
  readonly browser: Browser;
}

/**
 * Builds the page if needed, starts a gateway serving it (set up by `setup`) and launches
 * Chromium before the file's (or the describe block's) tests, and closes both after them.
 */
export function pageFixture(setup: GatewaySetup = {}): PageFixture {
  let served: Served | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    served = await startGateway(setup);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await served?.close();
    }
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('beforeAll did not finish');
    return value;
  };
  return {
    get served() {
      return started(served);
    },
    get browser() {
      return started(browser);
    },
  };
}
