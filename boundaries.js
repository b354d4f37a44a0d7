// @ts-check
/**
 * What each package must never import (docs/architecture.md §2). One table, read by
 * the lint rule in eslint.config.js and by the import test in scripts/test.
 * Patterns are module specifiers; `*` matches anything.
 * @type {Readonly<Record<string, readonly string[]>>}
 */
export const FORBIDDEN_IMPORTS = {
  protocol: ['agentwire-*', 'agentwire', 'ws', 'node:*'],
  core: ['agentwire-gateway', 'agentwire-redis', 'agentwire-client', 'agentwire-web', 'agentwire', 'ws'],
  redis: ['agentwire-gateway', 'agentwire-client', 'agentwire-web', 'agentwire', 'ws'],
  client: ['agentwire-core', 'agentwire-gateway', 'agentwire-redis', 'agentwire', 'ws', 'node:*'],
  web: ['agentwire-core', 'agentwire-gateway', 'agentwire-redis', 'agentwire', 'ws', 'node:*'],
  otel: ['agentwire-gateway', 'agentwire-redis', 'agentwire-client', 'agentwire-web', 'agentwire', 'ws'],
  'eslint-plugin': ['agentwire-core', 'agentwire-gateway', 'agentwire-redis', 'agentwire-client', 'agentwire-web', 'agentwire', 'ws', 'socket.io'],
};
