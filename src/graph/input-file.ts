// Only regular files are inputs. A FIFO or a device must never be opened (a FIFO blocks forever, /dev/zero
// never ends); a symlink is followed, and a link to nothing, to itself or to a folder is said to be so.
// Every check is a stat (never an open), so it is safe on anything a user drops into `incoming/`.
import fs from 'node:fs';
import { ImgbuildError } from '../errors.js';
import { quoteName } from '../quote-name.js';

/** An input that exists in some form but cannot be read as a file: named, with the reason and the fix. */
export class InputFileError extends ImgbuildError {
  override readonly name = 'InputFileError';
  constructor(message: string) {
    super('environment', message);
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Why `file` cannot be used as an input (one phrase, without the file's name), or undefined when it is a
 * readable regular file (or a symlink to one). `'missing'` when nothing at all is there.
 */
export function unusableReason(file: string, checkReadable = true): string | undefined | 'missing' {
  let link: fs.Stats | undefined;
  try {
    link = fs.lstatSync(file, { throwIfNoEntry: false });
  } catch (error) {
    return `cannot be examined (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (link === undefined) return 'missing';
  let stat: fs.Stats = link;
  if (link.isSymbolicLink()) {
    try {
      stat = fs.statSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'is a symbolic link to nothing (its target does not exist); point it at an image or remove it';
      if (code === 'ELOOP') return 'is a symbolic link that loops (to itself or in a cycle); point it at an image or remove it';
      if (code === 'EACCES') return 'is a symbolic link whose target cannot be reached (permission denied); fix the permissions';
      return `is a symbolic link that cannot be followed (${code ?? 'error'}); point it at an image or remove it`;
    }
  }
  const via = link.isSymbolicLink() ? 'is a symbolic link to ' : 'is ';
  if (!stat.isFile()) return `${via}${kindOf(stat)}, not a regular file: only regular files are inputs; replace it with the file itself`;
  if (checkReadable) {
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      return 'cannot be read (permission denied); fix its permissions (chmod a+r)';
    }
  }
  return undefined;
}

/** Throws an InputFileError naming `file` (as `shown`) unless it is a readable regular file. */
export function assertUsableInput(file: string, shown: string = file): void {
  const reason = unusableReason(file);
  if (reason === undefined) return;
  throw new InputFileError(`${quoteName(shown)} ${reason === 'missing' ? 'does not exist' : reason}`);
}
