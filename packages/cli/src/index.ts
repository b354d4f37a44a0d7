/** The `agentwire` command line, as a library: configuration and servers. */
export { main, VERSION } from './main.js';
export { parseCommandLine, commandHelp, flagName, envName, envNames, ConfigError } from './command-line.js';
export type { CommandSpec, OptionSpec, OptionTable, OptionValues, ParsedCommandLine } from './command-line.js';
export { SERVE_OPTIONS, SERVE_COMMAND, resolveServeConfig, checkServeConfig, serveHelp, configurationMarkdown } from './config.js';
export type { ServeConfig, ServeOptionName } from './config.js';
export { startServer, bundledWebRoot } from './server.js';
export type { RunningServer } from './server.js';
export { runDemo, DEMO_COMMAND } from './demo.js';
export type { DemoOptions } from './demo.js';
export { runAudit, formatAuditTable, auditToSarif, AUDIT_COMMAND } from './audit.js';
export type { AuditOptions, AuditReport, AuditFinding, EmissionSite, EmissionPattern, FileAudit } from './audit.js';
export { tail, parseTailArgs, formatRunSummary, formatDeliveryReport, TAIL_DEFAULTS, TAIL_COMMAND, TAIL_OPTIONS } from './tail.js';
export type { TailOptions, TailRequest, RunSummary } from './tail.js';
