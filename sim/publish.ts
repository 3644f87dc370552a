import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * `--publish`: puts a run's figures into the README, between marker comments the README keeps
 * (only the figures the README quotes are committed: issue 11), and the files it links to into
 * sim/results/. The README is changed only between its markers, and nothing is written unless
 * both markers are there.
 */

export type Section = 'summary' | 'sensitivity';

export const markersOf = (section: Section) => ({ begin: `<!-- sim:${section}:begin -->`, end: `<!-- sim:${section}:end -->` });

export class MissingMarkersError extends Error {
  constructor(file: string, section: Section, problem: string) {
    const { begin, end } = markersOf(section);
    super(`${file}: cannot publish the ${section}: ${problem}; it needs one line ${begin} and, after it, one line ${end}`);
    this.name = 'MissingMarkersError';
  }
}

const count = (text: string, part: string) => text.split(part).length - 1;

/** `text` with everything between the section's markers replaced by `content` (the markers kept). */
export function replaceBetweenMarkers(text: string, section: Section, content: string, file = 'README.md'): string {
  const { begin, end } = markersOf(section);
  const [begins, ends] = [count(text, begin), count(text, end)];
  if (begins === 0 || ends === 0) throw new MissingMarkersError(file, section, `${[begins === 0 ? begin : '', ends === 0 ? end : ''].filter(Boolean).join(' and ')} not found`);
  if (begins > 1 || ends > 1) throw new MissingMarkersError(file, section, 'a marker appears more than once');
  const from = text.indexOf(begin) + begin.length;
  const to = text.indexOf(end);
  if (to < from) throw new MissingMarkersError(file, section, `${end} comes before ${begin}`);
  return `${text.slice(0, from)}\n${content.trim()}\n${text.slice(to)}`;
}

/** A file the README links to, with its path from the repository's root. */
export interface PublishedFile {
  path: string;
  content: string;
}

/**
 * Replaces the section of `root`/README.md and writes `files` under `root`; returns the paths
 * written (from `root`). The README is checked first, so a missing marker writes nothing.
 */
export async function publish(root: string, section: Section, content: string, files: readonly PublishedFile[], readme = 'README.md'): Promise<string[]> {
  const readmePath = join(root, readme);
  const updated = replaceBetweenMarkers(await readFile(readmePath, 'utf8'), section, content, readmePath);
  for (const f of files) {
    await mkdir(dirname(join(root, f.path)), { recursive: true });
    await writeFile(join(root, f.path), f.content);
  }
  await writeFile(readmePath, updated);
  return [...files.map((f) => f.path), readme];
}

/**
 * Options that say only where results go or how they are run, not what they are, with how many
 * values each takes: left out of the command the README quotes.
 */
const notFigures = new Map([
  ['--out', 1],
  ['--workers', 1],
  ['--publish', 0],
]);

/**
 * The command that reproduces the figures: the arguments given, without `--out DIR`,
 * `--workers N` and `--publish` (the results do not depend on them).
 */
export function figuresCommand(argv: readonly string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const skip = notFigures.get(flag);
    if (skip !== undefined) {
      i += skip;
      continue;
    }
    kept.push(/^[\w@%+=:,./-]+$/.test(flag) ? flag : `'${flag.replace(/'/g, `'\\''`)}'`);
  }
  return `npm run simulate${kept.length ? ` -- ${kept.join(' ')}` : ''}`;
}
