// @ts-check
/**
 * npm's `prepack` and `postpack` of every published package, run by npm in the package's
 * folder (`npm pack`, `npm publish`):
 *
 * - `prepack` refuses to pack a package that is not built (every `files` entry and every
 *   `exports`, `main`, `types` and `bin` target must exist), copies the repository's LICENSE
 *   into the package, and removes the `source` export conditions from its package.json;
 * - `postpack` puts the conditions back and removes the copied LICENSE.
 *
 * Why the conditions go: in this repository `source` points at `src/*.ts`, so vitest, vite
 * and `node --import tsx --conditions source` run the TypeScript without a build. Tarballs
 * ship `dist/` only; left in, the condition would point at files that are not there, and
 * `source` is a common condition name: a project that resolves with it for its own packages
 * would be sent to a missing file. Removing it makes the tarball's exports all true. The
 * repository's package.json files are kept in the form `withSourceConditions` rebuilds, so
 * the round trip leaves them byte for byte as they were (a test checks it).
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** @typedef {{ [condition: string]: string | ExportTarget }} ExportTarget */
/** @typedef {{ name: string, files?: string[], main?: string, types?: string, bin?: Record<string, string>, exports?: Record<string, ExportTarget>, [key: string]: unknown }} Manifest */

/**
 * Maps every conditions object of `exports` (nested ones included) through `map`.
 * @param {Manifest} manifest
 * @param {(target: ExportTarget) => ExportTarget} map
 * @returns {Manifest}
 */
function mapExportTargets(manifest, map) {
  if (manifest.exports === undefined) return manifest;
  /** @type {(target: string | ExportTarget) => string | ExportTarget} */
  const visit = (target) => (typeof target === 'string' ? target : map(Object.fromEntries(Object.entries(target).map(([key, value]) => [key, visit(value)]))));
  return { ...manifest, exports: Object.fromEntries(Object.entries(manifest.exports).map(([subpath, target]) => [subpath, /** @type {ExportTarget} */ (visit(target))])) };
}

/**
 * The manifest as published: no `source` condition.
 * @param {Manifest} manifest
 * @returns {Manifest}
 */
export function withoutSourceConditions(manifest) {
  return mapExportTargets(manifest, (target) => Object.fromEntries(Object.entries(target).filter(([condition]) => condition !== 'source')));
}

/**
 * The manifest as the repository keeps it: next to every `types`, a `source` condition naming
 * the TypeScript file its `default` (`./dist/x.js`) is built from (`./src/x.ts`).
 * @param {Manifest} manifest
 * @returns {Manifest}
 */
export function withSourceConditions(manifest) {
  return mapExportTargets(manifest, (target) => {
    const built = target.default;
    if (typeof built !== 'string' || !/^\.\/dist\/.+\.js$/.test(built)) return target;
    const source = built.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts');
    return Object.fromEntries(Object.entries(target).flatMap(([condition, value]) => (condition === 'types' ? [[condition, value], ['source', source]] : condition === 'source' ? [] : [[condition, value]])));
  });
}

/**
 * What a tarball of this manifest would lack: `files` entries, and `exports`, `main`, `types`
 * and `bin` targets that do not exist in `directory`.
 * @param {string} directory
 * @param {Manifest} manifest
 * @returns {string[]}
 */
export function missingFiles(directory, manifest) {
  /** @type {string[]} */
  const targets = [];
  /** @type {(target: string | ExportTarget) => void} */
  const collect = (target) => {
    if (typeof target === 'string') targets.push(target);
    else Object.values(target).forEach(collect);
  };
  Object.values(withoutSourceConditions(manifest).exports ?? {}).forEach(collect);
  const wanted = [...(manifest.files ?? []).filter((entry) => !entry.startsWith('!')), ...targets, manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})];
  return [...new Set(wanted.filter((file) => file !== undefined))].filter((file) => !existsSync(path.join(directory, file)));
}

/** The text npm itself writes for a package.json. @param {Manifest} manifest */
export function manifestText(manifest) {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * @param {string} step `prepack` or `postpack`
 * @param {string} directory the package's folder
 */
function run(step, directory) {
  const file = path.join(directory, 'package.json');
  /** @type {Manifest} */
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const license = path.join(directory, 'LICENSE');
  if (step === 'prepack') {
    const missing = missingFiles(directory, manifest);
    if (missing.length > 0) {
      throw new Error(`${manifest.name} is not built: ${missing.join(', ')} missing. Run \`npm run build\` at the repository's root, then pack again.`);
    }
    copyFileSync(path.join(REPO_ROOT, 'LICENSE'), license);
    writeFileSync(file, manifestText(withoutSourceConditions(manifest)));
  } else if (step === 'postpack') {
    writeFileSync(file, manifestText(withSourceConditions(manifest)));
    rmSync(license, { force: true });
  } else {
    throw new Error(`usage: node scripts/pack-manifest.js prepack|postpack (got ${step})`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    run(process.argv[2] ?? '', process.cwd());
  } catch (error) {
    console.error(`pack-manifest: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
