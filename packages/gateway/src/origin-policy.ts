/**
 * Which browser pages may open a WebSocket (`allowedOrigins`). Browsers send `Origin`
 * on every WebSocket handshake and let any page connect anywhere, so without this check
 * a foreign page could use a token it obtained (or a cookie-authenticated proxy in
 * front of the server) to talk to agentwire. Clients without `Origin` are not browsers
 * and are allowed; their token is what authenticates them.
 */
export class OriginPolicy {
  readonly #any: boolean;
  readonly #allowed: ReadonlySet<string>;

  /** @param allowedOrigins origins such as `https://app.example.com`, or `"*"` for any. */
  constructor(allowedOrigins: readonly string[]) {
    this.#any = allowedOrigins.includes('*');
    this.#allowed = new Set(allowedOrigins.filter((origin) => origin !== '*').map(normaliseOrigin));
  }

  /** Whether a handshake with this `Origin` and `Host` header may proceed. */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined || this.#any) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      // Includes the literal "null" of sandboxed frames and file:// pages.
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    // Same origin: the page was served by this server (the host it asked for).
    if (host !== undefined && url.host === host.toLowerCase()) return true;
    return this.#allowed.has(url.origin);
  }
}

function normaliseOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new RangeError(`allowedOrigins: "${origin}" is not an origin such as https://app.example.com`);
  }
  if (url.origin === 'null' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new RangeError(`allowedOrigins: "${origin}" is not an origin such as https://app.example.com (no path)`);
  }
  return url.origin;
}
