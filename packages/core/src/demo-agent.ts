import { defineAgent, inputText, type AgentDefinition } from './agent.js';
import { evaluateArithmetic, findArithmetic } from './calculator.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { ToolDenied } from './input-request.js';
import type { RunEmitter } from './run-emitter.js';
import { estimateTokens } from './usage-meter.js';

export interface DemoAgentOptions {
  /** Pause between steps, for human eyes; tests use 0. @default 150 */
  delayMs?: number;
  /** @default the system clock */
  clock?: Clock;
}

export const DEMO_AGENT_DEFAULTS = { delayMs: 150 } as const;

/** How many `delayMs` one step of `/plan` takes: long enough to watch its state change. */
const PLAN_STEP_DELAYS = 5;

/** The model name the demo agent reports usage under; `DEFAULT_PRICES` prices it. */
export const DEMO_MODEL = 'demo-1';

function wordStats(text: string): { words: number; characters: number; longestWord: string } {
  const words = text.match(/[\p{L}\p{N}'’-]+/gu) ?? [];
  const longestWord = words.reduce((longest, word) => (word.length > longest.length ? word : longest), '');
  return { words: words.length, characters: [...text].length, longestWord };
}

async function streamAnswer(run: RunEmitter, answer: string, step: () => Promise<void>): Promise<void> {
  for (const piece of answer.match(/\S+\s*/g) ?? [answer]) {
    await run.messageDelta(piece);
    await step();
  }
  run.endMessage();
}

async function slowRun(run: RunEmitter, totalMs: number, delayMs: number, wait: (ms: number) => Promise<void>): Promise<string> {
  const stepMs = Math.max(10, Math.min(250, delayMs || 100));
  const steps = Math.max(1, Math.ceil(totalMs / stepMs));
  await run.thinking(`Working slowly for ${totalMs} ms; cancel me if you like.`);
  for (let i = 1; i <= steps; i++) {
    await wait(Math.min(stepMs, totalMs - (i - 1) * stepMs));
    await run.progress({ message: `step ${i} of ${steps}`, fraction: i / steps });
  }
  return `Done after ${totalMs} ms.`;
}

/** The email `/approve` drafts; sending it is what needs the user's approval. */
const DEMO_EMAIL = { to: 'team@example.com', subject: 'Weekly status', body: 'All systems go.' } as const;

/** `/approve [ms]`: asks approval for a `send_email` call (expiring after `ms` when given), sends only when approved, says which. */
async function approveRun(run: RunEmitter, expiresInMs: number | undefined): Promise<string> {
  await run.thinking(`Drafting an email to ${DEMO_EMAIL.to}; it goes out only if you approve.`);
  const sent = await run.tool('send_email', DEMO_EMAIL, () => ({ sent: true, to: DEMO_EMAIL.to }), {
    approval: { prompt: `Send the email "${DEMO_EMAIL.subject}" to ${DEMO_EMAIL.to}?`, ...(expiresInMs === undefined ? {} : { expiresInMs }) },
  });
  if (!(sent instanceof ToolDenied)) return `The email "${DEMO_EMAIL.subject}" was sent to ${DEMO_EMAIL.to}.`;
  const why = sent.outcome === 'denied' ? `you denied it${sent.reason ? ` (${sent.reason})` : ''}` : sent.outcome === 'expired' ? 'nobody approved it in time' : 'the request was cancelled';
  return `The email was not sent: ${why}.`;
}

/** `/ask`: asks the user's name and greets them. */
async function askRun(run: RunEmitter): Promise<string> {
  const name = await run.requestInput({ kind: 'text', prompt: 'What is your name?' });
  return name.outcome === 'answered' ? `Nice to meet you, ${name.value}!` : `I did not get your name (${name.outcome}).`;
}

/** The options `/choose` offers. */
const DEMO_PLANS = ['Starter', 'Team', 'Enterprise'] as const;

/** `/choose`: asks to pick a plan (a `choice` request) and says which was picked. */
async function chooseRun(run: RunEmitter): Promise<string> {
  const plan = await run.requestInput({ kind: 'choice', prompt: 'Which plan should I set up?', options: [...DEMO_PLANS] });
  return plan.outcome === 'answered' ? `Setting up the ${plan.value} plan.` : `No plan was chosen (${plan.outcome}).`;
}

/** The form `/form` asks for: the common field types, two of them required. */
const DEMO_FORM_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Name', minLength: 1 },
    seats: { type: 'integer', title: 'Seats', minimum: 1, maximum: 500, description: 'How many people will use it (1 to 500).' },
    plan: { title: 'Plan', enum: [...DEMO_PLANS] },
    invoice: { type: 'boolean', title: 'Send an invoice' },
  },
  required: ['name', 'seats'],
  additionalProperties: false,
} as const;

/** `/form`: asks for a booking (a `form` request, checked against its JSON Schema) and repeats it. */
async function formRun(run: RunEmitter): Promise<string> {
  const booking = await run.requestInput({ kind: 'form', prompt: 'Book seats: who, how many, which plan?', schema: DEMO_FORM_SCHEMA });
  if (booking.outcome !== 'answered') return `Nothing was booked (${booking.outcome}).`;
  const { name, seats, plan, invoice } = booking.value as { name: string; seats: number; plan?: string; invoice?: boolean };
  return `Booked ${seats} seat${seats === 1 ? '' : 's'} of ${plan ?? DEMO_PLANS[0]} for ${name}${invoice ? ', invoice on its way' : ''}.`;
}

