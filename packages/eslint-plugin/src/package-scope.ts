import { readFileSync } from 'node:fs';
import path from 'node:path';

const nameByDirectory = new Map<string, string | undefined>();

/**
 * The `name` of the nearest package.json above `filename`, or undefined. Cached per
 * folder: a lint run asks once per folder, not once per file.
 */
export function packageNameOf(filename: string, cwd: string): string | undefined {
  return nameOfDirectory(path.dirname(path.resolve(cwd, filename)));
}

function nameOfDirectory(directory: string): string | undefined {
  if (nameByDirectory.has(directory)) return nameByDirectory.get(directory);
  let name: string | undefined;
  try {
    const parsed = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: unknown };
    name = typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    const parent = path.dirname(directory);
    name = parent === directory ? undefined : nameOfDirectory(parent);
  }
  nameByDirectory.set(directory, name);
  return name;
}

/**
 * agentwire's own packages, which make events. Listed by name, not matched by prefix: a user's
 * package called `agentwire-demo` is not the emitter and is linted like any other.
 */
const AGENTWIRE_PACKAGES: ReadonlySet<string> = new Set([
  'agentwire',
  'agentwire-protocol',
  'agentwire-core',
  'agentwire-gateway',
  'agentwire-redis',
  'agentwire-client',
  'agentwire-otel',
  'agentwire-web',
]);

/** Whether `filename` belongs to one of agentwire's own packages, which make events. */
export function isInsideAgentwirePackage(filename: string, cwd: string): boolean {
  const name = packageNameOf(filename, cwd);
  return name !== undefined && AGENTWIRE_PACKAGES.has(name);
}
