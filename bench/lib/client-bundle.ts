import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * The smallest browser app that uses agentwire-client as its README does: a client, a
 * handler that shows the streamed answer, connect and run. What it bundles to is what the
 * client costs a page.
 */
export const MINIMAL_APP = `import { createClient } from 'agentwire-client';
const client = createClient({ url: 'wss://example.com/v1/ws', token: 'dev:alice' });
const answer = document.getElementById('answer');
client.on('agent_message_delta', (event) => answer.append(event.data.delta));
client.on('agent_completed', (event) => answer.append(' (' + event.data.usage.totalTokens + ' tokens)'));
await client.connect();
await client.run('Hello');
`;

/** The bundle's size, and the inputs that make it up, largest first. */
export interface ClientBundleSize {
  minifiedBytes: number;
  /** `gzip -9` of the minified bundle: what a browser downloads. */
  gzipBytes: number;
  /** Bytes of the minified output per input (a package of node_modules, or a source file), largest first. */
  inputs: { input: string; bytes: number }[];
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Bundles {@link MINIMAL_APP} with esbuild as a production build for browsers would
 * (minified, ES modules, browser platform), from the workspace packages' TypeScript
 * sources (the `source` export condition, so no build is needed and the working tree is
 * what is measured), and gzips it. Bytes, not time: the same on every machine.
 */
export async function clientBundleSize(): Promise<ClientBundleSize> {
  const result = await build({
    stdin: { contents: MINIMAL_APP, resolveDir: repoRoot, loader: 'ts', sourcefile: 'app.ts' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['source'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild wrote no bundle');
  const inputs = new Map<string, number>();
  for (const meta of Object.values(result.metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(meta.inputs)) {
      const packagePath = path.split('node_modules/')[1];
      const input = packagePath === undefined ? path : packagePath.split('/').slice(0, packagePath.startsWith('@') ? 2 : 1).join('/');
      inputs.set(input, (inputs.get(input) ?? 0) + bytesInOutput);
    }
  }
  return {
    minifiedBytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents, { level: 9 }).byteLength,
    inputs: [...inputs].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes),
  };
}
