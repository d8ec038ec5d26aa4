// What every engine's submission shares: the command each array task runs, and the reduce step after them.
import path from 'node:path';
import { PACKAGE_ROOT } from '../engine-location.js';

export interface ArrayJob {
  /** Array tasks (shards). */
  readonly tasks: number;
  /** The targets each task builds (`all` when none was named). */
  readonly targets: readonly string[];
  /** Flags as the user gave them, without the submit command's own and without --work/--cache. */
  readonly flags: readonly string[];
  /** Where the per-task work and cache folders go: `<root>/<task>/work` and `<root>/<task>/cache`. */
  readonly shardRoot: string;
  /** Whether a reduce step (`imgbuild reindex`) follows the array. */
  readonly reduce: boolean;
}

/** The program and script that run imgbuild on a cluster node sharing this machine's filesystem. */
export function imgbuildCommand(): string[] {
  return [process.execPath, path.join(PACKAGE_ROOT, 'bin', 'imgbuild.js')];
}

/** Query parameters that carry credentials (signed URLs, API keys). */
const SECRET_QUERY = /^(?:.*key|.*token|.*secret|sig|signature|x-amz-signature|x-amz-credential|password|pass|auth.*)$/i;

/**
 * The flags are written into scripts and job definitions the user keeps: a URL carrying a credential (a
 * password, a token as its user name, a key in its query) must not be among them — credentials travel in the
 * environment. Returns why one is refused, without repeating it.
 */
export function refuseSecretsInArguments(args: readonly string[]): string | undefined {
  const why = 'a forwarded flag holds a URL with a credential (a password, a token, a key): give credentials in environment variables (they reach the tasks), never on the command line';
  for (const arg of args) {
    const at = arg.search(/[a-z][a-z0-9+.-]*:\/\//i);
    if (at < 0) continue;
    const text = arg.slice(at);
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (url === undefined) {
      if (/:\/\/[^/]*@/.test(text)) return why;
      continue;
    }
    if (url.password !== '' || url.username !== '') return why;
    for (const name of url.searchParams.keys()) if (SECRET_QUERY.test(name)) return why;
  }
  return undefined;
}

/** POSIX shell quoting, for scripts the user can read and rerun. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The stages whose results the reduce step must gather: anything that publishes (all, publish, reindex). */
export function needsReduce(targets: readonly string[], hasIndexRule: boolean): boolean {
  return hasIndexRule && (targets.length === 0 || targets.some((t) => t === 'all' || t === 'publish' || t === 'reindex'));
}
