import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of the workspace packages.
    conditions: ['source'],
  },
  ssr: {
    resolve: { conditions: ['source'], externalConditions: ['source'] },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'examples/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    server: {
      deps: {
        // eventsource-parser (imported by the AI SDK) also exports TypeScript under the `source` condition:
        // the chain that reaches it goes through vite, which can transform it, instead of plain Node.
        inline: ['ai', /@ai-sdk\//, 'eventsource-parser'],
      },
    },
  },
});
