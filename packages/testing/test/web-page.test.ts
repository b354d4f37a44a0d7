import type { BrowserContextOptions } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ManualClock } from 'agentwire-testing/clock';
import { hs256, TEST_JWT_SECRET } from 'agentwire-testing/jwt';
import type { AuthOptions } from 'agentwire-gateway';
import {
  connected,
  distDir,
  openTab as openTabAt,
  pageFixture,
  pageUrl,
  screenshotPath,
  send,
  sidewaysOverflow,
  startGateway,
  type OpenPage,
  type Served,
} from './page-support.js';
import { spawnServe } from './process-cluster.js';

const fixture = pageFixture();

/** A new browser context (a fresh tab: empty sessionStorage) on `path` of `baseUrl`. */
async function openTab(path: string, options: BrowserContextOptions = {}, baseUrl = fixture.served.url): Promise<OpenPage> {
  return openTabAt(fixture.browser, `${baseUrl}${path}`, options);
}

/** A fresh tab of the dev user `userId`, once it is connected. */
async function openPage(userId: string, options: BrowserContextOptions = {}, baseUrl = fixture.served.url): Promise<OpenPage> {
  const opened = await openTabAt(fixture.browser, pageUrl(baseUrl, userId), options);
  await connected(opened.page);
  return opened;
}

