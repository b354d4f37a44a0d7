import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ESLint, Linter } from 'eslint';
import type * as AgentwirePlugin from 'eslint-plugin-agentwire';
import { commandHelp, ConfigError, parseCommandLine, type CommandSpec } from './command-line.js';

/**
 * `agentwire audit`: measures how much of a codebase sends agent events through the one
 * emitter. It runs eslint-plugin-agentwire's rules with ESLint's Node API (no type
 * information, for speed) over TypeScript and JavaScript, and classifies every emission
 * site as through a `RunEmitter` or bypassing it.
 */

/** How a site sends its event: through the emitter, or one of the bypass patterns. */
export type EmissionPattern = 'run-emitter' | 'websocket-send' | 'socket.io-emit' | 'response-write' | 'handmade-event';

export interface EmissionSite {
  /** Path relative to the working directory, with `/`. */
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  through: boolean;
  pattern: EmissionPattern;
  /** The rule that found it (`agentwire/no-direct-socket-send`, …). */
  rule: string;
  message: string;
}

/** A finding that is not an emission site: name drift, a run without its end, a file that did not parse. */
export interface AuditFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
}

export interface FileAudit {
  file: string;
  through: number;
  bypassing: number;
  /** Percent, 0–100. */
  compliance: number;
}

export interface AuditReport {
  /** Files linted. */
  filesScanned: number;
  through: number;
  bypassing: number;
  /** Sites through the emitter ÷ all sites, in percent (100 when there are no sites). */
  compliance: number;
  /** Files with at least one site, worst first. */
  files: FileAudit[];
  /** Sites per pattern (every pattern, zero included). */
  patterns: Record<EmissionPattern, number>;
  sites: EmissionSite[];
  findings: AuditFinding[];
}

export interface AuditOptions {
  /** Files and folders to audit. */
  paths: readonly string[];
  /** Paths in the report are relative to it. @default process.cwd() */
  cwd?: string;
  /** Globs of transport files, which may write to sockets (`no-direct-socket-send`'s `allow`). @default [] */
  allow?: readonly string[];
}

const PATTERNS: readonly EmissionPattern[] = ['run-emitter', 'websocket-send', 'socket.io-emit', 'response-write', 'handmade-event'];

const PATTERN_BY_MESSAGE: Record<string, EmissionPattern> = {
  websocketSend: 'websocket-send',
  socketIoEmit: 'socket.io-emit',
  responseWrite: 'response-write',
  handmade: 'handmade-event',
  handmadeUnknown: 'handmade-event',
};

/** The plugin's strict config (its files and parser, every rule an error), with the audit's counter of sites through the emitter. */
function auditConfig(plugin: typeof AgentwirePlugin, allow: readonly string[]): Linter.Config[] {
  const strict = plugin.configs.strict as Linter.Config;
  return [
    { ignores: ['**/node_modules/**', '**/dist/**', '**/*.d.ts'] },
    {
      ...strict,
      languageOptions: { ...strict.languageOptions, ecmaVersion: 'latest', sourceType: 'module' },
      linterOptions: { reportUnusedDisableDirectives: 'off' },
      plugins: { ...strict.plugins, 'agentwire-audit': { rules: plugin.auditRules } as unknown as ESLint.Plugin },
      rules: {
        ...strict.rules,
        'agentwire/no-direct-socket-send': ['error', { allow: [...allow] }],
        'agentwire-audit/through-emitter': 'error',
      },
    },
  ];
}

function before(a: { line: number; column: number }, b: { line: number; column: number }): boolean {
  return a.line < b.line || (a.line === b.line && a.column <= b.column);
}

function end(message: Linter.LintMessage): { line: number; column: number } {
  return { line: message.endLine ?? message.line, column: message.endColumn ?? message.column };
}

function percent(through: number, all: number): number {
  return all === 0 ? 100 : (through / all) * 100;
}

/** The deepest folder that holds every one of `paths` (absolute). */
function commonFolder(paths: readonly string[]): string {
  return paths.reduce((common, next) => {
    let folder = common;
    const outside = (): boolean => path.relative(folder, next).startsWith('..') || path.isAbsolute(path.relative(folder, next));
    while (outside() && path.dirname(folder) !== folder) folder = path.dirname(folder);
    return folder;
  });
}

/**
 * Runs the audit; resolves with every site and finding, and the compliance. Paths may lie
 * outside `cwd`: ESLint ignores files outside its own working folder, so it runs from the
 * folder that holds `cwd` and every path, and the report stays relative to `cwd`.
 */
