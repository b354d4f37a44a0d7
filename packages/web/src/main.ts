import { AgentwireClientError, CLIENT_ERROR_CODES, createClient, type AgentwireClient } from 'agentwire-client';
import { setUpComposer } from './composer.js';
import { renderConnectionState } from './connection-indicator.js';
import { historyStart } from './history-start.js';
import { forgetToken, resolveIdentity, saveToken, type Identity } from './identity.js';
import { messageRefusal } from './message-size.js';
import { OpsPanel } from './ops-panel.js';
import { describeReset } from './reset-notice.js';
import { RunList } from './run-list.js';
import { SignInPanel } from './sign-in.js';
import './styles.css';

/**
 * The demo page: a chat box that starts runs of the `demo` agent, and every run of the
 * user drawn live from the event stream.
 *
 * Who: the dev user (`dev:<userId>`), or, on a server that checks tokens, the token the
 * user signed in with or a host app passed as `#token=<JWT>` (identity.ts).
 *
 * History: every tab, new or reloaded, shows the runs the server still retains, then live
 * ones (history-start.ts). After a reset (a server restart: a new epoch), runs the server
 * no longer has going are marked interrupted: their end will never come.
 */
const DEMO_AGENT = 'demo';

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

const local = storage('localStorage');
const session = storage('sessionStorage');
const connection = required<HTMLElement>('[data-testid="connection"]');
const user = required<HTMLElement>('[data-testid="user"]');
const userId = required<HTMLElement>('[data-testid="user-id"]');
const signOut = required<HTMLButtonElement>('[data-testid="sign-out"]');
const banner = required<HTMLElement>('[data-testid="banner"]');

/** The client of the current identity; none while the page asks the user to sign in. */
let client: AgentwireClient | undefined;
/** Bumped by every start and stop, so a start that was overtaken while it waited gives up. */
let generation = 0;

const runs = new RunList(required('[data-testid="runs"]'), required('[data-testid="empty"]'), {
  onCancel: (runId) => (client ? client.cancel(runId) : Promise.reject(new Error('Not connected.'))),
  onRespond: (runId, requestId, value) => (client ? client.respond(runId, requestId, value) : Promise.reject(new Error('Not connected.'))),
});

const signIn = new SignInPanel(
  {
    panel: required('[data-testid="sign-in"]'),
    form: required('[data-testid="sign-in-form"]'),
    input: required('[data-testid="sign-in-token"]'),
    error: required('[data-testid="sign-in-error"]'),
  },
  (token) => {
    saveToken(session, token);
    void start({ kind: 'token', token });
  },
);

function showBanner(text: string | undefined): void {
  banner.hidden = text === undefined;
  banner.textContent = text ?? '';
}

/** Ends the current client and clears what it drew. */
function stop(): void {
  generation++;
  client?.close();
  client = undefined;
  runs.clear();
  showBanner(undefined);
}

/**
 * The server refused the identity's token: the page asks for a token, saying why. A
 * refused dev token means the server checks tokens, so this tab asks from now on.
 */
function requireSignIn(identity: Identity | undefined, problem?: string): void {
  stop();
  forgetToken(session, identity?.kind === 'dev');
  document.body.dataset.auth = 'signed-out';
  user.hidden = true;
  signOut.hidden = true;
  renderConnectionState(connection, { status: 'idle', attempt: 0 });
  if (identity === undefined) signIn.show();
  else if (identity.kind === 'dev') signIn.show(`The server does not accept dev tokens (${problem ?? 'auth_failed'}): sign in with a token it issued.`);
  else signIn.show(`The server did not accept that token (${problem ?? 'auth_failed'}). Sign in with another one.`);
}

function showIdentity(identity: Identity): void {
  document.body.dataset.auth = 'signed-in';
  signIn.hide();
  user.hidden = false;
  signOut.hidden = identity.kind !== 'token';
  userId.textContent = identity.kind === 'dev' ? identity.userId : '…';
  user.title =
    identity.kind === 'dev'
      ? 'The dev user of this browser; open ?user=name to be someone else'
      : 'The user your token names (its sub)';
}

