import { defineAgent } from 'agentwire-core';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ManualClock } from 'agentwire-testing/clock';
import { connected, openTab, pageFixture, pageUrl, screenshotPath, send, sidewaysOverflow, startGateway, UI_TIMEOUT_MS, type OpenPage } from './page-support.js';

/**
 * The run card's state panel (issue 19, docs/protocol.md §6): the demo agent's `/plan` sets
 * its shared state step by step through a real gateway, and headless Chromium shows it, live,
 * after a reload, folded and unfolded, at phone and desktop widths.
 */

/** The demo agent's pauses, on a clock the test moves: a `/plan` step is 5 of them. */
const DELAY_MS = 100;
const PLAN_STEP_MS = 5 * DELAY_MS;
const agentClock = new ManualClock(Date.now());
/** Waits on the loaded machine. */
const POLL = { timeout: UI_TIMEOUT_MS };

/** Text that would be markup if the page ever parsed state as HTML. */
const MARKUP = '<img src="x" onerror="document.body.dataset.pwned = 1">';

/** A large, deep state, with markup and an unbroken 600-character word. */
const LARGE_STATE = {
  title: MARKUP,
  rows: Array.from({ length: 300 }, (_, i) => ({ id: i, label: `row ${i}`, tags: ['alpha', 'beta'] })),
  deep: Array.from({ length: 12 }).reduce<object>((inner, _, i) => ({ [`level${12 - i}`]: inner }), { bottom: true }),
  word: 'x'.repeat(600),
};

/**
 * Sets {@link LARGE_STATE}, then tries a state larger than `maxEventBytes`, which the emitter
 * refuses (`invalid_event`): the run fails, and the state it had stays.
 */
const stateProbe = defineAgent({
  name: 'state-probe',
  async run({ run }) {
    await run.setState(LARGE_STATE);
    await run.setState({ ...LARGE_STATE, blob: 'y'.repeat(70_000) });
    return { text: 'unreachable' };
  },
});

const fixture = pageFixture({ demo: { delayMs: DELAY_MS, clock: agentClock }, agents: [stateProbe] });

async function openPage(userId: string, width: number): Promise<OpenPage> {
  const opened = await openTab(fixture.browser, pageUrl(fixture.served.url, userId), { viewport: { width, height: 844 } });
  await connected(opened.page);
  return opened;
}

/** The status of each step of the plan the panel shows. */
async function shownSteps(json: Locator): Promise<string[]> {
  const state = JSON.parse((await json.textContent()) ?? 'null') as { steps: { title: string; status: string }[] };
  return state.steps.map((step) => `${step.title}: ${step.status}`);
}

/** The plan's steps as `/plan` leaves them once `done` are done. */
function planSteps(done: number): string[] {
  return ['Collect the numbers', 'Draft the report', 'Review the draft', 'Send it to the team'].map(
    (title, i) => `${title}: ${i < done ? 'done' : i === done ? 'active' : 'pending'}`,
  );
}

/** Ends the demo agent's current pause (a `/plan` step), once it is in one. */
async function finishStep(): Promise<void> {
  await expect.poll(() => agentClock.pending(), POLL).toEqual([PLAN_STEP_MS]);
  agentClock.advance(PLAN_STEP_MS);
}

/** Ends one of the demo agent's pauses (a streamed word, say), then reads the run card's status. */
async function stepUntilEnded(run: Locator): Promise<string | null> {
  agentClock.advance(DELAY_MS);
  return run.getAttribute('data-status');
}

/** The state box's size and scroll extent, in CSS pixels. */
function box(json: Locator): Promise<{ clientHeight: number; scrollHeight: number; clientWidth: number; scrollWidth: number }> {
  return json.evaluate((node) => ({ clientHeight: node.clientHeight, scrollHeight: node.scrollHeight, clientWidth: node.clientWidth, scrollWidth: node.scrollWidth }));
}

