// A node-output cache kept in any store the repository adapters reach: a folder (an NFS or Lustre share, the
// usual thing on a cluster), S3 or Azure Blob Storage. Layout under the cache's prefix:
//
//   blobs/<h0h1>/<sha256>          a file's bytes, named by their hash (immutable: equal names, equal bytes)
//   entries/<a0a1>/<address>.json  the entry: which blobs make which outputs (written after every blob)
//
// Blobs named by content make concurrent writers safe: two machines storing the same address at once write
// the same blob names (any bytes they write under a name are that name's bytes) and each writes a whole entry
// last; whichever entry stays, every blob it names is there. A reader checks each restored file's hash, so a
// blob damaged on the share, or removed by a prune meanwhile, is a miss, never a wrong output.
import fs from 'node:fs';
import path from 'node:path';
import { describeStagedOutputs, type Staging } from '../run/staging.js';
import type { NodeOutput } from '../graph/build-graph.js';
import type { Repository } from '../repo/repository.js';
import { platformOf } from './cache-address.js';
import { sha256 } from '../cache/file-hasher.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import { type CacheEntry, type CacheLookup, ENTRY_FORMAT, type EntryMeta, type NodeOutputCache, type RestoreResult, type StoredFile } from './node-output-cache.js';

/** Transfers at once per node (object stores answer many small requests in parallel). */
const CONCURRENCY = 16;
/** An entry restored is marked used at most this often (one small write), for least-recently-used pruning. */
export const USED_REFRESH_MS = 60 * 60 * 1000;

export const blobPath = (hash: string): string => `blobs/${hash.slice(0, 2)}/${hash}`;
export const entryPath = (address: string): string => `entries/${address.slice(0, 2)}/${address}.json`;

const HEX64 = /^[0-9a-f]{64}$/;

/** The SHA-256 of what an entry says about the outputs: its outputs, files and warnings. */
export function entryDigest(entry: Pick<CacheEntry, 'outputs' | 'files' | 'warnings' | 'address'>): string {
  return sha256(JSON.stringify([entry.address, entry.outputs, entry.files, entry.warnings ?? []]));
}

/** An entry's JSON, checked: undefined when it is not one this version can use. */
export function parseEntry(body: Buffer, address?: string): CacheEntry | string {
  let entry: Partial<CacheEntry>;
  try {
    entry = JSON.parse(body.toString('utf8')) as Partial<CacheEntry>;
  } catch {
    return 'its index is not JSON (a damaged or foreign file)';
  }
  if (entry.format !== ENTRY_FORMAT) return `its format is ${JSON.stringify(entry.format)}, not ${ENTRY_FORMAT}`;
  if ((address !== undefined && entry.address !== address) || !Array.isArray(entry.files) || !Array.isArray(entry.outputs)) return 'its index does not describe this entry';
  if (entry.warnings !== undefined && (!Array.isArray(entry.warnings) || entry.warnings.some((w) => typeof w !== 'string'))) return 'its index holds malformed warnings';
  // The file list is the whole truth of the node's outputs: one edited out would restore a partial node.
  if (entry.digest !== entryDigest(entry as CacheEntry)) return 'its index does not match its own digest (edited or damaged)';
  for (const file of entry.files) {
    if (!Array.isArray(file) || typeof file[0] !== 'string' || typeof file[1] !== 'string' || typeof file[2] !== 'number' || typeof file[3] !== 'string' || !HEX64.test(file[3])) {
      return 'its index lists a malformed file';
    }
    // A relative path that climbs out of its output would write outside the work folder.
    if (file[1] !== '' && (file[1].startsWith('/') || file[1].includes('\\') || file[1].split('/').some((p: string) => p === '..' || p === '.' || p === ''))) return `its index names an unsafe path ${JSON.stringify(file[1])}`;
  }
  return entry as CacheEntry;
}

export class RepositoryOutputCache implements NodeOutputCache {
  readonly description: string;

  constructor(private readonly store: Repository) {
    this.description = store.description;
  }

  async lookup(address: string): Promise<CacheLookup> {
    const body = await this.store.get(entryPath(address));
    if (body === undefined) return { kind: 'miss' };
    const entry = parseEntry(body, address);
    return typeof entry === 'string' ? { kind: 'unusable', why: entry } : { kind: 'hit', entry };
  }

