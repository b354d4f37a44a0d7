import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FORBIDDEN_IMPORTS } from '../../boundaries.js';

const packages = fileURLToPath(new URL('../../packages/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function importsOf(text: string): string[] {
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g), ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return found.map((match) => match[1] ?? '');
}

function matches(specifier: string, pattern: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}(/.*)?$`);
  return regex.test(specifier);
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
  }

  it('the check itself catches a forbidden import', () => {
    expect(importsOf("import { x } from 'ws';\nexport { y } from \"agentwire-gateway\";\nconst m = await import('node:fs');")).toEqual(['ws', 'agentwire-gateway', 'node:fs']);
    expect(matches('agentwire-gateway', 'agentwire-*')).toBe(true);
    expect(matches('node:fs', 'node:*')).toBe(true);
    expect(matches('wsx', 'ws')).toBe(false);
    expect(matches('ws/lib/x', 'ws')).toBe(true);
  });
});
