// `imgbuild cache stats` and `imgbuild cache prune --max-size`: what a remote cache holds, and keeping it
// bounded, least recently used first. An entry's last use is its index's write time (a restore rewrites it at
// most hourly). Pruning deletes entries' indexes first, then their blobs that no remaining entry names. A blob
// that no entry names at all is removed only once older than a grace period: a machine storing an entry right
// now has written its blobs and not yet its index, and must not find them gone (git gc's reasoning). A restore
// that races a prune finds a blob gone: a miss, never a wrong output.
import type { Repository } from '../repo/repository.js';
import { blobPath, parseEntry } from './repository-output-cache.js';
import { ENTRY_FORMAT } from './node-output-cache.js';
import { forEachLimited } from '../repo/for-each-limited.js';

export interface CacheStats {
  readonly entries: number;
  readonly blobs: number;
  /** Bytes of blobs and entry indexes together. */
  readonly bytes: number;
  /** Least and most recent use of an entry (ISO), when there is one. */
  readonly oldestUse?: string;
  readonly newestUse?: string;
}

interface Listed {
  readonly path: string;
  readonly size: number;
  readonly modifiedMs: number;
}

async function listAll(store: Repository, prefix: string): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const e of store.list(prefix)) {
    // A local folder's temporaries (a killed writer's) are no part of the cache.
    if (e.path.endsWith('.tmp')) continue;
    out.push({ path: e.path, size: e.size, modifiedMs: e.modifiedMs ?? 0 });
  }
  return out;
}

export async function cacheStats(store: Repository): Promise<CacheStats> {
  const [entries, blobs] = await Promise.all([listAll(store, 'entries/'), listAll(store, 'blobs/')]);
  const uses = entries.map((e) => e.modifiedMs).sort((a, b) => a - b);
  const bytes = [...entries, ...blobs].reduce((sum, e) => sum + e.size, 0);
  return {
    entries: entries.length,
    blobs: blobs.length,
    bytes,
    ...(uses.length > 0 ? { oldestUse: new Date(uses[0]!).toISOString(), newestUse: new Date(uses[uses.length - 1]!).toISOString() } : {}),
  };
}

export interface PruneResult {
  readonly removedEntries: number;
  readonly removedBlobs: number;
  readonly removedBytes: number;
  /** Entries whose index could not be read or used: removed as well. */
  readonly unusableEntries: number;
  /** Blobs no entry names, kept because they are younger than the grace period (an entry being stored). */
  readonly keptYoung: number;
  readonly keptYoungBytes: number;
  /** True when nothing was deleted (--dry-run): the figures say what would go. */
  readonly dryRun: boolean;
  readonly after: CacheStats;
}

export interface PruneOptions {
  readonly maxBytes: number;
  /** Blobs younger than this are kept even when no entry names them (an entry being stored). Default 1 hour. */
  readonly graceMs?: number;
  readonly now?: number;
  /** Say what would be removed; remove nothing. */
  readonly dryRun?: boolean;
}

export const DEFAULT_GRACE_MS = 60 * 60 * 1000;

export async function pruneCache(store: Repository, options: PruneOptions): Promise<PruneResult> {
  const now = options.now ?? Date.now();
  const grace = options.graceMs ?? DEFAULT_GRACE_MS;
  const [entries, blobs] = await Promise.all([listAll(store, 'entries/'), listAll(store, 'blobs/')]);
  const blobSize = new Map(blobs.map((b) => [b.path, b.size]));
  // Each entry's blobs, from its index (read 16 at a time: an object store answers them in parallel).
  const named = new Map<string, readonly string[] | undefined>();
  // Entries another version of imgbuild wrote (another format) are left to it, with every blob.
  const foreign = new Set<string>();
  await forEachLimited(entries, 16, async (e) => {
    const body = await store.get(e.path);
    const entry = body === undefined ? 'gone' : parseEntry(body);
    if (typeof entry === 'string' && body !== undefined && isForeign(body)) {
      foreign.add(e.path);
      return;
    }
    named.set(e.path, typeof entry === 'string' ? undefined : [...new Set(entry.files.map((f) => blobPath(f[3])))]);
  });
  // Most recently used first: keep entries while the blobs they add (shared blobs counted once) fit.
  const order = [...entries].sort((a, b) => b.modifiedMs - a.modifiedMs);
  const kept = new Set<string>();
  let total = 0;
  const drop: Listed[] = [];
  let unusable = 0;
  for (const e of order) {
    if (foreign.has(e.path)) continue;
    const files = named.get(e.path);
    if (files === undefined) {
      unusable++;
      drop.push(e);
      continue;
    }
    const added = files.filter((b) => !kept.has(b)).reduce((sum, b) => sum + (blobSize.get(b) ?? 0), e.size);
    if (total + added > options.maxBytes) {
      drop.push(e);
      continue;
    }
    total += added;
    for (const b of files) kept.add(b);
  }
  // Blobs the dropped entries named are theirs; blobs no entry names wait out the grace period.
  const namedByDropped = new Set(drop.flatMap((e) => named.get(e.path) ?? []));
  const dryRun = options.dryRun ?? false;
  let removedBytes = 0;
  for (const e of drop) {
    if (!dryRun) await store.delete(e.path);
    removedBytes += e.size;
  }
  let removedBlobs = 0;
  let keptYoung = 0;
  let keptYoungBytes = 0;
  for (const b of blobs) {
    if (kept.has(b.path) || foreign.size > 0) continue;
    if (!namedByDropped.has(b.path) && now - b.modifiedMs < grace) {
      keptYoung++;
      keptYoungBytes += b.size;
      continue;
    }
    if (!dryRun) await store.delete(b.path);
    removedBlobs++;
    removedBytes += b.size;
  }
  // Empty folders stay: removing one could race a writer between its mkdir and its write.
  if (!dryRun) await store.removeStaleTemporaries?.('');
  return { removedEntries: drop.length, removedBlobs, removedBytes, unusableEntries: unusable, keptYoung, keptYoungBytes, dryRun, after: await cacheStats(store) };
}

/** An entry of another imgbuild's format: JSON with a `format` that is not ours. */
function isForeign(body: Buffer): boolean {
  try {
    const format = (JSON.parse(body.toString('utf8')) as { format?: unknown }).format;
    return typeof format === 'string' && format !== ENTRY_FORMAT && format.startsWith('imgbuild-cache-entry-');
  } catch {
    return false;
  }
}

const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** '50GB', '500 MiB', '1.5TB', '1000' (bytes) → bytes; undefined when it is none of those. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  if (!match) return undefined;
  return Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
