const USER_KEY = 'agentwire:user';
const USER_ID_PATTERN = /^[\w.@:-]{1,64}$/;

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

/** The token of dev auth (docs/protocol.md §9). Production pages get a JWT from their backend instead. */
export function devToken(userId: string): string {
  return `dev:${userId}`;
}

function randomSuffix(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}

/** Storage access throws in some privacy modes; the page then works without it. */
export function readStorage(storage: Storage | undefined, key: string): string | undefined {
  try {
    return storage?.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

export function writeStorage(storage: Storage | undefined, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Not persisted: the page still works, it only forgets on reload.
  }
}
