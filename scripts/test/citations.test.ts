/**
 * The repository owns its specification: every document a file cites must be in the
 * repository, and every section it cites must exist in that document. A citation is a
 * path ending in `.md`, optionally followed by section numbers (`docs/protocol.md §4`,
 * `§3 and §4`, `§2 to §5`) or a quoted heading (`bench/README.md, "Result file"`), or a
 * Markdown link with an anchor (`[x](#keep-it-single)`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headings, readRepoFile, REPO_ROOT } from './markdown.js';

/** Files too large or not text, and this file, whose examples cite what does not exist. */
const SKIPPED = /^(bench\/results\/|bench\/profiles\/|package-lock\.json$|scripts\/test\/citations\.test\.ts$)|\.(png|jpe?g|gif|ico|woff2?|cpuprofile)$/;

/** Every file of the repository (tracked by git and present). */
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((file) => file !== '' && existsSync(REPO_ROOT + file));

/** The files whose citations are checked. */
function textFiles(): string[] {
  return tracked.filter((file) => !SKIPPED.test(file) && statSync(REPO_ROOT + file).size < 1_000_000);
}

/** One citation found in a file. */
export interface Citation {
  /** The path as written, e.g. `docs/protocol.md`; empty for an anchor of the same file. */
  readonly path: string;
  /** Section numbers cited after it (`4`, `8.2`). */
  readonly sections: string[];
  /** A heading quoted after it, or the anchor of a link. */
  readonly heading?: string;
  readonly anchor?: string;
}

