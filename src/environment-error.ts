// OS errors that are the machine's, not imgbuild's: a full disk, a read-only or permission-denied folder, too
// many open files. Escaping from a build they are an environment error naming the path and what to do, not a
// stack trace asking for a bug report.
import { ImgbuildError } from './errors.js';

const WHAT_TO_DO: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full: free some space and run again',
  EDQUOT: 'the disk quota is exhausted: free some space and run again',
  EACCES: 'permission denied: give this user access to it, or choose another folder',
  EPERM: 'operation not permitted: give this user access to it, or choose another folder',
  EROFS: 'the file system is read-only: choose a writable folder',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or use fewer jobs (-j)',
  ENFILE: 'the system is out of file handles: use fewer jobs (-j) or close other programs',
  ENOMEM: 'out of memory: use fewer jobs (-j)',
};

/** The environment error an OS error stands for, or undefined if it is not one of those. */
export function environmentErrorOf(error: unknown): ImgbuildError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path, dest } = error as NodeJS.ErrnoException & { dest?: string };
  const advice = code === undefined ? undefined : WHAT_TO_DO[code];
  if (advice === undefined) return undefined;
  const where = path ?? dest;
  return new ImgbuildError('environment', `${where !== undefined ? `${where}: ` : ''}${advice} (${code})`, { cause: error });
}
