// One build's view of the remote cache: the first failure to reach it (credentials missing, the share unmounted,
// the service down) is said once, and the cache is left alone for the rest of the build — 10,000 nodes do not
// each wait for it and warn about it. A miss is no failure. The next build tries again.
import type { CacheEntry, CacheLookup, EntryMeta, NodeOutputCache, RestoreResult, StoredFile } from './node-output-cache.js';
import type { Staging } from '../run/staging.js';
import type { NodeOutput } from '../graph/build-graph.js';

export class RemoteCacheUnreachable extends Error {
  override readonly name = 'RemoteCacheUnreachable';
}

export class GuardedCache implements NodeOutputCache {
  private failed = false;

  constructor(private readonly inner: NodeOutputCache) {}

  get description(): string {
    return this.inner.description;
  }

  /** True once a failure turned the cache off for this build. */
  get off(): boolean {
    return this.failed;
  }

  private async guard<T>(work: () => Promise<T>, whenOff: T): Promise<T> {
    if (this.failed) return whenOff;
    try {
      return await work();
    } catch (error) {
      if (this.failed) return whenOff;
      this.failed = true;
      throw new RemoteCacheUnreachable(`${error instanceof Error ? error.message : String(error)} — the remote cache is not used for the rest of this build`, { cause: error });
    }
  }

  lookup(address: string): Promise<CacheLookup> {
    return this.guard(() => this.inner.lookup(address), { kind: 'miss' });
  }

  restore(entry: CacheEntry, staging: Staging, outputs: readonly NodeOutput[]): Promise<RestoreResult> {
    return this.guard(() => this.inner.restore(entry, staging, outputs), { ok: false, why: 'the remote cache is off for this build' });
  }

  put(address: string, meta: EntryMeta, files: readonly StoredFile[]): Promise<void> {
    return this.guard(() => this.inner.put(address, meta, files), undefined);
  }
}
