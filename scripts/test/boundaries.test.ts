import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FORBIDDEN_IMPORTS, forbiddenInTests, importsOf, matches, reachOf } from '../../boundaries.js';

const packages = fileURLToPath(new URL('../../packages/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function testFiles(pkg: string): string[] {
  try {
    return sourceFiles(join(packages, pkg, 'test'));
  } catch {
    return [];
  }
}

describe('package boundaries (docs/architecture.md §2)', () => {
  for (const [pkg, forbidden] of Object.entries(FORBIDDEN_IMPORTS)) {
    it(`${pkg} imports nothing it must not`, () => {
      const violations = sourceFiles(join(packages, pkg, 'src')).flatMap((file) =>
        importsOf(readFileSync(file, 'utf8'))
          .filter((specifier) => forbidden.some((pattern) => matches(specifier, pattern)))
          .map((specifier) => `${file.slice(packages.length)} imports ${specifier}`),
      );
      expect(violations).toEqual([]);
    });

    it(`${pkg}'s tests reach none of our packages its src must not import, not even through a fixture`, () => {
      const ours = forbiddenInTests(pkg);
      const violations = testFiles(pkg).flatMap((file) =>
        [...reachOf(file)].filter((specifier) => ours.some((name) => matches(specifier, name))).map((specifier) => `${file.slice(packages.length)} reaches ${specifier}`),
      );
      expect(violations).toEqual([]);
    });
  }

  it('the check itself catches a forbidden import', () => {
    expect(importsOf("import { x } from 'ws';\nexport { y } from \"agentwire-gateway\";\nconst m = await import('node:fs');")).toEqual(['ws', 'agentwire-gateway', 'node:fs']);
    expect(matches('agentwire-gateway', 'agentwire-*')).toBe(true);
    expect(matches('node:fs', 'node:*')).toBe(true);
    expect(matches('wsx', 'ws')).toBe(false);
    expect(matches('ws/lib/x', 'ws')).toBe(true);
  });

  it('a test reaches what its fixtures and relative imports reach, and a relative import into another package is that package', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentwire-boundaries-'));
    const helper = join(dir, 'helper.ts');
    writeFileSync(helper, "export { startServer } from 'agentwire-testing/gateway';\n");
    const test = join(dir, 'a.test.ts');
    writeFileSync(test, `import { startServer } from './helper.js';\nimport { userKeys } from '${relative(dir, join(packages, 'redis', 'src', 'user-keys.js'))}';\n`);
    const reached = reachOf(test);
    expect(reached).toContain('agentwire-testing/gateway');
    expect(reached).toContain('agentwire-gateway');
    expect(reached).toContain('agentwire-redis');
    // Redis never imports Gateway, in tests too: the gateway fixture is forbidden to Redis tests, the clock is not.
    expect(forbiddenInTests('redis')).toEqual(expect.arrayContaining(['agentwire-gateway', 'agentwire-testing/gateway']));
    expect(forbiddenInTests('redis')).not.toContain('agentwire-testing/clock');
    expect(forbiddenInTests('client')).toEqual(expect.arrayContaining(['agentwire-core', 'agentwire-testing/event-log-contract']));
  });
});
