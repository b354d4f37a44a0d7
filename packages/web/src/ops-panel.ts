import { formatDuration, type ModelUsage, type OpsStats } from 'agentwire-protocol';
import { el } from './element.js';
import { linePath, svg } from './svg.js';

export interface OpsPanelOptions {
  /** Sent as `Authorization: Bearer …` when set; without it the server answers loopback pages only. */
  adminToken?: string;
  /** Between polls of the stats. @default 1_000 */
  intervalMs?: number;
}

/** Samples kept for the charts (one per poll). */
const HISTORY = 60;
/** Samples the events/s figure is averaged over. */
const RATE_WINDOW = 5;
const SPARK_W = 240;
const SPARK_H = 48;
/** Chart width before the panel was ever shown (then the charts take the width they have). */
const DEFAULT_CHART_W = 1000;
/** Below this chart width, a row's labels go on a line of their own above its bars. */
const STACKED_BELOW_W = 560;

/**
 * Where a row of the runs and models charts puts its parts. The charts are drawn at the
 * width they are shown at (one unit of the viewBox is one CSS pixel), so their text stays
 * readable on a phone: there, labels get a line above the bars instead of a column.
 */
interface ChartLayout {
  readonly width: number;
  readonly rowH: number;
  /** Where the bars start, and how wide they may be. */
  readonly plotX: number;
  readonly plotW: number;
  /** Baseline of the row's labels, and top of its bars, from the row's top. */
  readonly labelY: number;
  readonly barY: number;
  readonly barH: number;
  /** Right end of the status or cost label. */
  readonly statusX: number;
  /** Room kept right of the models' bars for their label and (side by side) the cost. */
  readonly modelsAsideW: number;
  readonly legendStep: number;
}

function chartLayout(width: number): ChartLayout {
  if (width < STACKED_BELOW_W) {
    return { width, rowH: 44, plotX: 0, plotW: width - 2, labelY: 14, barY: 20, barH: 16, statusX: width - 2, modelsAsideW: 70, legendStep: Math.floor(width / 4) };
  }
  const labelW = 210;
  return { width, rowH: 30, plotX: labelW, plotW: width - labelW - 10, labelY: 19, barY: 7, barH: 16, statusX: labelW - 8, modelsAsideW: 190, legendStep: 110 };
}

interface Sample {
  readonly at: number;
  readonly connections: number;
  readonly delivered: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly unacked: number;
}

function formatCount(value: number): string {
  return value >= 10_000 ? `${(value / 1_000).toFixed(1)}k` : String(Math.round(value));
}

interface Tile {
  readonly value: HTMLElement;
  readonly chart: SVGSVGElement;
}

/**
 * The live ops panel: connections, events/s, delivery latency p50/p99, unacked critical
 * events (each a number over a chart of the last minute), the timelines of active and
 * recent runs with their tool calls as bars, and tokens and cost per model. It polls
 * `/v1/admin/stats` while shown.
 */
export class OpsPanel {
  readonly #root: HTMLElement;
  readonly #options: Required<Pick<OpsPanelOptions, 'intervalMs'>> & OpsPanelOptions;
  readonly #samples: Sample[] = [];
  readonly #status: HTMLElement;
  readonly #tiles: Record<'connections' | 'rate' | 'latency' | 'unacked', Tile>;
  readonly #p50: HTMLElement;
  readonly #p99: HTMLElement;
  readonly #unackedNote: HTMLElement;
  readonly #timeline: SVGSVGElement;
  readonly #models: SVGSVGElement;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  /** The last stats drawn, to draw the charts again at a new width. */
  #last: OpsStats | undefined;

