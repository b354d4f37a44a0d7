// @ts-check
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What each package's `src` must never import (docs/architecture.md §2). One table, read by
 * the lint rule in eslint.config.js and by the import test in scripts/test. Patterns are
 * module specifiers; `*` matches anything. No package's `src` imports the private
 * `agentwire-testing` (fixtures and end-to-end tests): nothing shipped depends on a test.
 * @type {Readonly<Record<string, readonly string[]>>}
 */
export const FORBIDDEN_IMPORTS = {
  protocol: ['agentwire-*', 'agentwire', 'ws', 'node:*'],
  core: ['agentwire-gateway', 'agentwire-redis', 'agentwire-client', 'agentwire-web', 'agentwire', 'agentwire-testing', 'ws'],
  redis: ['agentwire-gateway', 'agentwire-client', 'agentwire-web', 'agentwire', 'agentwire-testing', 'ws'],
  gateway: ['agentwire-redis', 'agentwire-client', 'agentwire-web', 'agentwire', 'agentwire-testing'],
  client: ['agentwire-core', 'agentwire-gateway', 'agentwire-redis', 'agentwire', 'agentwire-testing', 'ws', 'node:*'],
  web: ['agentwire-core', 'agentwire-gateway', 'agentwire-redis', 'agentwire', 'agentwire-testing', 'ws', 'node:*'],
  otel: ['agentwire-gateway', 'agentwire-redis', 'agentwire-client', 'agentwire-web', 'agentwire', 'agentwire-testing', 'ws'],
  'eslint-plugin': ['agentwire-core', 'agentwire-gateway', 'agentwire-redis', 'agentwire-client', 'agentwire-web', 'agentwire', 'agentwire-testing', 'ws', 'socket.io'],
  cli: ['agentwire-testing'],
};

const root = dirname(fileURLToPath(import.meta.url));
const packagesDir = join(root, 'packages');

/** Every module specifier a file imports or re-exports, statically or dynamically (`import type` included). */
export function importsOf(/** @type {string} */ text) {
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g), ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return found.map((match) => match[1] ?? '');
}

/** Whether a module specifier matches a pattern of {@link FORBIDDEN_IMPORTS} (a subpath matches its package). */
export function matches(/** @type {string} */ specifier, /** @type {string} */ pattern) {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}(/.*)?$`);
  return regex.test(specifier);
}

/** The package name of each folder under packages/. */
function packageNames() {
  /** @type {Map<string, string>} */
  const names = new Map();
  for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
    const manifest = join(packagesDir, entry.name, 'package.json');
    if (entry.isDirectory() && existsSync(manifest)) names.set(entry.name, /** @type {{ name: string }} */ (JSON.parse(readFileSync(manifest, 'utf8'))).name);
  }
  return names;
}

/** The fixtures of agentwire-testing: each exported specifier and its file. */
function testingFixtureFiles() {
  const manifest = /** @type {{ exports: Record<string, string> }} */ (JSON.parse(readFileSync(join(packagesDir, 'testing', 'package.json'), 'utf8')));
  return new Map(Object.entries(manifest.exports).map(([subpath, file]) => [`agentwire-testing${subpath.slice(1)}`, join(packagesDir, 'testing', file)]));
}

/**
 * Every module a file reaches: the bare specifiers it imports, and those of the files it
 * imports relatively or through an agentwire-testing fixture, transitively. A relative
 * import into another package's folder counts as importing that package.
 * @param {string} file an absolute path
 * @returns {Set<string>}
 */
export function reachOf(file) {
  const names = packageNames();
  const fixtures = testingFixtureFiles();
  const home = relative(packagesDir, file).split(sep)[0];
  /** @type {Set<string>} */
  const reached = new Set();
  /** @type {Set<string>} */
  const seen = new Set();
  const visit = (/** @type {string} */ path) => {
    if (seen.has(path)) return;
    seen.add(path);
    const folder = relative(packagesDir, path).split(sep)[0];
    const name = folder === undefined ? undefined : names.get(folder);
    if (folder !== home && name !== undefined) reached.add(name);
    for (const specifier of importsOf(readFileSync(path, 'utf8'))) {
      const fixture = fixtures.get(specifier);
      if (fixture !== undefined) {
        reached.add(specifier);
        visit(fixture);
      } else if (specifier.startsWith('.')) {
        const target = resolve(dirname(path), specifier).replace(/\.js$/, '.ts');
        if (existsSync(target)) visit(target);
      } else {
        reached.add(specifier);
      }
    }
  };
  visit(file);
  return reached;
}

/**
 * What a package's test code must never import: the packages of ours its `src` must not
 * import (the layering holds in tests too: Redis never imports Gateway), and every fixture
 * of agentwire-testing that reaches one of them. What keeps `src` browser-safe (`node:*`,
 * `ws`) does not apply: tests run in Node. End-to-end tests across packages live in
 * packages/testing, which may import anything.
 * @param {string} pkg a folder under packages/
 * @returns {string[]} package names and fixture specifiers
 */
export function forbiddenInTests(pkg) {
  const names = packageNames();
  const own = names.get(pkg);
  const patterns = FORBIDDEN_IMPORTS[pkg] ?? [];
  const ours = [...names.values(), 'agentwire'].filter((name) => name !== own && name !== 'agentwire-testing' && patterns.some((pattern) => matches(name, pattern)));
  const fixtures = [...testingFixtureFiles()].filter(([, file]) => [...reachOf(file)].some((specifier) => ours.some((name) => matches(specifier, name))));
  return [...new Set([...ours, ...fixtures.map(([specifier]) => specifier)])];
}