describe('web page in headless Chromium', () => {
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

  it('a fresh tab of an existing user and a reload of it both show the retained history, each run once', async () => {
    const userId = 'web-test-history';
    {
      await using first = await openPage(userId);
      await send(first.page, 'What is 6 * 7?');
      await first.page.locator('[data-run-id][data-status="completed"]').waitFor();
      expect(first.errors).toEqual([]);
    }
    // A new tab: nothing of this user in its sessionStorage.
    await using fresh = await openPage(userId);
    const { page } = fresh;
    const run = page.locator('[data-run-id][data-status="completed"]');
    await expect(run.locator('[data-testid="answer"]').textContent()).resolves.toContain('42');
    await expect(run.locator('[data-testid="run-input"]').textContent()).resolves.toBe('What is 6 * 7?');
    const runId = await run.getAttribute('data-run-id');
    expect(await page.locator('[data-run-id]').count()).toBe(1);

    await page.reload();
    const again = page.locator(`[data-run-id="${runId}"][data-status="completed"]`);
    await expect(again.locator('[data-testid="answer"]').textContent()).resolves.toContain('42');
    expect(await page.locator('[data-run-id]').count()).toBe(1);
    expect(fresh.errors).toEqual([]);
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

  it('a run the server ends because it shuts down (agent_cancelled, reason shutdown) says so', async () => {
    await using opened = await openPage('web-test-shutdown');
    const { page } = opened;
    await send(page, '/slow 60000');
    const run = page.locator('[data-run-id]');
    await run.locator('[data-event-type="progress"]').waitFor();
    const runId = await run.getAttribute('data-run-id');
    // What the server does to its in-flight runs on SIGTERM.
    expect(fixture.served.hub.cancelRun('web-test-shutdown', runId ?? '', 'shutdown')).toBe(true);
    await page.locator('[data-run-id][data-status="cancelled"]').waitFor();
    await expect(run.locator('[data-testid="outcome"]').textContent()).resolves.toContain('The server shut down before the run ended.');
    expect(await run.locator('[data-testid="cancel"]').isVisible()).toBe(false);
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
      second = await startGateway({ port: Number(new URL(first.url).port) });
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
      await expect(page.locator('[data-testid="notice"]').textContent()).resolves.toContain('started its event stream over');
      await expect(run.locator('[data-testid="answer"]').textContent()).resolves.toContain('2 * 3 = 6');
      expect(opened.errors).toEqual([]);
    } finally {
      await first.close();
      await second?.close();
    }
  });

  it('a run left going by a server that died is marked interrupted once a restarted server (new epoch) answers, with no Cancel', async () => {
    const serve = ['--web-root', distDir, '--demo-delay-ms', '0'];
    const first = await spawnServe([...serve, '--port', '0']);
    try {
      await using opened = await openPage('web-test-restart', { viewport: { width: 390, height: 844 } }, first.url);
      const { page } = opened;
      await send(page, 'What is 2 * 3?');
      await page.locator('[data-run-id][data-status="completed"]').waitFor();
      await send(page, '/slow 60000');
      const slow = page.locator('[data-run-id][data-status="running"]');
      await slow.locator('[data-event-type="progress"]').waitFor();
      const runId = await slow.getAttribute('data-run-id');

      // No graceful shutdown: the run's terminal event is never written.
      await first.kill();
      await page.locator('[data-testid="connection"][data-state="reconnecting"]').waitFor();
      await using _second = await spawnServe([...serve, '--port', new URL(first.url).port]);
      await page.locator('[data-testid="connection"][data-state="open"]').waitFor();

      const interrupted = page.locator(`[data-run-id="${runId}"][data-status="interrupted"]`);
      await expect(interrupted.locator('[data-testid="run-status"]').textContent()).resolves.toBe('Interrupted');
      await expect(interrupted.locator('[data-testid="outcome"]').textContent()).resolves.toContain('The server restarted (or lost its event log) before this run ended');
      expect(await interrupted.locator('[data-testid="cancel"]').isVisible()).toBe(false);
      // The finished run stays as it was, and the reset is a line in the timeline.
      expect(await page.locator('[data-run-id][data-status="completed"]').count()).toBe(1);
      await expect(page.locator('[data-testid="notice"]').textContent()).resolves.toContain('started its event stream over');
      expect(await sidewaysOverflow(page)).toBe(0);
      await page.screenshot({ path: screenshotPath('interrupted-390'), fullPage: true });
      expect(opened.errors).toEqual([]);
    } finally {
      await first.kill();
    }
  }, 60_000);

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

  describe.each([390, 1280])('at %i px wide', (width) => {
    const viewport = { width, height: 844 };

    it('nothing scrolls sideways: the chat with runs and long inputs, and the ops view', async () => {
      await using opened = await openPage(`web-test-layout-${width}`, { viewport });
      const { page } = opened;
      expect(await sidewaysOverflow(page)).toBe(0);
      await send(page, 'What is 17 * 23?');
      await page.locator('[data-run-id][data-status="completed"]').waitFor();
      await send(page, `a-long-unbroken-input-${'x'.repeat(300)} with words after it`);
      await page.locator('[data-run-id][data-status="completed"]').nth(1).waitFor();
      await send(page, '/slow 60000');
      await page.locator('[data-run-id][data-status="running"] [data-event-type="progress"]').waitFor();
      expect(await sidewaysOverflow(page)).toBe(0);
      // The header shows the user and the connection within the width.
      for (const testId of ['user-id', 'connection', 'tab-ops']) {
        const box = await page.locator(`[data-testid="${testId}"]`).boundingBox();
        expect(box && box.x >= 0 && box.x + box.width <= width, testId).toBe(true);
      }
      await page.screenshot({ path: screenshotPath(`chat-${width}`) });

      await page.locator('[data-testid="tab-ops"]').click();
      await page.locator('[data-testid="ops-panel"][data-state="live"]').waitFor();
      await page.locator('[data-testid="ops-run"][data-status="running"]').first().waitFor({ state: 'attached' });
      expect(await sidewaysOverflow(page)).toBe(0);
      // The runs chart is drawn at the width it is shown at, so its labels keep their size.
      const label = await page.locator('[data-testid="ops-run"] .ops-row-label').first().boundingBox();
      expect(label?.height).toBeGreaterThanOrEqual(11);
      await page.screenshot({ path: screenshotPath(`ops-${width}`), fullPage: true });
      expect(opened.errors).toEqual([]);
    });

    it("a message over the server's maxFrameBytes is refused in the composer, naming the limit, and the connection stays up", async () => {
      await using opened = await openPage(`web-test-oversize-${width}`, { viewport });
      const { page } = opened;
      const input = page.locator('[data-testid="chat-input"]');
      const tooLong = `${'word '.repeat(14_000)}end`;
      await input.fill(tooLong);
      const error = page.locator('[data-testid="composer-error"]');
      await expect.poll(() => error.textContent()).toMatch(/Too long to send: this message takes 70,0\d\d bytes, and the server accepts at most 65,536 bytes per message/);
      expect(await page.locator('[data-testid="send"]').isDisabled()).toBe(true);
      await input.press('Enter');
      await page.screenshot({ path: screenshotPath(`oversize-${width}`) });
      expect(await page.locator('[data-run-id]').count()).toBe(0);
      await expect(input.inputValue()).resolves.toBe(tooLong);
      expect(await sidewaysOverflow(page)).toBe(0);

      // Shortened, it goes, on the same connection.
      await input.fill('What is 3 * 3?');
      expect(await error.isVisible()).toBe(false);
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-run-id][data-status="completed"]').waitFor();
      await expect(page.locator('[data-testid="connection"]').getAttribute('data-state')).resolves.toBe('open');
      expect(opened.errors).toEqual([]);
    });

    it('the composer grows with a long message and shrinks back once it is sent', async () => {
      await using opened = await openPage(`web-test-composer-${width}`, { viewport });
      const { page } = opened;
      const input = page.locator('[data-testid="chat-input"]');
      const heightOf = async (): Promise<number> => (await input.boundingBox())?.height ?? 0;
      const oneLine = await heightOf();
      await input.fill(Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n'));
      const grown = await heightOf();
      expect(grown).toBeGreaterThan(oneLine * 3);
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-run-id][data-status="completed"]').waitFor();
      await expect(input.inputValue()).resolves.toBe('');
      expect(await heightOf()).toBe(oneLine);
      expect(opened.errors).toEqual([]);
    });
  });

  describe('under auth: jwt', () => {
    const jwt: AuthOptions = { mode: 'jwt', secret: TEST_JWT_SECRET };
    const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3_600;

    it('asks for a token, says why a token was refused, signs in and out, and keeps the token for the tab only', async () => {
      const server = await startGateway({ auth: jwt });
      try {
        await using opened = await openTab('/', { viewport: { width: 390, height: 844 } }, server.url);
        const { page } = opened;
        const panel = page.locator('[data-testid="sign-in"]');
        const problem = page.locator('[data-testid="sign-in-error"]');
        await expect.poll(() => problem.textContent()).toContain('The server does not accept dev tokens (auth_failed');
        expect(await page.locator('[data-testid="chat-input"]').isVisible()).toBe(false);
        expect(await sidewaysOverflow(page)).toBe(0);
        await page.screenshot({ path: screenshotPath('sign-in-390') });

        const token = page.locator('[data-testid="sign-in-token"]');
        await token.fill('not-a-jwt');
        await page.locator('[data-testid="sign-in-submit"]').click();
        await expect.poll(() => problem.textContent()).toMatch(/The server did not accept that token \(auth_failed: .+\)\. Sign in with another one\./);

        await token.fill(await hs256('jwt-alice', inAnHour()));
        await page.locator('[data-testid="sign-in-submit"]').click();
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
        expect(await panel.isVisible()).toBe(false);
        await expect(page.locator('[data-testid="user-id"]').textContent()).resolves.toBe('jwt-alice');
        await send(page, 'What is 4 * 5?');
        await page.locator('[data-run-id][data-status="completed"]').waitFor();

        // The tab keeps its token across a reload, and shows its history again.
        await page.reload();
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
        await page.locator('[data-run-id][data-status="completed"]').waitFor();
        expect(await page.locator('[data-testid="sign-out"]').isVisible()).toBe(true);
        expect(await sidewaysOverflow(page)).toBe(0);
        await page.screenshot({ path: screenshotPath('signed-in-390') });

        // Signed out: back to the panel, with nothing of the user left, and no complaint.
        await page.locator('[data-testid="sign-out"]').click();
        await panel.waitFor();
        expect(await problem.isVisible()).toBe(false);
        expect(await page.locator('[data-run-id]').count()).toBe(0);
        await page.reload();
        await panel.waitFor();
        expect(await page.locator('[data-run-id]').count()).toBe(0);
        expect(opened.errors).toEqual([]);
      } finally {
        await server.close();
      }
    });

    it('a host app opens the page signed in with #token=<JWT>; the token leaves the address bar', async () => {
      const server = await startGateway({ auth: jwt });
      try {
        await using opened = await openTab(`/#token=${await hs256('jwt-bob', inAnHour())}`, { viewport: { width: 1280, height: 844 } }, server.url);
        const { page } = opened;
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
        await expect(page.locator('[data-testid="user-id"]').textContent()).resolves.toBe('jwt-bob');
        expect(await page.evaluate(() => location.href)).toBe(`${server.url}/`);
        await send(page, 'What is 5 * 5?');
        await page.locator('[data-run-id][data-status="completed"]').waitFor();
        await page.screenshot({ path: screenshotPath('signed-in-1280') });
        expect(opened.errors).toEqual([]);
      } finally {
        await server.close();
      }
    });

    it('a token that expires while connected brings the sign-in panel back, saying why', async () => {
      const clock = new ManualClock(Date.now());
      const server = await startGateway({ auth: jwt, clock });
      try {
        await using opened = await openTab(`/#token=${await hs256('jwt-carol', Math.floor(clock.now() / 1000) + 60)}`, {}, server.url);
        const { page } = opened;
        await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
        clock.advance(61_000);
        const problem = page.locator('[data-testid="sign-in-error"]');
        await expect.poll(() => problem.textContent()).toMatch(/The server did not accept that token \(auth_failed: .+\)\. Sign in with another one\./);
        expect(await page.locator('[data-testid="chat-input"]').isVisible()).toBe(false);
        expect(opened.errors).toEqual([]);
      } finally {
        await server.close();
      }
    });
  });
});