/** The citations of one text, in order. */
export function citationsIn(text: string): Citation[] {
  const found: Citation[] = [];
  const pattern = /([\w./-]*[\w-]\.md)\b(?:#([\w-]+))?((?:[ ,]*(?:§\d+(?:\.\d+)*|and|to|–)(?=[\s,.;:)'"`–]|$))*)(?:,? +\(?"([^"\n]+)")?|\]\(#([\w-]+)\)/g;
  for (const match of text.matchAll(pattern)) {
    const [, path, anchor, numbers, heading, ownAnchor] = match;
    if (ownAnchor !== undefined) {
      found.push({ path: '', sections: [], anchor: ownAnchor });
      continue;
    }
    const sections = [...(numbers ?? '').matchAll(/§(\d+(?:\.\d+)*)/g)].map((section) => section[1] ?? '');
    found.push({ path: path ?? '', sections, ...(heading === undefined ? {} : { heading }), ...(anchor === undefined ? {} : { anchor }) });
  }
  return found;
}

/** GitHub's anchor of a heading. */
function slug(title: string): string {
  return title.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

/**
 * The repository file a citation in `from` names: relative to the citing file, or to the
 * root; a bare name (`SECURITY.md`) may also be any tracked file of that name.
 */
function resolve(from: string, cited: string, repoFiles: readonly string[]): string | undefined {
  if (cited === '') return from;
  // The packages' READMEs, read on the registry, link the repository's files by their GitHub URL, from its root.
  const path = cited.replace(/^\/\/github\.com\/agentwire\/agentwire\/(?:blob|tree)\/main\//, '');
  const fromRoot = path !== cited;
  const candidates = [...(fromRoot ? [] : [normalize(join(dirname(from), path))]), normalize(path)].filter((candidate) => !candidate.startsWith('..'));
  const found = candidates.find((candidate) => repoFiles.includes(candidate));
  if (found !== undefined || path.includes('/')) return found;
  return repoFiles.find((file) => file.endsWith(`/${path}`));
}

/** What is wrong with each citation of `from` (empty when all resolve). */
function problemsOf(from: string, text: string, repoFiles: readonly string[]): string[] {
  return citationsIn(text).flatMap((citation) => {
    const target = resolve(from, citation.path, repoFiles);
    if (target === undefined) return [`${from} cites ${citation.path}, which is not in the repository`];
    if (citation.sections.length === 0 && citation.heading === undefined && citation.anchor === undefined) return [];
    const titles = headings(readRepoFile(target));
    const problems = citation.sections
      .filter((number) => !titles.some((heading) => heading.number === number))
      .map((number) => `${from} cites ${citation.path} §${number}, which has no such section`);
    const heading = citation.heading?.toLowerCase();
    if (heading !== undefined && !titles.some((title) => title.title.toLowerCase().startsWith(heading))) {
      problems.push(`${from} cites ${citation.path}, "${citation.heading}", which has no such heading`);
    }
    if (citation.anchor !== undefined && !titles.some((title) => slug(title.title) === citation.anchor)) {
      problems.push(`${from} links ${citation.path || 'itself'}#${citation.anchor}, which has no such heading`);
    }
    return problems;
  });
}

/**
 * Repository paths a document names (`packages/gateway/test/resume.test.ts`) that are not
 * in the repository; globs and build output (`dist/`) are not paths of the repository.
 */
function missingPaths(from: string, text: string, repoFiles: readonly string[]): string[] {
  const paths = text.match(/\b(?:packages|scripts|bench|examples|docs|deploy)\/[\w./*-]+\.(?:ts|js|json|md|ya?ml|html|css)\b/g) ?? [];
  return paths.filter((path) => !path.includes('*') && !path.includes('/dist/') && !repoFiles.includes(path)).map((path) => `${from} names ${path}, which is not in the repository`);
}

describe('citations of documents', () => {
  it('reads the forms a citation takes', () => {
    const text = 'see docs/protocol.md §3 and §4, docs/protocol.md §2 to §8.2; (bench/README.md, "Result file"); [x](#keep-it-single), [y](docs/a.md#b-c)';
    expect(citationsIn(text)).toEqual([
      { path: 'docs/protocol.md', sections: ['3', '4'] },
      { path: 'docs/protocol.md', sections: ['2', '8.2'] },
      { path: 'bench/README.md', sections: [], heading: 'Result file' },
      { path: '', sections: [], anchor: 'keep-it-single' },
      { path: 'docs/a.md', sections: [], anchor: 'b-c' },
    ]);
  });

  it('refuses a design document that is not in the repository, and a section a document does not have', () => {
    const text = 'the design note DESIGN-NOTE.md; docs/protocol.md §99; README.md, "No such heading"; [x](#nowhere)';
    expect(problemsOf('README.md', text, tracked)).toEqual([
      'README.md cites DESIGN-NOTE.md, which is not in the repository',
      'README.md cites docs/protocol.md §99, which has no such section',
      'README.md cites README.md, "No such heading", which has no such heading',
      'README.md links itself#nowhere, which has no such heading',
    ]);
  });

  it("reads a link to the repository's GitHub URL as a citation from its root (the package READMEs, read on the registry)", () => {
    const url = 'https://github.com/agentwire/agentwire/blob/main';
    expect(problemsOf('packages/cli/README.md', `[a](${url}/README.md#quick-start), [b](${url}/docs/configuration.md)`, tracked)).toEqual([]);
    expect(problemsOf('packages/cli/README.md', `[a](${url}/docs/gone.md), [b](${url}/README.md#nowhere)`, tracked)).toEqual([
      'packages/cli/README.md cites //github.com/agentwire/agentwire/blob/main/docs/gone.md, which is not in the repository',
      'packages/cli/README.md links //github.com/agentwire/agentwire/blob/main/README.md#nowhere, which has no such heading',
    ]);
  });

  it('refuses a path a document names that is not in the repository', () => {
    expect(missingPaths('docs/x.md', 'see `packages/gateway/src/connection.ts`, `packages/gateway/src/gone.ts`, `packages/*/test/**/*.ts` and packages/cli/dist/bin.js', tracked)).toEqual([
      'docs/x.md names packages/gateway/src/gone.ts, which is not in the repository',
    ]);
  });

  it('every document names only paths of the repository', () => {
    expect(textFiles().filter((file) => file.endsWith('.md')).flatMap((file) => missingPaths(file, readRepoFile(file), tracked))).toEqual([]);
  });

  it('every file of the repository cites only documents, sections and headings that exist', () => {
    const problems = textFiles().flatMap((file) => problemsOf(file, readRepoFile(file), tracked));
    expect(problems).toEqual([]);
  });
});
