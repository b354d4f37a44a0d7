/** The `agentwire` command line, as a library: configuration and servers. */
export { main } from './main.js';
export { SERVE_OPTIONS, resolveServeConfig, serveHelp, configurationMarkdown, flagName, envName, ConfigError } from './config.js';
export type { ServeConfig, ServeOptionName } from './config.js';
export { startServer, bundledWebRoot } from './server.js';
export type { RunningServer } from './server.js';
export { runDemo } from './demo.js';
export type { DemoOptions } from './demo.js';
export { runAudit, formatAuditTable, auditToSarif, AUDIT_HELP } from './audit.js';
export type { AuditOptions, AuditReport, AuditFinding, EmissionSite, EmissionPattern, FileAudit } from './audit.js';
export { tail, parseTailArgs, formatRunSummary, formatDeliveryReport, TAIL_DEFAULTS } from './tail.js';
export type { TailOptions, RunSummary } from './tail.js';
