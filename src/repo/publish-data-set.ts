// Publishing one data set: upload what changed, in an order that never lets a reader see WTML pointing at
// tiles that are not there, and write the manifest last.
import { type DataSetManifest, MANIFEST_NAME, readManifest } from './data-set-manifest.js';
import { contentTypeOf, type Repository } from './repository.js';
import { withRepositoryLock } from './repository-lock.js';

export interface FileToPublish {
  /** Path inside the data set folder, e.g. `3/5/5_4.png` or `index.wtml`. */
  readonly path: string;
  /** Local file. */
  readonly source: string;
  readonly size: number;
  readonly sha256: string;
}

export interface PublishResult {
  readonly uploaded: number;
  readonly uploadedBytes: number;
  readonly unchanged: number;
  readonly removed: number;
}

/** Files a reader must not see before everything else: the WTML that points at the tiles. */
const LAST_FILES = new Set(['index.wtml', 'index_rel.wtml']);

const DEFAULT_CONCURRENCY = 8;

function cacheControlOf(path: string): string {
  // Tiles and thumbnails change only when republished under the same name; WTML must be re-read sooner.
  return path.endsWith('.wtml') || path.endsWith('.json') ? 'public, max-age=300' : 'public, max-age=86400';
}

/**
 * Run `work` over items, `limit` at a time. After the first failure no new item starts, and the failure is
 * thrown only once every item in flight has settled: nothing is still uploading when the caller (and the
 * lock it holds) moves on.
 */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** The lock one data set is published under: a second publisher of the same id waits its turn or fails. */
export const DATA_SET_LOCK = '.imgbuild-lock';

export async function publishDataSet(
  repository: Repository,
  id: string,
  key: string,
  files: readonly FileToPublish[],
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<PublishResult> {
  return withRepositoryLock(repository, `${id}/${DATA_SET_LOCK}`, `publishing ${id}`, () => publishUnlocked(repository, id, key, files, options), { waitMs: 30_000 });
}

async function publishUnlocked(
  repository: Repository,
  id: string,
  key: string,
  files: readonly FileToPublish[],
  options: { concurrency?: number; signal?: AbortSignal },
): Promise<PublishResult> {
  const previous = await readManifest(repository, id);
  const previousHashes = new Map((previous?.files ?? []).map((f) => [f.path, f.sha256]));
  const changed = files.filter((f) => previousHashes.get(f.path) !== f.sha256);
  let uploadedBytes = 0;
  const upload = async (file: FileToPublish): Promise<void> => {
    if (options.signal?.aborted) throw new Error('publishing was interrupted');
    await repository.putFile(`${id}/${file.path}`, file.source, { contentType: contentTypeOf(file.path), cacheControl: cacheControlOf(file.path) });
    uploadedBytes += file.size;
  };
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  await forEachLimited(changed.filter((f) => !LAST_FILES.has(f.path)), concurrency, upload);
  await forEachLimited(changed.filter((f) => LAST_FILES.has(f.path)), concurrency, upload);
  const manifest: DataSetManifest = {
    format: 1,
    id,
    key,
    publishedAt: new Date().toISOString(),
    files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
  };
  await repository.put(`${id}/${MANIFEST_NAME}`, Buffer.from(JSON.stringify(manifest, null, 1)), {
    contentType: 'application/json',
    cacheControl: cacheControlOf(MANIFEST_NAME),
  });
  // Files the new version no longer has (tiles of a larger old image) go only once nothing points at them.
  const current = new Set(files.map((f) => f.path));
  const stale = [...previousHashes.keys()].filter((p) => !current.has(p));
  await forEachLimited(stale, concurrency, (p) => repository.delete(`${id}/${p}`));
  return { uploaded: changed.length, uploadedBytes, unchanged: files.length - changed.length, removed: stale.length };
}
