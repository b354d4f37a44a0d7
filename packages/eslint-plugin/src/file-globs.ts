import path from 'node:path';

/**
 * The files the plugin's configs (and `agentwire audit`) lint: TypeScript and JavaScript in
 * every module flavour, with and without JSX. Flat configs need them spelled out: ESLint
 * lints only `.js`, `.mjs` and `.cjs` unless some config object names other files, and a
 * config without `files` never makes a `.ts` file lintable.
 */
export const SOURCE_FILES: readonly string[] = ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts', '**/*.js', '**/*.jsx', '**/*.mjs', '**/*.cjs'];

/** The JSON schema of a rule's `allow` option: globs of files the rule leaves alone. */
export const ALLOW_OPTION_SCHEMA = [
  {
    type: 'object',
    properties: { allow: { type: 'array', items: { type: 'string' }, uniqueItems: true } },
    additionalProperties: false,
  },
] as const;

/**
 * Matches a file against globs as users write them in lint options
 * (`packages/gateway/src/**`, `**\/transport/*.ts`): `**` any folders, `*` any
 * characters but `/`, `?` one character. Paths are compared relative to `cwd`, with `/`.
 */
export function matchesAnyGlob(filename: string, globs: readonly string[], cwd: string): boolean {
  if (globs.length === 0) return false;
  const relative = path.relative(cwd, filename).split(path.sep).join('/');
  const absolute = filename.split(path.sep).join('/');
  return globs.some((glob) => {
    const regex = globToRegExp(glob);
    return regex.test(relative) || regex.test(absolute);
  });
}

const cache = new Map<string, RegExp>();

/** The regular expression of one glob. */
export function globToRegExp(glob: string): RegExp {
  const cached = cache.get(glob);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const regex = new RegExp(`^(?:\\./)?${source}$`);
  cache.set(glob, regex);
  return regex;
}
