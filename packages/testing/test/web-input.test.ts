import type { BrowserContextOptions, Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ManualClock } from 'agentwire-testing/clock';
import { connected, openTab, pageFixture, pageUrl, screenshotPath, send, sidewaysOverflow, startGateway, type OpenPage } from './page-support.js';

/**
 * The page's input cards (docs/protocol.md §10, issue 18): the demo agent's questions
 * (`/approve`, `/ask`, `/choose`, `/form`) asked through a real gateway, shown and answered
 * in headless Chromium, on every tab of the user.
 */
const fixture = pageFixture();

async function openPage(userId: string, options: BrowserContextOptions = {}, setup: { baseUrl?: string; beforeLoad?: (page: Page) => Promise<void> } = {}): Promise<OpenPage> {
  const opened = await openTab(fixture.browser, pageUrl(setup.baseUrl ?? fixture.served.url, userId), options, setup.beforeLoad);
  await connected(opened.page);
  return opened;
}

/** The one input card of the page's only run, once it is drawn. */
async function inputCard(page: Page): Promise<Locator> {
  const card = page.locator('[data-run-id] [data-testid="input-card"]');
  await card.waitFor();
  return card;
}

/** The run's final answer, once it completed. */
async function finalAnswer(page: Page): Promise<string | null> {
  const run = page.locator('[data-run-id][data-status="completed"]');
  await run.waitFor();
  return run.locator('[data-testid="answer"]').textContent();
}

