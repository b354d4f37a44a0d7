import { createClient, type AgentwireClientError } from 'agentwire-client';
import { setUpComposer } from './composer.js';
import { renderConnectionState } from './connection-indicator.js';
import { devToken, resolveUserId } from './identity.js';
import { OpsPanel } from './ops-panel.js';
import { sessionPositionStore } from './position-store.js';
import { RunList } from './run-list.js';
import './styles.css';

/**
 * The demo page: a chat box that starts runs of the `demo` agent as a dev user, and
 * every run of that user drawn live from the event stream.
 *
 * Reload: the tab keeps its stream position in sessionStorage and, on reload, asks for
 * the retained history of that epoch (`resume.offset` 0, docs/protocol.md §4), so the
 * timeline is redrawn and runs in progress carry on. If the server lost that
 * history (a restart), the client reports a reset and the page starts fresh.
 */
function storage(kind: 'localStorage' | 'sessionStorage'): Storage | undefined {
  try {
    return window[kind];
  } catch {
    return undefined;
  }
}

function required<T extends HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`the page has no ${selector}`);
  return found;
}

const userId = resolveUserId(location.search, storage('localStorage'));
const positions = sessionPositionStore(userId, storage('sessionStorage'));
const stored = positions.load();

const client = createClient({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`,
  token: devToken(userId),
  ...(stored ? { resume: { epoch: stored.epoch, offset: 0 } } : {}),
});

const connection = required<HTMLElement>('[data-testid="connection"]');
required<HTMLElement>('[data-testid="user-id"]').textContent = userId;
const banner = required<HTMLElement>('[data-testid="banner"]');

const runs = new RunList(required('[data-testid="runs"]'), required('[data-testid="empty"]'), {
  onCancel: (runId) => client.cancel(runId),
});

function savePosition(): void {
  if (client.position) positions.save(client.position);
}

function showBanner(text: string): void {
  banner.hidden = false;
  banner.textContent = text;
}

/** The last fatal server error; shown if it ends the client for good (the indicator covers the rest). */
let lastFatal: AgentwireClientError | undefined;

renderConnectionState(connection, client.state);
client.onState((state) => {
  renderConnectionState(connection, state);
  if (state.status === 'open') {
    lastFatal = undefined;
    savePosition();
  } else if (state.status === 'closed' && state.reason !== 'client_closed') {
    const why = lastFatal ? `${lastFatal.code}: ${lastFatal.message}` : (state.reason ?? 'closed');
    showBanner(`Disconnected for good (${why}). Reload the page to try again.`);
  }
});
// Runs seen first as a snapshot (going when the page connected, or after a reset) get a card.
client.onRun((snapshot) => {
  if (!runs.has(snapshot.runId)) runs.applySnapshot(snapshot);
});
client.on('*', (event) => {
  runs.applyEvent(event);
  savePosition();
});
client.onReset((info) => {
  savePosition();
  if (runs.size > 0) {
    runs.notice(`The stream was reset (${info.reason.replaceAll('_', ' ')}); events before this line may be missing.`);
  }
});
client.onError((error) => {
  if (error.fatal) lastFatal = error;
  else console.warn('agentwire:', error.code, error.message);
});

setUpComposer(
  {
    form: required('[data-testid="composer"]'),
    input: required('[data-testid="chat-input"]'),
    send: required('[data-testid="send"]'),
    examples: required('[data-testid="examples"]'),
    error: required('[data-testid="composer-error"]'),
  },
  async (text) => {
    const pending = runs.addPending(text);
    try {
      const { runId } = await client.run(text, { agent: 'demo' });
      runs.adopt(pending, runId);
    } catch (error) {
      pending.reject(error instanceof Error ? error.message : String(error));
    }
  },
);

// A rejection means the client closed for good before its first welcome; onState shows why.
client.connect().catch(() => undefined);

// The second view: the live ops panel (`#ops`), polling the admin stats only while shown.
// `?adminToken=` is sent as its bearer token; without one the server answers loopback pages only.
const params = new URLSearchParams(location.search);
const adminToken = params.get('adminToken');
const opsInterval = Number(params.get('opsIntervalMs'));
const ops = new OpsPanel(required('[data-testid="ops-panel"]'), {
  ...(adminToken === null ? {} : { adminToken }),
  ...(opsInterval > 0 ? { intervalMs: opsInterval } : {}),
});

function showView(): void {
  const view = location.hash === '#ops' ? 'ops' : 'chat';
  for (const section of document.querySelectorAll<HTMLElement>('[data-view-of]')) section.hidden = section.dataset.viewOf !== view;
  for (const tab of document.querySelectorAll<HTMLElement>('.tab')) tab.setAttribute('aria-current', tab.dataset.view === view ? 'page' : 'false');
  document.body.dataset.view = view;
  if (view === 'ops') ops.start();
  else ops.stop();
}
window.addEventListener('hashchange', showView);
showView();
