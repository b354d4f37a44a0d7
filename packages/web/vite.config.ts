import { defineConfig } from 'vite';

/**
 * Builds the demo page into `dist/`, which the gateway serves at `/` (its `webRoot`).
 * `agentwire-client` and `agentwire-protocol` are bundled from their TypeScript
 * sources (the `source` export condition), so the page never depends on their `dist/`.
 */
export default defineConfig({
  base: './',
  resolve: {
    conditions: ['source', 'browser', 'module', 'import', 'default'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      onwarn(warning, warn) {
        // zod places `@__PURE__` comments where Rollup cannot use them; harmless, and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/zod/')) return;
        warn(warning);
      },
    },
  },
  server: {
    // `npm run dev -w agentwire-web` next to a running gateway on the default port.
    proxy: { '/v1': { target: 'http://127.0.0.1:7070', ws: true } },
  },
});
