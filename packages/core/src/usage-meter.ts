import type { Usage } from 'agentwire-protocol';

/** Price of one model in US dollars per million tokens. */
export interface ModelPrice {
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
  /** @default inputPerMillionUsd */
  cachedInputPerMillionUsd?: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * Prices known out of the box. Extend or override them with `createHub({ prices })`;
 * a model without a price is still counted, just without cost.
 */
export const DEFAULT_PRICES: PriceTable = Object.freeze({
  'demo-1': { inputPerMillionUsd: 1, outputPerMillionUsd: 4 },
  'gpt-4o': { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10, cachedInputPerMillionUsd: 1.25 },
  'gpt-4o-mini': { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6, cachedInputPerMillionUsd: 0.075 },
  'claude-sonnet-4': { inputPerMillionUsd: 3, outputPerMillionUsd: 15, cachedInputPerMillionUsd: 0.3 },
  'claude-haiku-3.5': { inputPerMillionUsd: 0.8, outputPerMillionUsd: 4, cachedInputPerMillionUsd: 0.08 },
});

/** One model call's token counts, as reported by the model or estimated. */
export interface UsageDelta {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
}

interface ModelTotals {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
}

const round = (usd: number): number => Math.round(usd * 1e9) / 1e9;

/**
 * Adds token counts per model across a run and prices them. `usage()` is the
 * cumulative figure carried by `usage_updated` and every terminal event.
 */
export class UsageMeter {
  readonly #prices: PriceTable;
  readonly #models = new Map<string, ModelTotals>();

  constructor(prices: PriceTable = DEFAULT_PRICES) {
    this.#prices = prices;
  }

  add(delta: UsageDelta): void {
    for (const key of ['inputTokens', 'outputTokens', 'cachedInputTokens', 'reasoningTokens'] as const) {
      const value = delta[key] ?? 0;
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(`${key} must be a non-negative integer, got ${String(value)}`);
      }
    }
    const totals = this.#models.get(delta.model) ?? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
    totals.inputTokens += delta.inputTokens;
    totals.outputTokens += delta.outputTokens;
    totals.cachedInputTokens += delta.cachedInputTokens ?? 0;
    totals.reasoningTokens += delta.reasoningTokens ?? 0;
    this.#models.set(delta.model, totals);
  }

  /** The price of `totals` for `model`, or undefined when the model has no price. */
  #cost(model: string, totals: ModelTotals): number | undefined {
    const price = this.#prices[model];
    if (!price) return undefined;
    const cached = Math.min(totals.cachedInputTokens, totals.inputTokens);
    const fresh = totals.inputTokens - cached;
    const usd =
      (fresh * price.inputPerMillionUsd +
        cached * (price.cachedInputPerMillionUsd ?? price.inputPerMillionUsd) +
        totals.outputTokens * price.outputPerMillionUsd) /
      1e6;
    return round(usd);
  }

  usage(): Usage {
    let inputTokens = 0;
    let outputTokens = 0;
    let cachedInputTokens = 0;
    let reasoningTokens = 0;
    let costUsd: number | undefined;
    const models: NonNullable<Usage['models']> = [];
    for (const [model, totals] of this.#models) {
      inputTokens += totals.inputTokens;
      outputTokens += totals.outputTokens;
      cachedInputTokens += totals.cachedInputTokens;
      reasoningTokens += totals.reasoningTokens;
      const cost = this.#cost(model, totals);
      if (cost !== undefined) costUsd = round((costUsd ?? 0) + cost);
      models.push({
        model,
        inputTokens: totals.inputTokens,
        outputTokens: totals.outputTokens,
        ...(cost === undefined ? {} : { costUsd: cost }),
      });
    }
    return {
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
      ...(cachedInputTokens > 0 ? { cachedInputTokens } : {}),
      ...(reasoningTokens > 0 ? { reasoningTokens } : {}),
      ...(costUsd === undefined ? {} : { costUsd }),
      ...(models.length > 0 ? { models } : {}),
    };
  }
}

/** A rough token count for text, about four characters a token, for agents without a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
