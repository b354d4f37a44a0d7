import { parseArgs } from 'node:util';

/**
 * The one argument parser of every `agentwire` command. Each command declares its options
 * once, in a table of {@link OptionSpec}s; the parsing (node's `util.parseArgs`), the
 * environment variables, the defaults, the errors and the `--help` text all derive from
 * that table, so no flag is parsed, documented or refused in two places.
 */

export type OptionKind = 'string' | 'integer' | 'boolean';

export interface OptionSpec {
  readonly kind: OptionKind;
  readonly description: string;
  readonly default?: string | number | boolean;
  /** Allowed values of a string option. */
  readonly choices?: readonly string[];
  /** Whether the option also has the variable `AGENTWIRE_<NAME>`; one-off flags (`--json`) have none. @default true */
  readonly env?: boolean;
  /** Extra environment variables, checked after `AGENTWIRE_<NAME>`. */
  readonly alsoEnv?: readonly string[];
  /** A string option that may be given more than once; its value is the list. */
  readonly multiple?: boolean;
  /** One-letter alias, e.g. `h` for `-h`. */
  readonly short?: string;
  /** The smallest value an integer option takes (`--history-size 0` is refused naming the flag). @default 0 */
  readonly min?: number;
  /** The value's name in the help text. @default `n` for integers, `value` for strings */
  readonly valueName?: string;
  /**
   * The option only means something next to another one (`--jwt-secret` with `--auth jwt`):
   * given as a flag without it, it is refused rather than silently ignored. Without `value`,
   * the other option only has to be set.
   */
  /** Applies only when `option` is given, or has `value` (one of several, when a list). */
  readonly requires?: { readonly option: string; readonly value?: string | readonly string[] };
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** A command: its name, what it does, its options and its positional arguments. */
export interface CommandSpec<O extends OptionTable = OptionTable> {
  readonly name: string;
  /** One line, for `agentwire help`. */
  readonly summary: string;
  /** What `agentwire <name> --help` says above the options. @default the summary */
  readonly description?: string;
  readonly options: O;
  /** The positional arguments, when the command takes any: their name in the usage line and what they are. */
  readonly positionals?: { readonly name: string; readonly description: string };
}

type ValueOf<S> = S extends { multiple: true } ? string[] : S extends { kind: 'integer' } ? number : S extends { kind: 'boolean' } ? boolean : string;
type Resolved<S> = S extends { default: unknown } ? true : S extends { multiple: true } ? true : false;

/** The values of a table's options: those with a default (and lists) are always there. */
export type OptionValues<O extends OptionTable> = {
  -readonly [K in keyof O as Resolved<O[K]> extends true ? K : never]: ValueOf<O[K]>;
} & {
  -readonly [K in keyof O as Resolved<O[K]> extends true ? never : K]?: ValueOf<O[K]>;
};

/** A parsed command line; `{ help: true }` when `-h` or `--help` was given (nothing else is then read). */
export type ParsedCommandLine<O extends OptionTable> =
  | { readonly help: true }
  | {
      readonly help: false;
      /** Every option: from its flag, else its environment variable, else its default. */
      readonly values: OptionValues<O>;
      readonly positionals: string[];
      /** The options given as flags (not from the environment). */
      readonly given: ReadonlySet<keyof O & string>;
    };

/** A mistake on the command line or in the environment, reported to the user without a stack trace (exit code 2). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `historyTtlMs` → `history-ttl-ms` */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** `historyTtlMs` → `AGENTWIRE_HISTORY_TTL_MS` */
export function envName(name: string): string {
  return `AGENTWIRE_${flagName(name).replace(/-/g, '_').toUpperCase()}`;
}

/** The environment variables of an option, in the order they are read. */
export function envNames(name: string, spec: OptionSpec): string[] {
  return [...(spec.env === false ? [] : [envName(name)]), ...(spec.alsoEnv ?? [])];
}

const HELP: OptionSpec = { kind: 'boolean', short: 'h', env: false, description: 'Print this help.' };

function parseValue(spec: OptionSpec, raw: string, source: string): string | number | boolean {
  switch (spec.kind) {
    case 'integer': {
      if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${source} must be a non-negative integer, got "${raw}"`);
      const value = Number(raw.trim());
      if (value < (spec.min ?? 0)) throw new ConfigError(`${source} must be at least ${spec.min ?? 0}, got ${value}`);
      return value;
    }
    case 'boolean': {
      const value = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on', ''].includes(value)) return true;
      if (['0', 'false', 'no', 'off'].includes(value)) return false;
      throw new ConfigError(`${source} must be true or false, got "${raw}"`);
    }
    case 'string': {
      if (raw === '') throw new ConfigError(`${source} is empty`);
      if (spec.choices && !spec.choices.includes(raw)) throw new ConfigError(`${source} must be one of ${spec.choices.join(', ')}, got "${raw}"`);
      return raw;
    }
  }
}

/**
 * Parses a command's arguments and environment: a flag wins over its environment variable,
 * which wins over the default. Unknown flags, missing values, stray arguments and flags given
 * without the option they depend on are errors, so a typo never goes unnoticed. `-h` and
 * `--help` are every command's: with them, only the flags' names are checked.
 * @throws ConfigError
 */
export function parseCommandLine<O extends OptionTable>(
  command: CommandSpec<O>,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCommandLine<O> {
  const table: [string, OptionSpec][] = Object.entries(command.options);
  const byFlag = new Map<string, [string, OptionSpec]>([['help', ['help', HELP]], ...table.map(([name, spec]): [string, [string, OptionSpec]] => [flagName(name), [name, spec]])]);
  const { tokens } = parseArgs({
    args: [...args],
    options: Object.fromEntries(
      [...byFlag].map(([flag, [, spec]]) => [flag, { type: spec.kind === 'boolean' ? ('boolean' as const) : ('string' as const), ...(spec.short === undefined ? {} : { short: spec.short }) }]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const see = `see agentwire ${command.name} --help`;
  const raw = new Map<string, string[]>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (command.positionals === undefined) throw new ConfigError(`unexpected argument "${token.value}"; ${see}`);
      positionals.push(token.value);
      continue;
    }
    const entry = byFlag.get(token.name);
    if (entry === undefined) throw new ConfigError(`unknown option ${token.rawName}; ${see}`);
    const [name, spec] = entry;
    const flag = `--${token.name}`;
    let value = token.value;
    if (spec.kind === 'boolean') value ??= 'true';
    // parseArgs takes the next argument as the value even when it is the next flag (`--host --port 1`).
    else if (value === undefined || (!token.inlineValue && value.startsWith('-'))) throw new ConfigError(`${flag} needs a value; ${see}`);
    const previous = raw.get(name) ?? [];
    if (previous.length > 0 && spec.multiple !== true) throw new ConfigError(`${flag} is given twice`);
    raw.set(name, [...previous, value]);
  }

  if (raw.has('help')) return { help: true };

  const values: Record<string, unknown> = {};
  for (const [name, spec] of table) {
    const flag = raw.get(name);
    if (flag !== undefined) {
      const parsed = flag.map((value) => parseValue(spec, value, `--${flagName(name)}`));
      values[name] = spec.multiple === true ? parsed : parsed[0];
      continue;
    }
    const key = envNames(name, spec).find((candidate) => env[candidate] !== undefined && env[candidate] !== '');
    if (key !== undefined) values[name] = spec.multiple === true ? [parseValue(spec, env[key] ?? '', key)] : parseValue(spec, env[key] ?? '', key);
    else if (spec.default !== undefined) values[name] = spec.default;
    else if (spec.multiple === true) values[name] = [];
  }

  const given = new Set(raw.keys());
  for (const name of given) {
    const spec = command.options[name];
    const requires = spec?.requires;
    if (spec === undefined || requires === undefined) continue;
    const other = values[requires.option];
    const met = requires.value === undefined ? other !== undefined : ([] as readonly unknown[]).concat(requires.value).includes(other);
    if (!met) throw new ConfigError(`--${flagName(name)} applies only with ${requiredFlag(spec) ?? ''}; ${see}`);
  }
  return { help: false, values: values as OptionValues<O>, positionals, given };
}

/** The flag an option depends on (`--auth jwt`), if any. */
export function requiredFlag(spec: OptionSpec): string | undefined {
  const requires = spec.requires;
  return requires === undefined ? undefined : `--${flagName(requires.option)}${requires.value === undefined ? '' : ` ${([] as readonly string[]).concat(requires.value).join('|')}`}`;
}

/** `agentwire <command> --help`, from the command's table. */
export function commandHelp(command: CommandSpec): string {
  const lines = [...Object.entries(command.options), ['help', HELP] as const].map(([name, spec]: readonly [string, OptionSpec]) => {
    const value = spec.kind === 'boolean' ? '' : ` <${spec.valueName ?? (spec.choices ? spec.choices.join('|') : spec.kind === 'integer' ? 'n' : 'value')}>`;
    const flag = `${spec.short === undefined ? '' : `-${spec.short}, `}--${flagName(name)}${value}`;
    const notes = [
      spec.default === undefined || spec.default === false ? '' : `(default ${String(spec.default)})`,
      spec.multiple === true ? '(repeatable)' : '',
      requiredFlag(spec) === undefined ? '' : `Only with ${requiredFlag(spec)}.`,
      envNames(name, spec).length === 0 ? '' : `[${envNames(name, spec).join(', ')}]`,
    ].filter((note) => note !== '');
    return `  ${flag}\n      ${[spec.description, ...notes].join(' ')}`;
  });
  const usage = `Usage: agentwire ${command.name} [options]${command.positionals === undefined ? '' : ` [${command.positionals.name}]`}`;
  const positionals = command.positionals === undefined ? [] : [`${command.positionals.name}: ${command.positionals.description}`, ''];
  return [usage, '', command.description ?? command.summary, '', ...positionals, 'Options:', ...lines, ''].join('\n');
}
