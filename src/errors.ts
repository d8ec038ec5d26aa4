// The errors a user can act on, typed across module boundaries. Every expected failure (bad usage, a wrong
// config, an unreachable or refusing repository, missing credentials, a full disk, a held lock) is an
// ImgbuildError with a kind; the CLI turns the kind into the exit status and the one line a user reads, in
// one place. Anything else that escapes is a bug: it keeps its stack and asks to be reported.

/** What went wrong, as the CLI and --json report it. */
export type ErrorKind =
  /** The command line is wrong (unknown flag, bad value, unknown target). Exit 2. */
  | 'usage'
  /** A config file, repository config or rule declaration is wrong. Exit 2. */
  | 'config'
  /** The machine or a service is in the way: repository unreachable or refusing, credentials missing,
   *  disk full, permission denied, a lock held by another process. Exit 1. */
  | 'environment';

export class ImgbuildError extends Error {
  override readonly name: string = 'ImgbuildError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UsageError extends ImgbuildError {
  override readonly name: string = 'UsageError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('usage', message, options);
  }
}

/** The exit status the README documents for each kind. */
export function exitStatusOf(kind: ErrorKind): 1 | 2 {
  switch (kind) {
    case 'usage':
    case 'config':
      return 2;
    case 'environment':
      return 1;
  }
}