export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const paths = options.paths.map((target) => path.resolve(cwd, target));
  // `--allow src/transport/**` means the user's src, wherever ESLint runs from.
  const allow = (options.allow ?? []).map((glob) => (glob.startsWith('*') || path.isAbsolute(glob) ? glob : path.join(cwd, glob).split(path.sep).join('/')));
  // Loaded here, not at start-up: ESLint and the TypeScript parser would slow every other command.
  const [{ ESLint }, plugin] = await Promise.all([import('eslint'), import('eslint-plugin-agentwire')]);
  const eslint = new ESLint({
    cwd: commonFolder([cwd, ...paths]),
    overrideConfigFile: true,
    overrideConfig: auditConfig(plugin, allow),
    allowInlineConfig: false,
  });
  const results = await eslint.lintFiles(paths);
  const sites: EmissionSite[] = [];
  const findings: AuditFinding[] = [];

  for (const result of results) {
    const file = path.relative(cwd, result.filePath).split(path.sep).join('/');
    const sends = result.messages.filter((message) => message.ruleId === 'agentwire/no-direct-socket-send');
    for (const message of result.messages) {
      const rule = message.ruleId ?? 'parse-error';
      const at = { file, line: message.line, column: message.column };
      if (rule === 'agentwire-audit/through-emitter' || rule === 'agentwire/no-direct-socket-send' || rule === 'agentwire/no-handmade-event') {
        const through = rule === 'agentwire-audit/through-emitter';
        // An event built inside a send is one site, the send's.
        if (rule === 'agentwire/no-handmade-event' && sends.some((send) => before(send, message) && before(end(message), end(send)))) continue;
        sites.push({
          ...at,
          ...{ endLine: end(message).line, endColumn: end(message).column },
          through,
          pattern: through ? 'run-emitter' : (PATTERN_BY_MESSAGE[message.messageId ?? ''] ?? 'handmade-event'),
          rule,
          message: message.message,
        });
      } else {
        findings.push({ ...at, rule, message: message.message });
      }
    }
  }

  const byFile = new Map<string, FileAudit>();
  const patterns = Object.fromEntries(PATTERNS.map((pattern) => [pattern, 0])) as Record<EmissionPattern, number>;
  for (const site of sites) {
    const entry = byFile.get(site.file) ?? { file: site.file, through: 0, bypassing: 0, compliance: 0 };
    if (site.through) entry.through++;
    else entry.bypassing++;
    byFile.set(site.file, entry);
    patterns[site.pattern]++;
  }
  const files = [...byFile.values()]
    .map((entry) => ({ ...entry, compliance: percent(entry.through, entry.through + entry.bypassing) }))
    .sort((a, b) => a.compliance - b.compliance || a.file.localeCompare(b.file));
  const through = sites.filter((site) => site.through).length;
  return {
    filesScanned: results.length,
    through,
    bypassing: sites.length - through,
    compliance: percent(through, sites.length),
    files,
    patterns,
    sites,
    findings,
  };
}

