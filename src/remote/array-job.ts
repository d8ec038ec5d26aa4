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

/**
 * The flags forwarded to each task and to the reduce step, minus targets (the reduce step gets `reindex`). A URL
 * with a password in a flag would be written into a script: refuse it (credentials belong in the environment).
 */
export function refuseSecretsInArguments(args: readonly string[]): string | undefined {
  const bad = args.find((a) => /\/\/[^/@\s]*:[^/@\s]*@/.test(a));
  return bad === undefined ? undefined : 'a forwarded flag holds a URL with a password: give credentials in environment variables (they reach the tasks), never on the command line';
}

/** POSIX shell quoting, for scripts the user can read and rerun. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The stages whose results the reduce step must gather: anything that publishes (all, publish, reindex). */
export function needsReduce(targets: readonly string[], hasIndexRule: boolean): boolean {
  return hasIndexRule && (targets.length === 0 || targets.some((t) => t === 'all' || t === 'publish' || t === 'reindex'));
}
