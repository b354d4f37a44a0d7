/**
 * docs/architecture.md's package table is the map a contributor reads; these tests fail
 * when it disagrees with what is enforced (boundaries.js), with what each package declares
 * (its package.json), or when a failure mode of §9 names a test that does not exist.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORBIDDEN_IMPORTS } from '../../boundaries.js';
import { codeSpans, readRepoFile, REPO_ROOT, section, tableRows } from './markdown.js';

const doc = readRepoFile('docs/architecture.md');

interface PackageJson {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const folders = readdirSync(`${REPO_ROOT}packages`).filter((folder) => existsSync(`${REPO_ROOT}packages/${folder}/package.json`));
const manifests = new Map(folders.map((folder) => [folder, JSON.parse(readRepoFile(`packages/${folder}/package.json`)) as PackageJson]));
const ourNames = new Set([...manifests.values()].map((manifest) => manifest.name));

/** §2's table by folder: the cells after the folder. */
const rows = new Map(
  tableRows(section(doc, '2')).map((cells) => [(codeSpans(cells[0] ?? '')[0] ?? '').replace(/^packages\//, ''), cells] as const),
);

describe('docs/architecture.md §2, the package table', () => {
  it('has a row for every workspace package, under its published name', () => {
    expect([...rows.keys()].sort()).toEqual([...folders].sort());
    for (const [folder, manifest] of manifests) {
      const published = rows.get(folder)?.[1] ?? '';
      expect(codeSpans(published)[0], folder).toBe(manifest.name);
      expect(published.includes('(private)'), `${folder}: "(private)" when, and only when, package.json says private`).toBe(manifest.private === true);
    }
  });

  it("lists each package's dependencies on our packages, as its package.json declares them", () => {
    for (const [folder, manifest] of manifests) {
      const declared = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((name) => ourNames.has(name));
      expect(codeSpans(rows.get(folder)?.[3] ?? '').sort(), folder).toEqual(declared.sort());
    }
  });

  it('says what each package must never import exactly as boundaries.js enforces it', () => {
    for (const folder of folders) {
      const cell = rows.get(folder)?.[4] ?? '';
      const forbidden: readonly string[] | undefined = FORBIDDEN_IMPORTS[folder];
      if (forbidden === undefined) expect(cell, folder).toBe('not checked');
      else expect(codeSpans(cell), folder).toEqual([...forbidden]);
    }
  });
});

describe('docs/architecture.md §9, the failure modes', () => {
  it('names, for every row, test files that exist and hold the quoted test names', () => {
    const failures = tableRows(section(doc, '9'));
    expect(failures).toHaveLength(10);
    for (const cells of failures) {
      const tests = cells[3] ?? '';
      const files = codeSpans(tests).filter((span) => span.startsWith('packages/'));
      expect(files.length, cells[0]).toBeGreaterThan(0);
      expect(files.filter((file) => !existsSync(REPO_ROOT + file)), cells[0]).toEqual([]);
      const sources = files.map((file) => readRepoFile(file)).join('\n');
      const quoted = [...tests.matchAll(/\("([^"]+)"\)/g)].map((match) => match[1] ?? '');
      expect(quoted.filter((name) => !sources.includes(name)), cells[0]).toEqual([]);
    }
  });
});
