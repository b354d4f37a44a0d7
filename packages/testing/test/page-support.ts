import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { requireTool } from 'agentwire-testing/system-tools';

/** packages/web: the page under test. */
export const webDir = fileURLToPath(new URL('../../web/', import.meta.url));
/** The built page, served by the gateway as its `webRoot`. */
export const distDir = join(webDir, 'dist');
/** Playwright's own waits; below vitest's test timeout so a miss reports which element never came. */
export const UI_TIMEOUT_MS = 15_000;

/** Everything the page bundle is made of: a change in any of it makes `dist` stale. */
const bundleInputs = [
  join(webDir, 'src'),
  join(webDir, 'index.html'),
  join(webDir, 'vite.config.ts'),
  fileURLToPath(new URL('../../client/src', import.meta.url)),
  fileURLToPath(new URL('../../protocol/src', import.meta.url)),
];

function newestMtimeMs(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtimeMs(join(path, name))), info.mtimeMs);
}

/** Builds the page unless `dist` is newer than all of its inputs (the root `npm test` builds first). */
export async function ensureBuilt(): Promise<void> {
  const page = join(distDir, 'index.html');
  if (existsSync(page) && statSync(page).mtimeMs >= Math.max(...bundleInputs.map(newestMtimeMs))) return;
  await build({ root: webDir, configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
}

/** Launches Debian's Chromium headless, with the flags this closed network needs. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireTool('chromium'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}
