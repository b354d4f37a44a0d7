// @ts-check
/**
 * `npm run build -w agentwire`: copies the built web page (agentwire-web's `dist/`, made by
 * its own build just before) into this package's `web/`, which `agentwire serve` serves and
 * the tarball ships. agentwire-web stays private: the page travels inside `agentwire`.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const index = fileURLToPath(import.meta.resolve('agentwire-web/dist'));
if (!existsSync(index)) {
  console.error(`bundle-web-page: ${index} is missing; build the page first (npm run build -w agentwire-web)`);
  process.exit(1);
}
const target = fileURLToPath(new URL('../web', import.meta.url));
rmSync(target, { recursive: true, force: true });
cpSync(path.dirname(index), target, { recursive: true });
