import { idProblem } from 'agentwire-protocol';

/** The parts of a request's target (`req.url`) that the server reads. */
export interface RequestTarget {
  /** The path as sent, still percent-encoded: `/v1/runs/run_01J…/cancel`. */
  readonly path: string;
  readonly query: URLSearchParams;
}

/**
 * Splits a request target into its path and query, and never throws. The one parser of
 * request targets, for the HTTP API, the upgrade and the static files: `new URL(target,
 * base)` throws on a target such as `//[` (it reads `//` as the start of a host), and
 * did so inside the upgrade handler, where nothing caught it and the process ended.
 * The origin form (`/path?query`) is what clients send; the absolute form
 * (`http://host/path`) is read for its path; anything else gets the path `""`, which no
 * route and no file matches (404).
 */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  const raw = target ?? '/';
  const queryAt = raw.indexOf('?');
  const beforeQuery = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : raw.slice(queryAt + 1));
  if (beforeQuery.startsWith('/')) return { path: beforeQuery, query };
  const absolute = URL.canParse(beforeQuery) ? new URL(beforeQuery) : undefined;
  return { path: absolute !== undefined && /^https?:$/.test(absolute.protocol) ? absolute.pathname : '', query };
}

/**
 * Decodes percent-encoding (a path segment, or a whole path for the static files), or
 * undefined when it is not valid percent-encoded UTF-8 (`%ZZ`, a cut sequence such as
 * `%E0%A4%A`, an encoded lone surrogate): such a request is the client's mistake (400),
 * never a server fault.
 */
export function decodePercent(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/** A path that matched a {@link PathPattern}: its parameters decoded and checked, or why they are refused. */
export type PathMatch = { readonly ok: true; readonly params: Readonly<Record<string, string>> } | { readonly ok: false; readonly message: string };

/**
 * A route's path such as `/v1/runs/:runId/cancel`: literal segments match exactly,
 * each `:name` matches one non-empty segment. Every parameter is an id (a run id, an
 * agent name), so the one decoder decodes it and the protocol's one id rule checks it.
 */
export class PathPattern {
  readonly #segments: readonly string[];

  constructor(readonly pattern: string) {
    this.#segments = pattern.split('/');
  }

  /** Undefined when `path` is not this route's; otherwise its parameters, or a message that names the one refused. */
  match(path: string): PathMatch | undefined {
    const segments = path.split('/');
    if (segments.length !== this.#segments.length) return undefined;
    const params: Record<string, string> = {};
    const encoded: [name: string, value: string][] = [];
    for (const [index, expected] of this.#segments.entries()) {
      const actual = segments[index] ?? '';
      if (!expected.startsWith(':')) {
        if (actual !== expected) return undefined;
      } else if (actual === '') {
        return undefined;
      } else {
        encoded.push([expected.slice(1), actual]);
      }
    }
    for (const [name, value] of encoded) {
      const decoded = decodePercent(value);
      if (decoded === undefined) return { ok: false, message: `${name} in the path is not valid percent-encoded UTF-8` };
      const problem = idProblem(decoded);
      if (problem !== undefined) return { ok: false, message: `${name} ${problem}` };
      params[name] = decoded;
    }
    return { ok: true, params };
  }
}
