import { spawnSync } from 'node:child_process';

/**
 * The programs `npm test` needs besides Node, each with the Debian package that installs it
 * (README, Requirements; `.ci/run` installs them), found on PATH or where `CHROMIUM_BIN`,
 * `REDIS_SERVER_BIN` or `PROMTOOL_BIN` say. A test that needs one asks for it with
 * {@link requireTool}: where it is missing, the test fails with a message naming the package
 * to install. Never skipped: a green run has run everything.
 */
export const SYSTEM_TOOLS = {
  chromium: {
    command: process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium',
    debianPackage: 'chromium',
    neededBy: "the web page tests (Debian's Chromium, headless; never a downloaded browser)",
  },
  'redis-server': { command: process.env['REDIS_SERVER_BIN'] ?? 'redis-server', debianPackage: 'redis-server', neededBy: 'the Redis event log tests' },
  promtool: { command: process.env['PROMTOOL_BIN'] ?? 'promtool', debianPackage: 'prometheus', neededBy: 'the check of the /metrics format' },
} as const;

export type SystemTool = keyof typeof SYSTEM_TOOLS;

const found = new Map<SystemTool, boolean>();

/** Whether `tool` runs here (`<command> --version` exits 0); asked once per process. */
export function hasTool(tool: SystemTool): boolean {
  let known = found.get(tool);
  if (known === undefined) {
    known = spawnSync(SYSTEM_TOOLS[tool].command, ['--version'], { stdio: 'ignore' }).status === 0;
    found.set(tool, known);
  }
  return known;
}

/**
 * The command of `tool`, or an error that says which Debian package to install.
 * @example const redisServer = requireTool('redis-server');
 */
export function requireTool(tool: SystemTool): string {
  const { command, debianPackage, neededBy } = SYSTEM_TOOLS[tool];
  if (!hasTool(tool)) {
    throw new Error(`${command} cannot be run here: npm test needs ${tool} for ${neededBy}. Install it: apt-get install ${debianPackage} (Debian package ${debianPackage}; .ci/run does it).`);
  }
  return command;
}