  async restore(entry: CacheEntry, staging: Staging, outputs: readonly NodeOutput[]): Promise<RestoreResult> {
    const wanted = outputs.map((o) => `${o.name}:${o.folder}`).sort().join(',');
    const stored = entry.outputs.map((o) => `${o.name}:${o.folder}`).sort().join(',');
    if (wanted !== stored) return { ok: false, why: `it holds outputs ${stored}, the rule writes ${wanted}` };
    const names = new Set(outputs.map((o) => o.name));
    const stray = entry.files.find((f) => !names.has(f[0]));
    if (stray !== undefined) return { ok: false, why: `it lists a file of an output the rule does not have (${JSON.stringify(stray[0])})` };
    const missing: string[] = [];
    // Only the store's own failures (unreachable, refused) escape as errors; a file that cannot be written
    // where the entry says (a folder in the way) is this entry's problem: a miss.
    await forEachLimited(entry.files, CONCURRENCY, async ([output, relative, , hash]) => {
      const root = staging.paths[output]!;
      const target = relative === '' ? root : path.join(root, ...relative.split('/'));
      const shown = relative === '' ? output : `${output}/${relative}`;
      try {
        await fs.promises.mkdir(path.dirname(target), { recursive: true });
        if (!(await this.getBlob(hash, target))) missing.push(shown);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ELOOP') missing.push(shown);
        else throw error;
      }
    });
    if (missing.length > 0) return { ok: false, why: `${missing.length} of its files ${missing.length === 1 ? 'is' : 'are'} gone from the cache or unreadable (${missing[0]}…)` };
    // Hash what was written, as a run's outputs are: the records the build state keeps, and the check.
    let records;
    try {
      records = describeStagedOutputs(staging, outputs);
    } catch (error) {
      return { ok: false, why: `its files do not make the node's outputs (${(error as Error).message})` };
    }
    if (records.length !== entry.files.length) return { ok: false, why: `it lists ${entry.files.length} files, ${records.length} were restored` };
    const expected = new Map(entry.files.map((f) => [`${f[0]}\0${f[1]}`, f]));
    let bytes = 0;
    for (const [output, relative, size, , hash] of records) {
      const want = expected.get(`${output}\0${relative}`);
      if (want === undefined || want[2] !== size || want[3] !== hash) {
        // A blob whose bytes are not its name's is removed, so the run that follows stores it again (a writer
        // racing this only loses a blob it will find missing: a miss). One whose bytes match its name is good,
        // whatever this entry says of its size: other entries may share it.
        if (want !== undefined && want[3] !== hash) await this.store.delete(blobPath(want[3])).catch(() => undefined);
        return { ok: false, why: `${relative === '' ? output : `${output}/${relative}`} does not have the bytes the entry lists (damaged in the cache)` };
      }
      bytes += size;
    }
    await this.markUsed(entry);
    return { ok: true, records, bytes };
  }

  async put(address: string, meta: EntryMeta, files: readonly StoredFile[]): Promise<void> {
    await forEachLimited(files, CONCURRENCY, async (file) => {
      if (this.hasBlobLocally(file.hash, file.size)) return;
      await this.store.putFile(blobPath(file.hash), file.path, { contentType: 'application/octet-stream' });
    });
    const now = new Date().toISOString();
    const described = {
      address,
      outputs: meta.outputs.map((o) => ({ name: o.name, folder: o.folder })),
      files: files.map((f) => [f.output, f.relative, f.size, f.hash] as const),
      ...(meta.warnings.length > 0 ? { warnings: meta.warnings } : {}),
    };
    const entry: CacheEntry = {
      format: ENTRY_FORMAT,
      digest: entryDigest(described),
      address,
      key: meta.key,
      rule: meta.rule,
      item: meta.item,
      platform: platformOf(),
      outputs: meta.outputs.map((o) => ({ name: o.name, folder: o.folder })),
      files: files.map((f) => [f.output, f.relative, f.size, f.hash] as const),
      ...(meta.warnings.length > 0 ? { warnings: meta.warnings } : {}),
      createdAt: now,
      usedAt: now,
    };
    await this.store.put(entryPath(address), Buffer.from(JSON.stringify(entry)), { contentType: 'application/json' });
  }

  /** A blob already in a cache folder on this machine is not copied again (on a remote store, a write is cheaper than asking first). */
  private hasBlobLocally(hash: string, size: number): boolean {
    const file = this.store.localFile?.(blobPath(hash));
    if (file === undefined) return false;
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined || !stat.isFile() || stat.size !== size) return false;
    // Named again: a prune running now keeps it (its grace period counts from this), as if it had been written.
    try {
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      return false;
    }
    return true;
  }

  private async getBlob(hash: string, target: string): Promise<boolean> {
    if (this.store.getFile) return this.store.getFile(blobPath(hash), target);
    const body = await this.store.get(blobPath(hash));
    if (body === undefined) return false;
    await fs.promises.writeFile(target, body);
    return true;
  }

  private async markUsed(entry: CacheEntry): Promise<void> {
    if (Date.now() - Date.parse(entry.usedAt) < USED_REFRESH_MS) return;
    try {
      await this.store.put(entryPath(entry.address), Buffer.from(JSON.stringify({ ...entry, usedAt: new Date().toISOString() })), { contentType: 'application/json' });
    } catch {
      // Only pruning's order depends on it: a read-only cache (a CI consumer's credentials) restores all the same.
    }
  }
}
