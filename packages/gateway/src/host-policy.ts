/** Whether a listen address or host name only reaches this machine: `localhost`, `127.0.0.0/8`, `::1`. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `Rebind.Example.` → `rebind.example`; `[::1]` keeps its brackets. */
function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** The name and port of a `Host` header (`example.com:7070`, `[::1]:7070`, `localhost`). */
function splitHost(value: string): { name: string; port: string | undefined } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(value.trim());
  return match ? { name: normaliseName(match[1] ?? ''), port: match[2] || undefined } : { name: '', port: undefined };
}

/**
 * Which `Host` a request must name to be given loopback trust: dev auth (anyone can be
 * anyone, accepted because the server listens on loopback only) and the admin API
 * without an admin token. Listening on loopback does not keep browsers out: with DNS
 * rebinding, a page of `http://rebind.evil.test:7070` whose name then resolves to
 * 127.0.0.1 is same-origin with the server, so the visitor's browser lets it open a
 * WebSocket as `dev:victim` or read `/v1/admin/stats`, with `Host: rebind.evil.test:7070`.
 * Loopback names cannot be rebound, so they are trusted (`localhost` and its
 * subdomains, `127.0.0.0/8`, `[::1]`); any other name must be listed in `publicHosts`.
 * A request without `Host` is not from a browser (browsers always send it) and passes.
 */
export class HostPolicy {
  readonly #names: ReadonlySet<string>;
  readonly #namesWithPort: ReadonlySet<string>;

  /** @param publicHosts host names (`agentwire.internal`), or names with a port (`dev-box:7070`), that this server is reached by. */
  constructor(publicHosts: readonly string[]) {
    const names = new Set<string>();
    const withPort = new Set<string>();
    for (const entry of publicHosts) {
      const { name, port } = splitHost(entry);
      if (name === '' || /[/@\s]/.test(entry)) throw new RangeError(`publicHosts: "${entry}" is not a host name such as agentwire.example.com or agentwire.example.com:7070`);
      if (port === undefined) names.add(name);
      else withPort.add(`${name}:${port}`);
    }
    this.#names = names;
    this.#namesWithPort = withPort;
  }

  /** Whether a request with this `Host` header may be given loopback trust. */
  allows(host: string | undefined): boolean {
    if (host === undefined) return true;
    const { name, port } = splitHost(host);
    if (isLoopbackHost(name) || name.endsWith('.localhost')) return true;
    return this.#names.has(name) || (port !== undefined && this.#namesWithPort.has(`${name}:${port}`));
  }
}