/** The plan `/plan` works through: its steps and their status are the run's shared state. */
const DEMO_PLAN = {
  goal: 'Write the weekly status report',
  steps: ['Collect the numbers', 'Draft the report', 'Review the draft', 'Send it to the team'],
} as const;

/** One step of `/plan`'s state. */
interface PlanStep {
  title: string;
  status: 'pending' | 'active' | 'done';
}

/** `/plan`'s state once `done` steps are done: the next one active, the rest pending. */
function planState(done: number): { goal: string; steps: PlanStep[]; done: number; total: number } {
  const steps = DEMO_PLAN.steps.map((title, i): PlanStep => ({ title, status: i < done ? 'done' : i === done ? 'active' : 'pending' }));
  return { goal: DEMO_PLAN.goal, steps, done, total: steps.length };
}

/**
 * `/plan`: works through a four-step plan, its shared state (`run.setState`) changing at each
 * step: a `state_snapshot` first, then a `state_delta` per step. A step takes `stepMs`.
 */
async function planRun(run: RunEmitter, stepMs: number, wait: (ms: number) => Promise<void>): Promise<string> {
  await run.thinking(`Planning "${DEMO_PLAN.goal}": the plan and how far it got are the run's state.`);
  for (let done = 0; done < DEMO_PLAN.steps.length; done++) {
    await run.setState(planState(done));
    await wait(stepMs);
  }
  await run.setState(planState(DEMO_PLAN.steps.length));
  return `Done: "${DEMO_PLAN.goal}" went through ${DEMO_PLAN.steps.length} steps.`;
}

/**
 * The built-in demo agent. For any input it thinks, calls a real tool (a
 * calculator for the first arithmetic in the input, otherwise word statistics),
 * streams its answer, reports estimated usage, and completes.
 *
 * Commands: `/fail` throws after starting (the run ends in `agent_error`);
 * `/slow <ms>` keeps the run going that long, emitting `progress`, so cancel can be tried;
 * `/approve` asks approval for a `send_email` tool call, sends only when approved, and
 * completes either way saying whether it was sent (`/approve <ms>`: the approval expires
 * after `<ms>`); `/ask` asks your name (a `text` request) and greets you with it; `/choose`
 * asks you to pick a plan (a `choice`); `/form` asks for a booking (a `form` with a JSON Schema);
 * `/plan` works through a four-step plan whose progress is the run's shared state
 * (`run.setState`), a step every 5 × `delayMs`.
 */
export function demoAgent(options: DemoAgentOptions = {}): AgentDefinition {
  const delayMs = options.delayMs ?? DEMO_AGENT_DEFAULTS.delayMs;
  const clock = options.clock ?? systemClock;
  return defineAgent({
    name: 'demo',
    description: 'Answers arithmetic with a calculator tool, anything else with word statistics.',
    async run({ input, run, signal }) {
      const text = inputText(input).trim();
      const wait = (ms: number): Promise<void> => sleep(clock, ms, signal);
      const step = (): Promise<void> => wait(delayMs);

      if (text === '/fail') {
        await run.thinking('Asked to fail: throwing now.');
        await step();
        throw new Error('The demo agent failed on purpose (/fail).');
      }

      let answer: string;
      const slow = /^\/slow\s+(\d+)\s*$/.exec(text);
      const approve = /^\/approve(?:\s+(\d+))?\s*$/.exec(text);
      if (slow) {
        answer = await slowRun(run, Number(slow[1]), delayMs, wait);
      } else if (approve) {
        answer = await approveRun(run, approve[1] === undefined ? undefined : Math.min(2 ** 31 - 1, Math.max(1, Number(approve[1]))));
      } else if (text === '/ask') {
        answer = await askRun(run);
      } else if (text === '/choose') {
        answer = await chooseRun(run);
      } else if (text === '/form') {
        answer = await formRun(run);
      } else if (text === '/plan') {
        answer = await planRun(run, PLAN_STEP_DELAYS * delayMs, wait);
      } else {
        const expression = findArithmetic(text);
        if (expression !== undefined) {
          await run.thinking(`I see arithmetic: ${expression}. Using the calculator.`);
          await step();
          const { value } = await run.tool('calculator', { expression }, () => ({ value: evaluateArithmetic(expression) }));
          answer = `${expression} = ${value}.`;
        } else {
          await run.thinking('No arithmetic here; counting words instead.');
          await step();
          const stats = await run.tool('word_stats', { text }, () => wordStats(text));
          answer = `Your message has ${stats.words} words and ${stats.characters} characters; the longest word is "${stats.longestWord}".`;
        }
        await step();
        await run.thinking('Writing the answer.');
      }
      await streamAnswer(run, answer, step);
      await run.usage({ model: DEMO_MODEL, inputTokens: estimateTokens(text), outputTokens: estimateTokens(answer) });
      return { text: answer };
    },
  });
}
