// The node-output cache seam (docs/seams.md §4): a store of finished nodes' outputs, addressed by what determines
// them, that other machines and CI runs share. The scheduler asks it before running a stale node and stores into
// it after a node succeeded; the local build state stays the first level (a node fresh here never asks).
// Like microsoft/lage's CacheProvider (fetch/put), split so that a dry run can ask without restoring.
import type { OutputFileRecord } from '../cache/build-state.js';
import type { NodeOutput } from '../graph/build-graph.js';
import type { Staging } from '../run/staging.js';

/** One file of an entry: output name, path inside the output ('' for a file output), size, sha256. */
export type EntryFile = readonly [output: string, relative: string, size: number, hash: string];

export interface CacheEntry {
  readonly format: typeof ENTRY_FORMAT;
  /** entryDigest(): what the entry says of the outputs, hashed, so that an edited or damaged index is unusable. */
  readonly digest: string;
  readonly address: string;
  /** The node key it was stored for, its rule and item (for people reading `imgbuild cache stats`). */
  readonly key: string;
  readonly rule: string;
  readonly item: string;
  readonly platform: string;
  readonly outputs: readonly { readonly name: string; readonly folder: boolean }[];
  readonly files: readonly EntryFile[];
  /** What the run warned (an image without placement): a restore says it again, as the run did. */
  readonly warnings?: readonly string[];
  readonly createdAt: string;
  /** Refreshed (at most hourly) when a machine restores it: `imgbuild cache prune` drops the least recently used. */
  readonly usedAt: string;
}

export const ENTRY_FORMAT = 'imgbuild-cache-entry-1';

/** What a lookup found. `unusable`: an entry is there but cannot be used (unreadable, another format): a miss, told. */
export type CacheLookup =
  | { readonly kind: 'hit'; readonly entry: CacheEntry }
  | { readonly kind: 'miss' }
  | { readonly kind: 'unusable'; readonly why: string };

/** A restore either wrote every file with the entry's hashes, or says why not (the staging folder is then dirty). */
export type RestoreResult = { readonly ok: true; readonly records: OutputFileRecord[]; readonly bytes: number } | { readonly ok: false; readonly why: string };

/** A finished node's file, in place in the work folder, as put() stores it. */
export interface StoredFile {
  readonly path: string;
  readonly output: string;
  readonly relative: string;
  readonly size: number;
  readonly hash: string;
}

export interface EntryMeta {
  readonly key: string;
  readonly rule: string;
  readonly item: string;
  readonly outputs: readonly NodeOutput[];
  readonly warnings: readonly string[];
}

export interface NodeOutputCache {
  /** Where it is, for messages; never a secret. */
  readonly description: string;
  lookup(address: string): Promise<CacheLookup>;
  /** Write the entry's files into the staging paths and check every file's size and hash against the entry. */
  restore(entry: CacheEntry, staging: Staging, outputs: readonly NodeOutput[]): Promise<RestoreResult>;
  /** Store a succeeded node's files: every file first, the entry's index last, so a reader never sees a partial entry. */
  put(address: string, meta: EntryMeta, files: readonly StoredFile[]): Promise<void>;
}