function formatPercent(value: number): string {
  return `${value.toFixed(1)}%`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** The readable report: totals, a table per file and per pattern, then each bypass and finding. */
export function formatAuditTable(report: AuditReport): string {
  const all = report.through + report.bypassing;
  const out: string[] = [
    `agentwire audit: ${report.filesScanned} files, ${all} emission sites: ${report.through} through the emitter, ${report.bypassing} bypassing it`,
    `compliance: ${formatPercent(report.compliance)} (${report.through} / ${all})`,
    '',
  ];
  if (report.files.length > 0) {
    out.push(
      table(
        ['file', 'through', 'bypassing', 'compliance'],
        report.files.map((entry) => [entry.file, String(entry.through), String(entry.bypassing), formatPercent(entry.compliance)]),
        new Set([1, 2, 3]),
      ),
      '',
    );
  }
  out.push(
    table(
      ['pattern', 'kind', 'sites'],
      PATTERNS.map((pattern) => [pattern, pattern === 'run-emitter' ? 'through' : 'bypassing', String(report.patterns[pattern])]),
      new Set([2]),
    ),
    '',
  );
  const bypasses = report.sites.filter((site) => !site.through);
  if (bypasses.length > 0) {
    out.push('bypassing sites:');
    for (const site of bypasses) out.push(`  ${site.file}:${site.line}:${site.column}  ${site.pattern}  ${site.message}`);
    out.push('');
  }
  if (report.findings.length > 0) {
    out.push('other findings:');
    for (const finding of report.findings) out.push(`  ${finding.file}:${finding.line}:${finding.column}  ${finding.rule}  ${finding.message}`);
    out.push('');
  }
  return out.join('\n');
}

const RULE_HELP = 'https://github.com/agentwire/agentwire/blob/main/packages/eslint-plugin/docs/rules/';

/**
 * The report as SARIF 2.1.0, for GitHub code scanning: one result per bypassing site
 * (error) and per finding (warning); the compliance is in the run's properties.
 */
export function auditToSarif(report: AuditReport, cwd: string): object {
  const entries = [
    ...report.sites.filter((site) => !site.through).map((site) => ({ ...site, level: 'error' as const })),
    ...report.findings.map((finding) => ({ ...finding, endLine: finding.line, endColumn: finding.column, level: 'warning' as const })),
  ];
  const ruleIds = [...new Set(entries.map((entry) => entry.rule))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'agentwire audit',
            informationUri: 'https://github.com/agentwire/agentwire',
            version: '0.1.0',
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: id },
              ...(id.startsWith('agentwire/') ? { helpUri: `${RULE_HELP}${id.slice('agentwire/'.length)}.md` } : {}),
            })),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: `${pathToFileURL(cwd).href}/` } },
        results: entries.map((entry) => ({
          ruleId: entry.rule,
          ruleIndex: ruleIds.indexOf(entry.rule),
          level: entry.level,
          message: { text: entry.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: entry.file, uriBaseId: 'SRCROOT' },
                region: { startLine: entry.line, startColumn: entry.column, endLine: entry.endLine, endColumn: entry.endColumn },
              },
            },
          ],
        })),
        properties: { compliance: report.compliance, through: report.through, bypassing: report.bypassing },
      },
    ],
  };
}

const AUDIT_OPTIONS = {
  json: { kind: 'boolean', description: 'Print the report as JSON.', default: false, env: false },
  sarif: { kind: 'boolean', description: 'Print SARIF 2.1.0, for GitHub code scanning.', default: false, env: false },
  min: { kind: 'string', description: 'Exit 1 when the compliance is below this percentage (0 to 100).', valueName: 'percent', env: false },
  allow: { kind: 'string', description: 'A transport file that may write to sockets (a glob, relative to the current folder).', valueName: 'glob', multiple: true, env: false },
} as const;

/** `agentwire audit`. */
export const AUDIT_COMMAND = {
  name: 'audit',
  summary: 'how many agent events go through the emitter, per file and per pattern',
  description: [
    'Counts every place that emits an agent event: through a RunEmitter, or bypassing it',
    '(a raw socket send, a Socket.IO emit, an SSE write, a hand-made event object).',
    'compliance = sites through the emitter / all sites.',
  ].join('\n'),
  options: AUDIT_OPTIONS,
  positionals: { name: 'paths...', description: 'files and folders to audit, anywhere (default: the current folder)' },
} as const satisfies CommandSpec<typeof AUDIT_OPTIONS>;

/** The `audit` command: prints the report and resolves with the exit code (1 under `--min`). @throws ConfigError on bad arguments */
export async function audit(args: readonly string[], write: (text: string) => void, cwd = process.cwd()): Promise<number> {
  const line = parseCommandLine(AUDIT_COMMAND, args, {});
  if (line.help) {
    write(commandHelp(AUDIT_COMMAND));
    return 0;
  }
  const { json, sarif, allow } = line.values;
  if (json && sarif) throw new ConfigError('--json and --sarif exclude each other');
  const minText = line.values.min;
  const min = minText === undefined ? undefined : Number(minText.replace(/%$/, ''));
  if (min !== undefined && (minText?.trim() === '' || !Number.isFinite(min) || min < 0 || min > 100)) {
    throw new ConfigError(`--min must be a percentage from 0 to 100, not "${minText ?? ''}"`);
  }
  const paths = line.positionals.length === 0 ? ['.'] : line.positionals;
  const report = await runAudit({ paths, cwd, allow });
  if (json) write(`${JSON.stringify(report, null, 2)}\n`);
  else if (sarif) write(`${JSON.stringify(auditToSarif(report, cwd), null, 2)}\n`);
  else write(formatAuditTable(report));
  if (min !== undefined && report.compliance < min) {
    process.stderr.write(`agentwire audit: compliance ${formatPercent(report.compliance)} is below --min ${min}%\n`);
    return 1;
  }
  return 0;
}
