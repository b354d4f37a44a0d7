import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestText, missingFiles, withoutSourceConditions, withSourceConditions } from '../pack-manifest.js';
import { readRepoFile, REPO_ROOT } from './markdown.js';

const folders = readdirSync(path.join(REPO_ROOT, 'packages')).filter((folder) => existsSync(path.join(REPO_ROOT, 'packages', folder, 'package.json')));
const manifests = folders.map((folder) => ({ folder, text: readRepoFile(`packages/${folder}/package.json`) }));
const published = manifests.filter(({ text }) => (JSON.parse(text) as { private?: boolean }).private !== true);

describe('scripts/pack-manifest.js, the pack steps of every public package', () => {
  it('every public package packs with it, from dist/, with types first in each entry point', () => {
    expect(published.map(({ folder }) => folder).sort()).toEqual(['cli', 'client', 'core', 'eslint-plugin', 'gateway', 'otel', 'protocol', 'redis']);
    for (const { folder, text } of published) {
      const manifest = JSON.parse(text) as { scripts?: Record<string, string>; files?: string[]; exports?: Record<string, Record<string, string>> };
      expect(manifest.scripts, folder).toMatchObject({ prepack: 'node ../../scripts/pack-manifest.js prepack', postpack: 'node ../../scripts/pack-manifest.js postpack' });
      expect(manifest.files, folder).toContain('dist');
      expect(manifest.files?.some((entry) => /^(src|test)\b/.test(entry)), folder).toBe(false);
      for (const target of Object.values(manifest.exports ?? {})) expect(Object.keys(target)[0], folder).toBe('types');
    }
  });

  it('drops the source conditions and puts them back byte for byte, so a pack leaves package.json as it was', () => {
    for (const { folder, text } of published) {
      const packed = withoutSourceConditions(JSON.parse(text) as Parameters<typeof withoutSourceConditions>[0]);
      expect(JSON.stringify(packed.exports), folder).not.toContain('"source"');
      expect(JSON.stringify(packed.exports), folder).not.toContain('./src/');
      expect(manifestText(withSourceConditions(packed)), folder).toBe(text);
    }
  });

  it('names what an unbuilt package lacks: every files entry and every entry point', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'agentwire-pack-'));
    try {
      const manifest = {
        name: 'agentwire-example',
        files: ['dist', 'web', '!dist/**/*.d.ts.map'],
        main: './dist/index.js',
        bin: { example: './bin/example.js' },
        exports: { '.': { types: './dist/index.d.ts', source: './src/index.ts', default: './dist/index.js' } },
      };
      expect(missingFiles(folder, manifest).sort()).toEqual(['./bin/example.js', './dist/index.d.ts', './dist/index.js', 'dist', 'web'].sort());
      mkdirSync(path.join(folder, 'dist'));
      mkdirSync(path.join(folder, 'web'));
      mkdirSync(path.join(folder, 'bin'));
      for (const file of ['dist/index.js', 'dist/index.d.ts', 'bin/example.js']) writeFileSync(path.join(folder, file), '');
      expect(missingFiles(folder, manifest)).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