async function start(identity: Identity): Promise<void> {
  stop();
  const started = generation;
  showIdentity(identity);
  renderConnectionState(connection, { status: 'connecting', attempt: 0 });
  const history = await historyStart(identity.token);
  if (started !== generation) return;
  if (history.kind === 'refused') {
    requireSignIn(identity, `${history.code}: ${history.message}`);
    return;
  }
  const current = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`,
    token: identity.token,
    ...(history.kind === 'retained' ? { resume: history.resume } : {}),
  });
  client = current;

  /** The last fatal server error; shown if it ends the client for good (the indicator covers the rest). */
  let lastFatal: AgentwireClientError | undefined;
  renderConnectionState(connection, current.state);
  current.onState((state) => {
    if (client !== current) return;
    renderConnectionState(connection, state);
    if (state.status === 'open') {
      lastFatal = undefined;
      userId.textContent = current.userId ?? '';
      composer.refresh();
    } else if (state.status === 'closed' && (state.reason === 'auth_failed' || state.reason === 'token_expired')) {
      requireSignIn(identity, lastFatal ? `${lastFatal.code}: ${lastFatal.message}` : state.reason);
    } else if (state.status === 'closed' && state.reason !== 'client_closed') {
      const why = lastFatal ? `${lastFatal.code}: ${lastFatal.message}` : (state.reason ?? 'closed');
      showBanner(`Disconnected for good (${why}). Reload the page to try again.`);
    }
  });
  // Runs seen first as a snapshot (going when the page connected, or after a reset) get a card;
  // every change of a run's snapshot carries its shared state to the card's state panel.
  current.onRun((snapshot) => {
    if (!runs.has(snapshot.runId)) runs.applySnapshot(snapshot);
    else runs.showState(snapshot);
  });
  current.on('*', (event) => runs.applyEvent(event));
  current.onReset((info) => {
    // The client already rebuilt its runs from the server's active ones.
    const text = describeReset(info.reason);
    runs.interruptAllExcept(new Set(current.runs.keys()), text.interrupted);
    // Runs still going: their cards catch up (questions asked or resolved meanwhile); new ones come through onRun.
    for (const snapshot of current.runs.values()) if (runs.has(snapshot.runId)) runs.applySnapshot(snapshot);
    if (runs.size > 0) runs.notice(text.notice);
  });
  current.onError((error) => {
    if (error.fatal) lastFatal = error;
    else console.warn('agentwire:', error.code, error.message);
  });
  // A rejection means the client closed for good before its first welcome; onState shows why.
  current.connect().catch(() => undefined);
}

const composer = setUpComposer(
  {
    form: required('[data-testid="composer"]'),
    input: required('[data-testid="chat-input"]'),
    send: required('[data-testid="send"]'),
    examples: required('[data-testid="examples"]'),
    error: required('[data-testid="composer-error"]'),
  },
  {
    refusal: (text) => messageRefusal(text, DEMO_AGENT, client?.maxFrameBytes),
    async onSend(text) {
      if (!client) throw new Error('Not connected.');
      const pending = runs.addPending(text);
      try {
        const { runId } = await client.run(text, { agent: DEMO_AGENT });
        runs.adopt(pending, runId);
      } catch (error) {
        if (error instanceof AgentwireClientError && error.code === CLIENT_ERROR_CODES.frameTooLarge) {
          // Never sent: no card, and the composer gives the text back with the reason.
          runs.discard(pending);
          throw error;
        }
        pending.reject(error instanceof Error ? error.message : String(error));
      }
    },
  },
);

/** Starts as whoever the tab is (identity.ts), or asks the user to sign in. */
function begin(): void {
  const identity = resolveIdentity(location, history, local, session);
  if (identity) void start(identity);
  else requireSignIn(undefined);
}

signOut.addEventListener('click', () => {
  forgetToken(session, false);
  begin();
});
begin();

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
