// `--shard I/N`: one machine's part of a build. Items are dealt to shards by a hash of their id, so every machine
// agrees without talking, and an item's nodes (place, tiles, thumbnail, wtml, publish) stay together on one.
// Aggregates (the root index) wait for a final run without --shard (`imgbuild reindex`); nodes that belong to no
// item (a producer listing a feed, a single download every item needs) run in every shard — with a remote cache,
// the first to finish stores them and the others restore.
import { sha256 } from '../cache/file-hasher.js';
import type { BuildNode, RejectedFile } from '../graph/build-graph.js';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
  /** Where I and N came from: '--shard', or the array-job environment found (shard-environment.ts). */
  readonly source: string;
}

/** The shard (1…count) an item belongs to: the first 32 bits of its id's SHA-256, modulo count. */
export function shardOf(item: string, count: number): number {
  return (Number.parseInt(sha256(item).slice(0, 8), 16) % count) + 1;
}

export interface ShardSelection {
  readonly nodes: BuildNode[];
  /** Nodes left to the final unsharded run: aggregates, and whatever depends on one. */
  readonly deferred: BuildNode[];
}

/** The selected nodes (in topological order) this shard runs. */
export function selectShard(nodes: readonly BuildNode[], shard: Shard): ShardSelection {
  const kept: BuildNode[] = [];
  const deferred: BuildNode[] = [];
  const deferredIds = new Set<string>();
  for (const node of nodes) {
    if (node.aggregate || node.upstream.some((u) => deferredIds.has(u.id))) {
      deferred.push(node);
      deferredIds.add(node.id);
      continue;
    }
    if (node.item === '' || shardOf(node.item, shard.count) === shard.index) kept.push(node);
  }
  return { nodes: kept, deferred };
}

/** A file that cannot become a node is told by one shard only (by its would-be node id). */
export function rejectedInShard(rejected: readonly RejectedFile[], shard: Shard): RejectedFile[] {
  return rejected.filter((r) => shardOf(r.id, shard.count) === shard.index);
}