/** The panel is on screen, inside the viewport's width, and nothing scrolls sideways. */
async function expectFits(page: Page, panel: Locator, width: number): Promise<void> {
  expect(await panel.isVisible()).toBe(true);
  const rect = await panel.boundingBox();
  expect(rect?.x).toBeGreaterThanOrEqual(0);
  expect((rect?.x ?? 0) + (rect?.width ?? Infinity)).toBeLessThanOrEqual(width);
  expect(await sidewaysOverflow(page)).toBe(0);
}

describe('web page: the run state panel in headless Chromium', () => {
  describe.each([390, 1280])('at %i px wide', (width) => {
    it('/plan: the panel shows the state and follows it live; a reload mid-run shows the current state; it folds and stays folded across updates', async () => {
      await using opened = await openPage(`web-state-plan-${width}`, width);
      const { page } = opened;
      await send(page, '/plan');
      const run = page.locator('[data-run-id]');
      const panel = run.locator('[data-testid="state-panel"]');
      const toggle = panel.locator('[data-testid="state-toggle"]');
      const json = panel.locator('[data-testid="state-json"]');

      await expect.poll(() => shownSteps(json), POLL).toEqual(planSteps(0));
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
      await expect(panel.locator('[data-testid="state-summary"]').textContent()).resolves.toBe('goal, steps, done, total');
      expect(JSON.parse((await json.textContent()) ?? '')).toMatchObject({ goal: 'Write the weekly status report', done: 0, total: 4 });
      // Laid out for reading: a step is one line.
      await expect(json.textContent()).resolves.toContain('\n    { "title": "Collect the numbers", "status": "active" },\n');
      await expectFits(page, panel, width);

      await finishStep();
      await expect.poll(() => shownSteps(json), POLL).toEqual(planSteps(1));
      await page.screenshot({ path: screenshotPath(`state-plan-${width}`), fullPage: true });

      // A reload mid-run: the same run, with its current state.
      const runId = await run.getAttribute('data-run-id');
      await page.reload();
      await connected(page);
      await expect.poll(() => shownSteps(json), POLL).toEqual(planSteps(1));
      await expect(run.getAttribute('data-run-id')).resolves.toBe(runId);
      await expect(run.getAttribute('data-status')).resolves.toBe('running');
      await expectFits(page, panel, width);

      // Folded by its button: the JSON goes, and stays folded while the state changes.
      await toggle.click();
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
      expect(await json.isVisible()).toBe(false);
      await finishStep();
      await expect.poll(() => json.evaluate((node) => node.textContent), POLL).toContain('"done": 2');
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
      expect(await json.isVisible()).toBe(false);
      expect(await toggle.isVisible()).toBe(true);
      await toggle.click();
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
      expect(await shownSteps(json)).toEqual(planSteps(2));

      await finishStep();
      await finishStep();
      await expect.poll(() => shownSteps(json), POLL).toEqual(planSteps(4));
      // Then the answer, streamed word by word with a pause each.
      await expect.poll(() => stepUntilEnded(run), POLL).toBe('completed');
      await expect(run.locator('[data-testid="answer"]').textContent()).resolves.toBe('Done: "Write the weekly status report" went through 4 steps.');
      expect(await shownSteps(json)).toEqual(planSteps(4));
      // Four patches later, the keys are where they were.
      await expect(panel.locator('[data-testid="state-summary"]').textContent()).resolves.toBe('goal, steps, done, total');
      // The state events are the panel's, not steps of the timeline.
      expect(await run.locator('[data-event-type^="state_"]').count()).toBe(0);
      await expectFits(page, panel, width);
      expect(opened.errors).toEqual([]);
    });

    it('a large, deep state from another device: whole, as text, in a bounded box that scrolls; a state too large fails the run with invalid_event and the last one stays', async () => {
      const userId = `web-state-large-${width}`;
      await using opened = await openPage(userId, width);
      const { page } = opened;
      const started = await fetch(`${fixture.served.url}/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer dev:${userId}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'probe', agent: 'state-probe' }),
      });
      expect(started.status).toBe(202);
      const run = page.locator('[data-run-id][data-status="error"]');
      await run.waitFor();
      await expect(run.locator('[data-testid="error-message"]').textContent()).resolves.toMatch(/^invalid_event state: larger than maxEventBytes/);

      const panel = run.locator('[data-testid="state-panel"]');
      const json = panel.locator('[data-testid="state-json"]');
      const text = (await json.textContent()) ?? '';
      expect(JSON.parse(text)).toEqual(LARGE_STATE);
      // Each row on a line of its own; the deep part opens up, two spaces per level.
      expect(text).toContain('\n    { "id": 299, "label": "row 299", "tags": ["alpha", "beta"] }\n');
      expect(text).toContain('\n    "level1": {\n      "level2": {\n        "level3": {\n');
      expect(text).toContain('"level12": { "bottom": true }');
      await expect(panel.locator('[data-testid="state-summary"]').textContent()).resolves.toBe('title, rows, deep, word');
      // Markup in the state is text: no element made of it, nothing run.
      expect(await panel.locator('img').count()).toBe(0);
      await expect(json.textContent()).resolves.toContain(MARKUP.replaceAll('"', '\\"'));
      expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();

      const size = await box(json);
      expect(size.clientHeight).toBeLessThanOrEqual(width < 560 ? 240 : 320);
      expect(size.scrollHeight).toBeGreaterThan(size.clientHeight * 10);
      expect(size.scrollWidth).toBeLessThanOrEqual(size.clientWidth);
      await json.evaluate((node) => node.scrollTo({ top: node.scrollHeight }));
      await expect.poll(() => json.evaluate((node) => node.scrollTop), POLL).toBeGreaterThan(0);
      await expectFits(page, panel, width);
      await page.screenshot({ path: screenshotPath(`state-large-${width}`), fullPage: true });

      // Others are unaffected: a run of the same user afterwards goes as usual.
      await send(page, 'What is 2 * 21?');
      const next = page.locator('article.run').last();
      await expect.poll(() => stepUntilEnded(next), POLL).toBe('completed');
      await expect(next.locator('[data-testid="answer"]').textContent()).resolves.toBe('2 * 21 = 42.');
      await expect(next.locator('[data-testid="state-panel"]').isHidden()).resolves.toBe(true);
      expect(opened.errors).toEqual([]);
    });
  });

  it('a reset (the events the tab missed expired) shows the current state from the server\'s snapshot, and the run goes on live', async () => {
    const logClock = new ManualClock(Date.now());
    const server = await startGateway({ demo: { delayMs: DELAY_MS, clock: agentClock }, log: { clock: logClock, historyTtlMs: 60_000 } });
    try {
      // The tab's stream: held from a point on, then cut, so the tab resumes from before what it missed.
      let holding = false;
      let cut: (() => void) | undefined;
      await using opened = await openTab(fixture.browser, pageUrl(server.url, 'web-state-reset'), { viewport: { width: 1280, height: 844 } }, (page) =>
        page.routeWebSocket(/\/v1\/ws/, (ws) => {
          const upstream = ws.connectToServer();
          cut = () => {
            void upstream.close();
            void ws.close({ code: 1001, reason: 'cut by the test' });
          };
          upstream.onMessage((message) => {
            if (!holding || !String(message).includes('"op":"event"')) ws.send(message);
          });
        }),
      );
      const { page } = opened;
      await connected(page);
      await send(page, '/plan');
      const run = page.locator('[data-run-id]');
      const json = run.locator('[data-testid="state-json"]');
      await expect.poll(() => shownSteps(json), POLL).toEqual(planSteps(0));

      holding = true;
      await finishStep();
      await finishStep();
      // The two deltas never reached the tab, and leave the history.
      logClock.advance(120_000);
      expect(await shownSteps(json)).toEqual(planSteps(0));
      holding = false;
      cut?.();

      await expect(page.locator('[data-testid="notice"]').textContent()).resolves.toContain('some events before this line were missed');
      await expect.poll(() => shownSteps(json), POLL).toEqual(planSteps(2));
      await expect(run.getAttribute('data-status')).resolves.toBe('running');
      await finishStep();
      await expect.poll(() => shownSteps(json), POLL).toEqual(planSteps(3));
      expect(opened.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
