/**
 * Just enough Markdown for the tests that hold the repository's documents to the code:
 * headings (outside code fences), the text of one section, and the rows of its tables.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root folder, with a trailing slash. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A file of the repository, by its path from the root. */
export function readRepoFile(path: string): string {
  return readFileSync(REPO_ROOT + path, 'utf8');
}

export interface Heading {
  readonly level: number;
  /** The heading's text, e.g. `7. Errors and close codes`. */
  readonly title: string;
  /** The leading section number, e.g. `7` or `8.2`; undefined for an unnumbered heading. */
  readonly number: string | undefined;
  /** Index of the heading's line. */
  readonly line: number;
}

/** The headings of a Markdown text, in order; `#` lines inside code fences are not headings. */
export function headings(markdown: string): Heading[] {
  const found: Heading[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, line) => {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    const match = fenced ? null : /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(text);
    if (!match) return;
    const title = match[2] ?? '';
    found.push({ level: (match[1] ?? '').length, title, number: /^(\d+(?:\.\d+)*)\.?\s/.exec(title)?.[1], line });
  });
  return found;
}

/**
 * The text of the section numbered `number` (`"7"`, `"8.2"`), its subsections included,
 * up to the next heading of the same or a higher level. Throws when there is none.
 */
export function section(markdown: string, number: string): string {
  const all = headings(markdown);
  const index = all.findIndex((heading) => heading.number === number);
  const start = all[index];
  if (start === undefined) throw new Error(`no section ${number}`);
  const end = all.slice(index + 1).find((heading) => heading.level <= start.level);
  return markdown.split('\n').slice(start.line, end?.line).join('\n');
}

/** The data rows of every table in `markdown` (header and separator rows left out), as trimmed cells. */
export function tableRows(markdown: string): string[][] {
  const rows: string[][] = [];
  let header = true;
  for (const line of markdown.split('\n')) {
    if (!line.trimStart().startsWith('|')) {
      header = true;
      continue;
    }
    const cells = line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) {
      header = false;
      continue;
    }
    if (!header) rows.push(cells);
  }
  return rows;
}

/** The texts in backticks of a Markdown fragment, e.g. the `op` of a table cell. */
export function codeSpans(markdown: string): string[] {
  return [...markdown.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
}

/** The fenced code blocks of a Markdown text, in order: the fence's language (`sh`, `ts`, …) and the text inside. */
export function codeBlocks(markdown: string): { language: string; body: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, language = '', body = '']) => ({ language, body }));
}

/** The one code block whose first line is `firstLine` (`// eslint.config.js`, `# .github/workflows/agentwire.yml`); throws unless there is exactly one. */
export function codeBlockStartingWith(markdown: string, firstLine: string): string {
  const found = codeBlocks(markdown).filter(({ body }) => body.startsWith(`${firstLine}\n`));
  if (found.length !== 1) throw new Error(`expected one code block starting with "${firstLine}", found ${found.length}`);
  return found[0]?.body ?? '';
}