  constructor(root: HTMLElement, options: OpsPanelOptions = {}) {
    this.#root = root;
    this.#options = { intervalMs: 1_000, ...options };
    this.#status = el('span', { className: 'ops-status', attrs: { 'data-testid': 'ops-status' }, text: 'waiting for the first sample…' });
    const tile = (key: string, label: string, extra?: HTMLElement): Tile => {
      const value = el('div', { className: 'tile-value', attrs: { 'data-testid': `ops-${key}` }, text: '–' });
      const chart = svg('svg', { class: 'spark', viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' });
      root.querySelector('.ops-tiles')?.append(el('div', { className: `tile tile-${key}` }, el('div', { className: 'tile-label', text: label }), value, ...(extra ? [extra] : []), chart));
      return { value, chart };
    };
    this.#p50 = el('span', { className: 'p50', attrs: { 'data-testid': 'ops-latency-p50' }, text: '–' });
    this.#p99 = el('span', { className: 'p99', attrs: { 'data-testid': 'ops-latency-p99' }, text: '–' });
    this.#unackedNote = el('div', { className: 'tile-note' });
    root.replaceChildren(
      el('div', { className: 'ops-head' }, el('h2', { text: 'Live delivery' }), this.#status),
      el('div', { className: 'ops-tiles' }),
      el('section', { className: 'ops-card' }, el('h3', { text: 'Runs' }), el('p', { className: 'ops-hint', text: 'Active runs first, then the last ones to end. Bars are tool calls, with their durations.' })),
      el('section', { className: 'ops-card' }, el('h3', { text: 'Tokens and cost per model' })),
    );
    this.#tiles = {
      connections: tile('connections', 'Connections'),
      rate: tile('events-rate', 'Events delivered / s'),
      latency: tile('latency', 'Append → send latency', el('div', { className: 'tile-legend' }, el('span', { className: 'legend p50', text: 'p50 ' }), this.#p50, el('span', { className: 'legend p99', text: ' p99 ' }), this.#p99)),
      unacked: tile('unacked', 'Unacked critical events', this.#unackedNote),
    };
    this.#timeline = svg('svg', { class: 'ops-timeline', 'data-testid': 'ops-timeline', viewBox: `0 0 ${DEFAULT_CHART_W} 60` });
    this.#models = svg('svg', { class: 'ops-models', 'data-testid': 'ops-models', viewBox: `0 0 ${DEFAULT_CHART_W} 60` });
    const [runsCard, modelsCard] = root.querySelectorAll('.ops-card');
    runsCard?.append(this.#timeline);
    modelsCard?.append(this.#models);
    window.addEventListener('resize', () => {
      if (this.#last && !this.#root.hidden) this.#drawCharts(this.#last);
    });
  }

  /** Starts polling (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#poll();
  }

  /** Stops polling; the charts keep their last state. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #poll(): Promise<void> {
    try {
      const response = await fetch('/v1/admin/stats', {
        headers: this.#options.adminToken === undefined ? {} : { authorization: `Bearer ${this.#options.adminToken}` },
        cache: 'no-store',
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        throw new Error(`${response.status}: ${body.message ?? response.statusText}`);
      }
      this.render((await response.json()) as OpsStats);
      this.#root.dataset.state = 'live';
    } catch (error) {
      this.#root.dataset.state = 'error';
      this.#status.textContent = `stats unavailable (${error instanceof Error ? error.message : String(error)})`;
    }
    if (this.#running) this.#timer = setTimeout(() => void this.#poll(), this.#options.intervalMs);
  }

  /** Draws one sample of the stats (exposed for the poll loop and for tests). */
  render(stats: OpsStats): void {
    const previous = this.#samples[Math.max(0, this.#samples.length - RATE_WINDOW)];
    const elapsedS = previous ? (stats.now - previous.at) / 1_000 : 0;
    const rate = previous && elapsedS > 0 ? Math.max(0, (stats.eventsDelivered - previous.delivered) / elapsedS) : 0;
    this.#samples.push({
      at: stats.now,
      connections: stats.connections,
      delivered: stats.eventsDelivered,
      rate,
      p50: stats.latency.sendP50Ms ?? 0,
      p99: stats.latency.sendP99Ms ?? 0,
      unacked: stats.unackedCritical,
    });
    if (this.#samples.length > HISTORY) this.#samples.shift();
    this.#root.dataset.samples = String(this.#samples.length);
    this.#status.textContent = `updated ${new Date(stats.now).toLocaleTimeString()} · ${formatCount(stats.eventsDelivered)} events delivered since start`;

    this.#drawTile(this.#tiles.connections, String(stats.connections), this.#samples.map((s) => s.connections));
    this.#drawTile(this.#tiles.rate, rate < 10 ? rate.toFixed(1) : formatCount(rate), this.#samples.map((s) => s.rate));
    this.#p50.textContent = stats.latency.sendP50Ms === null ? '–' : `≤ ${formatDuration(stats.latency.sendP50Ms)}`;
    this.#p99.textContent = stats.latency.sendP99Ms === null ? '–' : `≤ ${formatDuration(stats.latency.sendP99Ms)}`;
    const p99s = this.#samples.map((s) => s.p99);
    this.#tiles.latency.value.textContent = '';
    this.#tiles.latency.chart.replaceChildren(
      svg('path', { class: 'line p99', d: linePath(p99s, SPARK_W, SPARK_H) }),
      svg('path', { class: 'line p50', d: linePath(this.#samples.map((s) => s.p50), SPARK_W, SPARK_H, { max: Math.max(...p99s) }) }),
    );
    this.#drawTile(this.#tiles.unacked, String(stats.unackedCritical), this.#samples.map((s) => s.unacked));
    this.#tiles.unacked.value.parentElement?.setAttribute('data-alert', stats.unackedCritical > 0 ? 'true' : 'false');
    this.#unackedNote.textContent = `older than ${formatDuration(stats.ackAlertMs)}`;
    this.#last = stats;
    this.#drawCharts(stats);
  }

  #drawCharts(stats: OpsStats): void {
    // The SVG is as wide as its card: its own width is the width to draw at.
    const layout = chartLayout(Math.round(this.#timeline.getBoundingClientRect().width) || DEFAULT_CHART_W);
    this.#drawTimeline(stats, layout);
    this.#drawModels(stats.models, layout);
  }

  #drawTile(tile: Tile, value: string, series: number[]): void {
    tile.value.textContent = value;
    tile.chart.replaceChildren(svg('path', { class: 'area', d: linePath(series, SPARK_W, SPARK_H, { area: true }) }), svg('path', { class: 'line', d: linePath(series, SPARK_W, SPARK_H) }));
  }

  #drawTimeline(stats: OpsStats, layout: ChartLayout): void {
    const { width, rowH, plotX, plotW, labelY, barY, barH, statusX } = layout;
    const runs = [...stats.runs.active, ...stats.runs.recent].slice(0, 12);
    const height = rowH * Math.max(1, runs.length) + 24;
    this.#timeline.setAttribute('viewBox', `0 0 ${width} ${height}`);
    if (runs.length === 0) {
      this.#timeline.replaceChildren(svg('text', { x: 0, y: 20, class: 'ops-empty' }, 'No runs yet.'));
      return;
    }
    const start = Math.min(...runs.map((run) => run.startedAt));
    const span = Math.max(1, stats.now - start);
    const x = (t: number): number => plotX + ((Math.min(Math.max(t, start), stats.now) - start) / span) * plotW;
    const rows = runs.map((run, i) => {
      const y = i * rowH;
      const end = run.endedAt ?? stats.now;
      const bars = run.tools.map((tool) => {
        const toolEnd = tool.endedAt ?? stats.now;
        const barW = Math.max(3, x(toolEnd) - x(tool.startedAt));
        const state = tool.endedAt === undefined ? 'running' : tool.ok === false ? 'failed' : 'ok';
        const label = `${tool.tool} ${formatDuration(toolEnd - tool.startedAt)}${tool.endedAt === undefined ? '…' : ''}`;
        // The label goes after the bar, or inside it when the bar reaches the right edge.
        const inside = x(tool.startedAt) + barW + label.length * 7 > width;
        const textY = y + barY + barH / 2 + 4;
        return svg(
          'g',
          { 'data-testid': 'ops-tool-bar', 'data-tool': tool.tool, 'data-state': state },
          svg('rect', { x: x(tool.startedAt), y: y + barY, width: barW, height: barH, rx: 3, class: `ops-tool ${state}` }),
          inside
            ? svg('text', { x: x(tool.startedAt) + barW - 6, y: textY, class: 'ops-bar-label inside', 'text-anchor': 'end' }, label)
            : svg('text', { x: x(tool.startedAt) + barW + 4, y: textY, class: 'ops-bar-label' }, label),
        );
      });
      return svg(
        'g',
        { 'data-testid': 'ops-run', 'data-run-id': run.runId, 'data-status': run.status },
        svg('text', { x: 0, y: y + labelY, class: 'ops-row-label' }, `${run.agent} · ${run.runId.slice(-6)}`),
        svg('text', { x: statusX, y: y + labelY, class: `ops-run-status ${run.status}`, 'text-anchor': 'end' }, run.status === 'running' ? formatDuration(end - run.startedAt) : run.status),
        svg('rect', { x: x(run.startedAt), y: y + barY + barH / 2 - 2, width: Math.max(2, x(end) - x(run.startedAt)), height: 4, rx: 2, class: `ops-run-span ${run.status}` }),
        ...bars,
      );
    });
    const axisY = rowH * runs.length + 16;
    this.#timeline.replaceChildren(
      ...rows,
      svg('text', { x: plotX, y: axisY, class: 'ops-axis' }, `−${formatDuration(span)}`),
      svg('text', { x: width - 10, y: axisY, class: 'ops-axis', 'text-anchor': 'end' }, 'now'),
    );
  }

  #drawModels(models: readonly ModelUsage[], layout: ChartLayout): void {
    const { width, rowH, plotX, labelY, barY, barH, statusX, modelsAsideW, legendStep } = layout;
    const shown = models.slice(0, 8);
    this.#models.setAttribute('viewBox', `0 0 ${width} ${rowH * Math.max(1, shown.length) + 24}`);
    if (shown.length === 0) {
      this.#models.replaceChildren(svg('text', { x: 0, y: 20, class: 'ops-empty' }, 'No finished runs yet.'));
      return;
    }
    const total = (m: ModelUsage): number => m.inputTokens + m.outputTokens + m.reasoningTokens;
    const max = Math.max(1, ...shown.map(total));
    const plotW = width - plotX - modelsAsideW;
    // Side by side, the cost has the row's right end; stacked, it shares the label line.
    const costX = plotX === 0 ? statusX : width - 10;
    const rows = shown.map((model, i) => {
      const y = i * rowH;
      let offset = plotX;
      // Cached tokens are part of the input: drawn as the input's lighter first part.
      const parts: [string, number][] = [
        ['cached', Math.min(model.cachedTokens, model.inputTokens)],
        ['input', model.inputTokens - Math.min(model.cachedTokens, model.inputTokens)],
        ['output', model.outputTokens],
        ['reasoning', model.reasoningTokens],
      ];
      const segments = parts
        .filter(([, count]) => count > 0)
        .map(([kind, count]) => {
          const segmentW = (count / max) * plotW;
          const rect = svg('rect', { x: offset, y: y + barY, width: segmentW, height: barH, class: `ops-tokens ${kind}` }, svg('title', {}, `${kind}: ${count} tokens`));
          offset += segmentW;
          return rect;
        });
      return svg(
        'g',
        { 'data-testid': 'ops-model', 'data-model': model.model },
        svg('text', { x: 0, y: y + labelY, class: 'ops-row-label' }, model.model),
        ...segments,
        svg('text', { x: offset + 8, y: y + barY + barH / 2 + 4, class: 'ops-bar-label' }, `${formatCount(total(model))} tok`),
        svg('text', { x: costX, y: y + labelY, class: 'ops-cost', 'text-anchor': 'end', 'data-testid': 'ops-model-cost' }, `$${model.costUsd.toFixed(model.costUsd < 0.01 ? 6 : 2)}`),
      );
    });
    const legendY = rowH * shown.length + 16;
    const legend = ['cached', 'input', 'output', 'reasoning'].map((kind, i) =>
      svg('g', {}, svg('rect', { x: plotX + i * legendStep, y: legendY - 9, width: 10, height: 10, class: `ops-tokens ${kind}` }), svg('text', { x: plotX + i * legendStep + 15, y: legendY, class: 'ops-axis' }, kind)),
    );
    this.#models.replaceChildren(...rows, ...legend);
  }
}
