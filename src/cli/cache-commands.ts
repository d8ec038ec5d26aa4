// `imgbuild cache stats` and `imgbuild cache prune --max-size SIZE`: the remote cache (`--remote-cache URL`, or
// `remoteCache` in the config) as a whole.
import fs from 'node:fs';
import { UsageError } from '../errors.js';
import type { BuildSession } from '../run/build-session.js';
import { openRepository } from '../repo/repository-spec.js';
import { describeSpec } from '../repo/repository-spec.js';
import { cacheStats, DEFAULT_GRACE_MS, formatBytes, parseSize, pruneCache, type CacheStats } from '../remote/cache-maintenance.js';

export interface CacheCommandIo {
  readonly print: (text: string) => void;
}

export interface CacheCommandOptions {
  readonly json: boolean;
  readonly maxSize?: string;
  /** Seconds: blobs younger than this stay even when no entry names them (default 3600). */
  readonly grace?: string;
  readonly dryRun?: boolean;
}

function statsLine(stats: CacheStats): string {
  const uses = stats.oldestUse !== undefined ? `; entries last used ${stats.oldestUse} … ${stats.newestUse}` : '';
  return `${stats.entries} entries, ${stats.blobs} files, ${formatBytes(stats.bytes)}${uses}`;
}

export async function runCacheCommand(session: BuildSession, args: readonly string[], options: CacheCommandOptions, io: CacheCommandIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'stats' && sub !== 'prune') throw new UsageError('imgbuild cache stats | imgbuild cache prune --max-size 50GB (the remote cache: --remote-cache URL)');
  if (rest.length > 0) throw new UsageError(`imgbuild cache ${sub} takes no arguments`);
  if (sub === 'stats' && (options.maxSize !== undefined || options.grace !== undefined || options.dryRun)) throw new UsageError('--max-size, --grace and --dry-run are options of imgbuild cache prune');
  const spec = session.settings.remoteCache;
  if (spec === undefined) throw new UsageError(`imgbuild cache ${sub} works on a remote cache: give --remote-cache URL (or remoteCache in the config)`);
  const where = describeSpec(spec);
  if (spec.kind === 'local' && !fs.statSync(spec.dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--remote-cache ${where}: there is no folder there (a typo? a share not mounted?); a build makes it when it first stores`);
  }
  const store = await openRepository(spec);
  if (sub === 'stats') {
    const stats = await cacheStats(store);
    io.print(options.json ? JSON.stringify({ cache: where, ...stats }, null, 2) + '\n' : `${where}: ${statsLine(stats)}\n`);
    return 0;
  }
  if (options.maxSize === undefined) throw new UsageError('imgbuild cache prune needs --max-size SIZE (such as 50GB or 500MiB)');
  const maxBytes = parseSize(options.maxSize);
  if (maxBytes === undefined) throw new UsageError(`--max-size ${JSON.stringify(options.maxSize)}: give a size such as 50GB, 500MiB or 1000000 (bytes)`);
  const graceSeconds = options.grace === undefined ? DEFAULT_GRACE_MS / 1000 : Number(options.grace);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0 || !/^\s*\d+(\.\d+)?\s*$/.test(options.grace ?? '0')) throw new UsageError(`--grace takes seconds (≥ 0), not ${JSON.stringify(options.grace)}`);
  const result = await pruneCache(store, { maxBytes, graceMs: graceSeconds * 1000, dryRun: options.dryRun ?? false });
  if (options.json) {
    io.print(JSON.stringify({ cache: where, ...result }, null, 2) + '\n');
  } else {
    const unusable = result.unusableEntries > 0 ? ` (${result.unusableEntries} unusable)` : '';
    const young = result.keptYoung > 0 ? `; kept ${result.keptYoung} files (${formatBytes(result.keptYoungBytes)}) that no entry names yet, younger than --grace ${graceSeconds} s (an entry being stored)` : '';
    io.print(
      result.dryRun
        ? `${where}: would remove ${result.removedEntries} entries${unusable} and ${result.removedBlobs} files, ${formatBytes(result.removedBytes)} (dry run: nothing removed)${young}\n`
        : `${where}: removed ${result.removedEntries} entries${unusable} and ${result.removedBlobs} files, ${formatBytes(result.removedBytes)}${young}; now ${statsLine(result.after)}\n`,
    );
  }
  return 0;
}
