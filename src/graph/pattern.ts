// File patterns with named wildcards: `{id}.{ext:jpg|jpeg|png}` or `raw/{night}/{id}.fits`.
// `{name}` matches one or more characters within a path segment; `{name:a|b}` matches one of the listed
// alternatives (case-insensitive); `*` matches anything within a segment without naming it. A pattern written
// `!{id}.wcs.fits` excludes: among a source's patterns, a file it matches is taken by none of them (a FITS-WCS
// sidecar matches `{id}.fits` too, but it is its image's placement, not an image).
import { ImgbuildError } from '../errors.js';
import fs from 'node:fs';
import path from 'node:path';
import { unusableReason } from './input-file.js';
import { isInProgressName } from './in-progress-name.js';

export interface FilePattern {
  readonly source: string;
  readonly wildcards: readonly string[];
  /** Number of directory levels below the root the pattern reaches into. */
  readonly depth: number;
  readonly regex: RegExp;
  /** Written with a leading `!`: files it matches are not taken by the source (see `takenBy`). */
  readonly exclude: boolean;
}

export interface PatternMatch {
  /** Path relative to the pattern's root, with forward slashes. */
  readonly relative: string;
  readonly wildcards: Record<string, string>;
  /**
   * Set when the entry matches but cannot be an input: its name is not valid UTF-8 (`relative` then holds
   * it with U+FFFD in place of the bad bytes), or it is a FIFO, device, socket or a symlink that does not
   * lead to a regular file. A phrase, without the name.
   */
  readonly problem?: string;
}

/** A listed folder as it was just before it was read: [path, mtimeMs, inode], or [path] when it is missing. */
export type FolderStamp = [string, number, number] | [string];

export class PatternError extends ImgbuildError {
  override readonly name = 'PatternError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('config', message, options);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

export function compilePattern(written: string): FilePattern {
  const exclude = written.startsWith('!');
  const source = exclude ? written.slice(1) : written;
  if (source.startsWith('/') || source.split('/').includes('..')) {
    throw new PatternError(`pattern ${JSON.stringify(written)} must be relative and stay inside its folder`);
  }
  const wildcards: string[] = [];
  let regex = '^';
  let at = 0;
  for (const m of source.matchAll(/\{([A-Za-z_]\w*)(?::([^}]*))?\}|\*/g)) {
    regex += escapeRegExp(source.slice(at, m.index)).replace(/\*/g, '');
    at = m.index + m[0].length;
    if (m[0] === '*') {
      regex += '[^/]*';
      continue;
    }
    const name = m[1] ?? '';
    if (wildcards.includes(name)) throw new PatternError(`pattern ${source} names {${name}} twice`);
    wildcards.push(name);
    const choices = m[2];
    regex += choices === undefined ? `(?<${name}>[^/]+?)` : `(?<${name}>${choices.split('|').map(escapeRegExp).join('|')})`;
  }
  regex += escapeRegExp(source.slice(at)) + '$';
  return { source: written, wildcards, depth: source.split('/').length - 1, regex: new RegExp(regex, 'i'), exclude };
}

/**
 * The first of a source's taking patterns that matches `relative`, or undefined when none does or an
 * excluding (`!`) pattern matches it.
 */
export function takenBy(patterns: readonly FilePattern[], relative: string): PatternMatch | undefined {
  let taken: PatternMatch | undefined;
  for (const pattern of patterns) {
    const match = matchPattern(pattern, relative);
    if (match === undefined) continue;
    if (pattern.exclude) return undefined;
    taken ??= match;
  }
  return taken;
}

export function matchPattern(pattern: FilePattern, relative: string): PatternMatch | undefined {
  const m = pattern.regex.exec(relative);
  if (!m) return undefined;
  const wildcards: Record<string, string> = {};
  for (const name of pattern.wildcards) wildcards[name] = m.groups?.[name] ?? '';
  return { relative, wildcards };
}

/**
 * Every regular file under `root` that matches, sorted by path. A missing root matches nothing. Hidden
 * files and in-progress downloads (`.part`, `.tmp`, `.crdownload`) are never matched: a file still being written must not
 * be picked up half-way. Each folder read is stamped into `listed` (stat first, then read, so an entry
 * added in between makes the stamp look old, never current).
 */
export function globPattern(root: string, pattern: FilePattern, listed?: FolderStamp[]): PatternMatch[] {
  const matches: PatternMatch[] = [];
  const walk = (dir: string, prefix: string, depth: number): void => {
    if (listed) {
      const stat = fs.statSync(dir, { throwIfNoEntry: false });
      listed.push(stat ? [dir, stat.mtimeMs, stat.ino] : [dir]);
    }
    // Names are read as bytes: a name that is not valid UTF-8 would otherwise be silently turned into
    // another name (U+FFFD), one that does not exist.
    let entries: Array<fs.Dirent<Buffer>>;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      const name = entry.name.toString('utf8');
      const validName = Buffer.from(name, 'utf8').equals(entry.name);
      if (isInProgressName(name)) continue;
      const relative = prefix + name;
      if (depth > 0) {
        if (entry.isDirectory() && validName) walk(path.join(dir, name), `${relative}/`, depth - 1);
        continue;
      }
      if (entry.isDirectory()) continue;
      const match = matchPattern(pattern, relative);
      if (!match) continue;
      if (!validName) {
        matches.push({ ...match, problem: 'has a name that is not valid UTF-8, so it cannot be named in a URL or a WTML file; rename it' });
      } else if (!entry.isFile()) {
        // Anything but a plain file is looked at (stat, never open) and, when unusable, said to be so.
        const reason = unusableReason(path.join(dir, name), false);
        matches.push(reason === undefined ? match : { ...match, problem: reason === 'missing' ? 'disappeared while the folder was read' : reason });
      } else {
        matches.push(match);
      }
    }
  };
  walk(root, '', pattern.depth);
  return matches.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}
