const USER_KEY = 'agentwire:user';
const TOKEN_KEY = 'agentwire:token';
const NEEDS_TOKEN_KEY = 'agentwire:needs-token';
const USER_ID_PATTERN = /^[\w.@:-]{1,64}$/;

/**
 * Who this tab is to the server. `token`: a token the user signed in with, or that a host
 * app handed over in the URL fragment; the server says whose it is (`welcome.userId`).
 * `dev`: the dev user of this browser, with the token of dev auth (`dev:<userId>`).
 */
export type Identity = { readonly kind: 'token'; readonly token: string } | { readonly kind: 'dev'; readonly userId: string; readonly token: string };

/**
 * The tab's identity: a token in the URL fragment (`#token=<JWT>`, the host-app hook: it is
 * kept in sessionStorage and taken out of the address bar), else the token this tab signed
 * in with (sessionStorage: this tab only, until sign-out or the tab closes), else the dev
 * user, unless the server already refused dev tokens in this tab (then `undefined`: the
 * page asks the user to sign in).
 */
export function resolveIdentity(location: Location, history: History, local: Storage | undefined, session: Storage | undefined): Identity | undefined {
  const fromFragment = takeFragmentToken(location, history);
  if (fromFragment !== undefined) saveToken(session, fromFragment);
  const token = fromFragment ?? readStorage(session, TOKEN_KEY);
  if (token !== undefined) return { kind: 'token', token };
  if (readStorage(session, NEEDS_TOKEN_KEY) !== undefined) return undefined;
  const userId = resolveUserId(location.search, local);
  return { kind: 'dev', userId, token: devToken(userId) };
}

/** Keeps a token for this tab; the next identity is that token's. */
export function saveToken(session: Storage | undefined, token: string): void {
  writeStorage(session, TOKEN_KEY, token);
}

/**
 * Forgets the tab's token. `needsToken`: the server refused a dev token, so the tab asks
 * for a token from now on instead of trying the dev user again.
 */
export function forgetToken(session: Storage | undefined, needsToken: boolean): void {
  try {
    session?.removeItem(TOKEN_KEY);
  } catch {
    // Not persisted anyway.
  }
  if (needsToken) writeStorage(session, NEEDS_TOKEN_KEY, '1');
}

/**
 * `#token=<JWT>` in the fragment (next to a view, as in `#ops&token=…`): returns the token
 * and removes it from the address bar, so it is not bookmarked, shared or shown. A fragment
 * never reaches a server or its logs.
 */
function takeFragmentToken(location: Location, history: History): string | undefined {
  const parts = location.hash.replace(/^#/, '').split('&');
  const index = parts.findIndex((part) => part.startsWith('token='));
  if (index < 0) return undefined;
  const token = decodeURIComponent(parts[index]?.slice('token='.length) ?? '').trim();
  parts.splice(index, 1);
  const rest = parts.join('&');
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest === '' ? '' : `#${rest}`}`);
  return token === '' ? undefined : token;
}

/**
 * The dev user of this page: `?user=<id>` in the URL when given (to try several users
 * side by side), else a random `web-xxxx` remembered in localStorage, so every tab of
 * this browser is the same user and sees the same stream.
 */
export function resolveUserId(search: string, storage: Storage | undefined): string {
  const fromUrl = new URLSearchParams(search).get('user')?.trim();
  if (fromUrl && USER_ID_PATTERN.test(fromUrl)) return fromUrl;
  const stored = readStorage(storage, USER_KEY);
  if (stored && USER_ID_PATTERN.test(stored)) return stored;
  const created = `web-${randomSuffix(4)}`;
  writeStorage(storage, USER_KEY, created);
  return created;
}

/** The token of dev auth (docs/protocol.md §9). */
export function devToken(userId: string): string {
  return `dev:${userId}`;
}

function randomSuffix(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}

/** Storage access throws in some privacy modes; the page then works without it. */
function readStorage(storage: Storage | undefined, key: string): string | undefined {
  try {
    return storage?.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeStorage(storage: Storage | undefined, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Not persisted: the page still works, it only forgets on reload.
  }
}