describe('web page: human input in headless Chromium', () => {
  it('two tabs of one user: the approval shows on both, one approves, the other shows it approved at once; the email is sent', async () => {
    const viewport = { width: 1280, height: 844 };
    await using first = await openPage('web-input-two-tabs', { viewport });
    await using second = await openPage('web-input-two-tabs', { viewport });
    await send(first.page, '/approve');

    const here = await inputCard(first.page);
    const there = await inputCard(second.page);
    for (const card of [here, there]) {
      await expect(card.getAttribute('data-state')).resolves.toBe('pending');
      await expect(card.getAttribute('data-kind')).resolves.toBe('approval');
      await expect(card.locator('[data-testid="input-prompt"]').textContent()).resolves.toBe('Send the email "Weekly status" to team@example.com?');
    }
    await expect(second.page.locator('[data-run-id]').getAttribute('data-status')).resolves.toBe('waiting');
    await expect(second.page.locator('[data-testid="run-status"]').textContent()).resolves.toBe('Waiting for an answer');
    // Nothing ran yet: the tool call waits for the answer.
    expect(await first.page.locator('[data-event-type="tool_executing"], [data-event-type="tool_completed"]').count()).toBe(0);
    await second.page.screenshot({ path: screenshotPath('approval-pending-1280'), fullPage: true });

    await here.locator('[data-testid="approve"]').click();
    await there.and(second.page.locator('[data-state="answered"]')).waitFor();
    await expect(there.locator('[data-testid="input-resolution"]').textContent()).resolves.toMatch(/^Approvedat \d{1,2}:\d\d:\d\d( [AP]M)?$/);
    await expect.poll(() => here.locator('[data-testid="input-resolution"]').textContent()).toMatch(/^Approvedat \d{1,2}:\d\d:\d\d( [AP]M)? · from this tab$/);
    expect(await there.locator('[data-testid="approve"]').count()).toBe(0);
    for (const { page } of [first, second]) {
      await expect(finalAnswer(page)).resolves.toBe('The email "Weekly status" was sent to team@example.com.');
      await expect(page.locator('[data-event-type="tool_completed"][data-tool="send_email"]').getAttribute('data-tool-status')).resolves.toBe('ok');
    }
    await second.page.screenshot({ path: screenshotPath('approval-answered-1280'), fullPage: true });
    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  it('a tab whose answer loses the race shows the request answered elsewhere, not an error, then the winning answer', async () => {
    await using first = await openPage('web-input-race');
    // The second tab's stream is held from the resolution on, so it still shows the request open when it answers.
    const held: string[] = [];
    let holding = false;
    let toPage: ((message: string) => void) | undefined;
    await using second = await openTab(fixture.browser, pageUrl(fixture.served.url, 'web-input-race'), {}, (page) =>
      page.routeWebSocket(/\/v1\/ws/, (ws) => {
        const server = ws.connectToServer();
        toPage = (message) => ws.send(message);
        server.onMessage((message) => {
          const text = typeof message === 'string' ? message : message.toString();
          if (!holding && text.includes('"op":"event"') && text.includes('"type":"input_resolved"')) holding = true;
          if (holding && text.includes('"op":"event"')) held.push(text);
          else ws.send(text);
        });
      }),
    );
    await connected(second.page);
    await send(first.page, '/approve');
    const there = await inputCard(second.page);
    await (await inputCard(first.page)).locator('[data-testid="approve"]').click();
    await expect(finalAnswer(first.page)).resolves.toBe('The email "Weekly status" was sent to team@example.com.');
    await expect.poll(() => held.length).toBeGreaterThan(0);
    await expect(there.getAttribute('data-state')).resolves.toBe('pending');

    await there.locator('[data-testid="deny-reason"]').fill('too late');
    await there.locator('[data-testid="deny"]').click();
    await there.and(second.page.locator('[data-state="taken"]')).waitFor();
    await expect(there.locator('[data-testid="input-note"]').textContent()).resolves.toContain('Already answered elsewhere');
    expect(await there.locator('[data-testid="input-error"]').isVisible()).toBe(false);

    holding = false;
    for (const message of held.splice(0)) toPage?.(message);
    await there.and(second.page.locator('[data-state="answered"]')).waitFor();
    await expect(there.locator('[data-testid="input-resolution"]').textContent()).resolves.toMatch(/^Approvedat \d{1,2}:\d\d:\d\d( [AP]M)?$/);
    expect(await there.locator('[data-testid="input-note"]').isVisible()).toBe(false);
    await expect(finalAnswer(second.page)).resolves.toBe('The email "Weekly status" was sent to team@example.com.');
    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  it('a reload while the run waits shows the question again, in its place, and it is answered from there (/ask)', async () => {
    await using opened = await openPage('web-input-reload', { viewport: { width: 390, height: 844 } });
    const { page } = opened;
    await send(page, '/ask');
    await expect((await inputCard(page)).locator('[data-testid="input-prompt"]').textContent()).resolves.toBe('What is your name?');
    const runId = await page.locator('[data-run-id]').getAttribute('data-run-id');

    await page.reload();
    await connected(page);
    const card = await inputCard(page);
    await expect(page.locator('[data-run-id]').getAttribute('data-run-id')).resolves.toBe(runId);
    await expect(card.getAttribute('data-state')).resolves.toBe('pending');
    await expect(card.locator('[data-testid="input-prompt"]').textContent()).resolves.toBe('What is your name?');
    expect(await page.locator('[data-testid="input-card"]').count()).toBe(1);
    // The question comes after the step that led to it, as it happened.
    const steps = await page.locator('[data-testid="timeline"] > li').evaluateAll((items) => items.map((item) => item.getAttribute('data-event-type')));
    expect(steps.at(-1)).toBe('input_requested');
    await expect(page.locator('[data-run-id]').getAttribute('data-status')).resolves.toBe('waiting');
    expect(await sidewaysOverflow(page)).toBe(0);
    await page.screenshot({ path: screenshotPath('ask-pending-390'), fullPage: true });

    await card.locator('[data-testid="input-text"]').fill('Ada');
    await card.locator('[data-testid="input-text"]').press('Enter');
    await expect(finalAnswer(page)).resolves.toBe('Nice to meet you, Ada!');
    await expect(card.locator('[data-testid="input-resolution"]').textContent()).resolves.toMatch(/^Answered: Adaat /);
    expect(opened.errors).toEqual([]);
  });

  it('a denial with a reason reaches the agent: the email is not sent, and the final text says why', async () => {
    await using opened = await openPage('web-input-deny');
    const { page } = opened;
    await send(page, '/approve');
    const card = await inputCard(page);
    await card.locator('[data-testid="deny-reason"]').fill('not today');
    await card.locator('[data-testid="deny"]').click();
    await expect(finalAnswer(page)).resolves.toBe('The email was not sent: you denied it (not today).');
    await expect(card.locator('[data-testid="input-resolution"]').textContent()).resolves.toMatch(/^Denied: not todayat /);
    await expect(card.locator('[data-testid="input-resolution"]').getAttribute('data-denied')).resolves.toBe('');
    expect(await page.locator('[data-event-type="tool_executing"], [data-event-type="tool_completed"]').count()).toBe(0);
    expect(opened.errors).toEqual([]);
  });

  it('a choice is a button per option (/choose)', async () => {
    await using opened = await openPage('web-input-choice', { viewport: { width: 390, height: 844 } });
    const { page } = opened;
    await send(page, '/choose');
    const card = await inputCard(page);
    await expect(card.locator('[data-testid="choice-option"]').allTextContents()).resolves.toEqual(['Starter', 'Team', 'Enterprise']);
    expect(await sidewaysOverflow(page)).toBe(0);
    await card.locator('[data-testid="choice-option"]', { hasText: 'Team' }).click();
    await expect(finalAnswer(page)).resolves.toBe('Setting up the Team plan.');
    await expect(card.locator('[data-testid="input-resolution"]').textContent()).resolves.toMatch(/^Chose: Teamat /);
    expect(opened.errors).toEqual([]);
  });

  describe.each([390, 1280])('at %i px wide', (width) => {
    it("a form generated from the schema: the server's refusal shows inline and the form stays open; a valid one is sent (/form)", async () => {
      await using opened = await openPage(`web-input-form-${width}`, { viewport: { width, height: 844 } });
      const { page } = opened;
      await send(page, '/form');
      const card = await inputCard(page);
      const field = (name: string): Locator => card.locator(`[data-testid="form-field"][data-field="${name}"]`);
      await expect(card.locator('[data-testid="form-field"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-field')))).resolves.toEqual(['name', 'seats', 'plan', 'invoice']);
      await expect(field('name').locator('label').textContent()).resolves.toBe('Name *');
      await expect(field('seats').locator('input').getAttribute('type')).resolves.toBe('number');
      await expect(field('plan').locator('option').allTextContents()).resolves.toEqual(['—', 'Starter', 'Team', 'Enterprise']);
      await expect(field('invoice').locator('input').getAttribute('type')).resolves.toBe('checkbox');
      await expect(field('seats').textContent()).resolves.toContain('How many people will use it');

      // Seats out of range: the server (ajv) refuses it, and says so under the form.
      await field('name').locator('input').fill('Ada');
      await field('seats').locator('input').fill('0');
      await card.locator('[data-testid="input-submit"]').click();
      const error = card.locator('[data-testid="input-error"]');
      await expect.poll(() => error.textContent()).toBe('the form does not fit its schema: /seats must be >= 1 (invalid_response)');
      await expect(card.getAttribute('data-state')).resolves.toBe('pending');
      expect(await sidewaysOverflow(page)).toBe(0);
      await page.screenshot({ path: screenshotPath(`form-refused-${width}`), fullPage: true });

      await field('seats').locator('input').fill('3');
      await field('plan').locator('select').selectOption({ label: 'Team' });
      await field('invoice').locator('input').check();
      await card.locator('[data-testid="input-submit"]').click();
      await expect(finalAnswer(page)).resolves.toBe('Booked 3 seats of Team for Ada, invoice on its way.');
      await expect(card.locator('[data-testid="input-resolution"]').textContent()).resolves.toContain('Form sent');
      expect(await error.isVisible()).toBe(false);
      expect(await sidewaysOverflow(page)).toBe(0);
      await page.screenshot({ path: screenshotPath(`form-sent-${width}`), fullPage: true });
      expect(opened.errors).toEqual([]);
    });
  });

  it('an expiring approval counts down on the page clock, reads "expired" at its expiry, and shows the server\'s expiry (/approve <ms>)', async () => {
    const serverClock = new ManualClock(Date.now());
    const server = await startGateway({ hubClock: serverClock });
    try {
      await using opened = await openPage('web-input-expiry', { viewport: { width: 390, height: 844 } }, {
        baseUrl: server.url,
        beforeLoad: (page) => page.clock.setFixedTime(serverClock.now()),
      });
      const { page } = opened;
      await send(page, '/approve 60000');
      const card = await inputCard(page);
      const expiresAt = Number(await card.getAttribute('data-expires-at'));
      expect(expiresAt).toBe(serverClock.now() + 60_000);
      const countdown = card.locator('[data-testid="input-countdown"]');
      await expect.poll(() => countdown.textContent()).toBe('expires in 1:00');

      await page.clock.setFixedTime(expiresAt - 30_000);
      await expect.poll(() => countdown.textContent()).toBe('expires in 30 s');
      await page.screenshot({ path: screenshotPath('expiry-countdown-390'), fullPage: true });
      await page.clock.setFixedTime(expiresAt);
      await expect.poll(() => countdown.textContent()).toBe('expired');
      expect(await card.locator('[data-testid="approve"]').isDisabled()).toBe(true);

      // The server's clock reaches the expiry: the request resolves `expired`, and the agent goes on.
      serverClock.advance(60_000);
      await expect(finalAnswer(page)).resolves.toBe('The email was not sent: nobody approved it in time.');
      await expect(card.getAttribute('data-state')).resolves.toBe('expired');
      await expect(card.locator('[data-testid="input-resolution"]').textContent()).resolves.toMatch(/^Expired: nobody answered in time\.at /);
      expect(await page.locator('[data-event-type="tool_executing"], [data-event-type="tool_completed"]').count()).toBe(0);
      expect(opened.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
