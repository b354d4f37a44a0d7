/**
 * Writes the generated reference pages of docs/ from the registries they describe:
 * configuration (packages/cli/src/config.ts), errors and events (packages/protocol), and the
 * mapping of a run's events on each wire (the translators of packages/protocol).
 * Tests fail when a page and its registry disagree; run `npm run docs` to refresh.
 */
import { writeFileSync } from 'node:fs';
import { configurationMarkdown } from '../packages/cli/src/config.js';
import { errorsMarkdown, eventsMarkdown } from './reference-docs.js';
import { wireMappingMarkdown } from './wire-mapping.js';

const pages = {
  'docs/configuration.md': configurationMarkdown(),
  'docs/errors.md': errorsMarkdown(),
  'docs/events.md': eventsMarkdown(),
  'docs/wire-mapping.md': wireMappingMarkdown(),
};
for (const [path, text] of Object.entries(pages)) {
  writeFileSync(new URL(`../${path}`, import.meta.url), text);
  process.stdout.write(`wrote ${path}\n`);
}
