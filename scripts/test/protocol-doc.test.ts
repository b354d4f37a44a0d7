/**
 * docs/protocol.md is the wire contract; these tests fail when the code has a frame op, an
 * error code, a close code, a snapshot field or an HTTP route the document does not
 * describe, or the document describes one the code does not have without marking it
 * "in progress". The routes are checked against a real gateway on a loopback port.
 */
import { readdirSync } from 'node:fs';
import { startServer } from 'agentwire-testing/gateway';
import { CLOSE_CODES, ClientFrameSchema, ERROR_CODES, ERRORS, RunSnapshotSchema, type ErrorSpec, ServerFrameSchema, SUBPROTOCOL, WS_PATH } from 'agentwire-protocol';
import { describe, expect, it } from 'vitest';
import { codeSpans, readRepoFile, REPO_ROOT, section, tableRows } from './markdown.js';

const doc = readRepoFile('docs/protocol.md');
const IN_PROGRESS = /in progress/i;

/** The first code span of each table row of a section, with whether the row is marked in progress. */
function firstColumn(text: string): { name: string; inProgress: boolean }[] {
  return tableRows(text).map((cells) => ({ name: codeSpans(cells[0] ?? '')[0] ?? '', inProgress: IN_PROGRESS.test(cells.join(' ')) }));
}

/** Every name the code has is documented; every documented name the code lacks is marked in progress. */
function expectDocumented(documented: { name: string; inProgress: boolean }[], inCode: readonly string[]): void {
  expect(inCode.filter((name) => !documented.some((row) => row.name === name))).toEqual([]);
  expect(documented.filter((row) => !inCode.includes(row.name) && !row.inProgress).map((row) => row.name)).toEqual([]);
}

describe('docs/protocol.md agrees with agentwire-protocol', () => {
  it('§2 names the WebSocket path and subprotocol', () => {
    expect(section(doc, '2')).toContain(`\`${WS_PATH}\``);
    expect(section(doc, '2')).toContain(`\`${SUBPROTOCOL}\``);
  });

  it('§3 has a row for every client frame op, §4 for every server frame op', () => {
    expectDocumented(firstColumn(section(doc, '3')), ClientFrameSchema.options.map((option) => option.shape.op.value));
    expectDocumented(firstColumn(section(doc, '4')), ServerFrameSchema.options.map((option) => option.shape.op.value));
  });

  it('§6 names every field of RunSnapshot', () => {
    const text = section(doc, '6');
    expect(Object.keys(RunSnapshotSchema.shape).filter((field) => !new RegExp(`\\b${field}\\b`).test(text))).toEqual([]);
  });

  it('§7 says what every error code of the registry means beyond docs/errors.md', () => {
    const spans = new Set(codeSpans(section(doc, '7')));
    expect(ERROR_CODES.filter((code) => !spans.has(code))).toEqual([]);
  });

  it("§7's close-code table has every close code of CLOSE_CODES and of the registry, under its name", () => {
    const rows = tableRows(section(doc, '7')).map((cells) => ({ code: Number(cells[0]), name: codeSpans(cells[1] ?? '')[0] }));
    for (const [name, code] of Object.entries(CLOSE_CODES)) expect(rows).toContainEqual({ code, name });
    const documented = new Set(rows.map((row) => row.code));
    const registry: ErrorSpec[] = Object.values(ERRORS);
    expect(registry.map((spec) => spec.closeCode).filter((code) => code !== undefined && !documented.has(code))).toEqual([]);
  });
});

interface Route {
  readonly method: string;
  /** The path with `:name` parameters, without the query. */
  readonly path: string;
  readonly inProgress: boolean;
}

/** The routes of §8's tables: a first cell such as `` `GET /v1/runs/:runId` ``. */
function documentedRoutes(): Route[] {
  return tableRows(section(doc, '8')).flatMap((cells) => {
    const match = /^`(GET|POST|PUT|PATCH|DELETE) ([^`?\s]+)/.exec(cells[0] ?? '');
    return match ? [{ method: match[1] ?? '', path: match[2] ?? '', inProgress: IN_PROGRESS.test(cells.join(' ')) }] : [];
  });
}

/** A path with every parameter written alike, to compare a route of the code with one of the document. */
function shape(path: string): string {
  return path.replace(/:[A-Za-z]+/g, ':param');
}

/**
 * The paths the gateway's source matches requests against: string literals such as
 * `'/v1/runs'` and regular expressions such as `/^\/v1\/runs\/([^/]+)(\/cancel)?$/`
 * (an optional group gives both paths). Prefixes ending in `/` are not routes.
 */
function routesInSource(source: string): string[] {
  const literals = [...source.matchAll(/'(\/(?:v1\/[\w/:-]*|healthz|readyz|metrics))'/g)].map((match) => match[1] ?? '');
  const patterns = [...source.matchAll(/\/\^(\\\/[^\s]*?)\$\//g)].flatMap((match) => {
    const path = (match[1] ?? '').replace(/\\\//g, '/').replace(/\(\[\^\/\]\+\)/g, ':param');
    const optional = /\(([^()]*)\)\?/.exec(path);
    return optional ? [path.replace(optional[0], ''), path.replace(optional[0], optional[1] ?? '')] : [path];
  });
  return [...literals, ...patterns].filter((path) => !path.endsWith('/'));
}

describe('docs/protocol.md §8 agrees with the routes the gateway serves', () => {
  it('finds the routes of a source written like the gateway', () => {
    expect(routesInSource(String.raw`if (path === '/healthz') x; if (path.startsWith('/v1/admin/')) y; const m = /^\/v1\/runs\/([^/]+)(\/cancel)?$/.exec(path);`)).toEqual([
      '/healthz',
      '/v1/runs/:param',
      '/v1/runs/:param/cancel',
    ]);
  });

  it('every path the gateway source matches is documented (or is the WebSocket path of §2)', () => {
    const dir = `${REPO_ROOT}packages/gateway/src/`;
    const inSource = readdirSync(dir).filter((file) => file.endsWith('.ts')).flatMap((file) => routesInSource(readRepoFile(`packages/gateway/src/${file}`)));
    expect(inSource).toContain('/v1/runs');
    const documented = new Set(documentedRoutes().map((route) => shape(route.path)));
    expect([...new Set(inSource)].filter((path) => path !== WS_PATH && !documented.has(shape(path)))).toEqual([]);
  });

  it('every documented route is served with its method (in-progress routes excepted)', async () => {
    await using server = await startServer();
    const served = documentedRoutes().filter((route) => !route.inProgress);
    expect(served.length).toBeGreaterThan(10);
    const misses: string[] = [];
    for (const route of served) {
      const path = route.path.replace(/:[A-Za-z]+/g, (name) => (name === ':agent' ? 'demo' : 'unknown'));
      const response = await fetch(server.url + path, { method: route.method, headers: { authorization: 'Bearer dev:alice' }, ...(route.method === 'POST' ? { body: '{}' } : {}) });
      const text = await response.text();
      // A path no route matched: 404 "no API at …" or "not found" (no web root), or 405 for the method.
      const unrouted = response.status === 405 || (response.status === 404 && /"message":"(no API at|not found")/.test(text));
      if (unrouted) misses.push(`${route.method} ${route.path}: ${response.status} ${text}`);
    }
    expect(misses).toEqual([]);
  });
});
