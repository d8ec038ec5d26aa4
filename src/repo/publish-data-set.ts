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

/** Progress of a publish under way: path → sha256 of what is uploaded, so an interrupted one resumes. */
export const PROGRESS_NAME = 'imgbuild.partial.json';
const PROGRESS_EVERY = 100;

async function readProgress(repository: Repository, id: string): Promise<Map<string, string>> {
  const bytes = await repository.get(`${id}/${PROGRESS_NAME}`);
  if (bytes === undefined) return new Map();
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    return new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map();
  }
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
  // What an interrupted attempt already uploaded (its progress record) is not uploaded again.
  const progress = new Map([...previousHashes, ...(await readProgress(repository, id))]);
  const changed = files.filter((f) => progress.get(f.path) !== f.sha256);
  let uploadedBytes = 0;
  let sinceSaved = 0;
  let saving: Promise<void> = Promise.resolve();
  const saveProgress = (): Promise<void> => {
    const snapshot = JSON.stringify(Object.fromEntries(progress));
    saving = saving.then(() => repository.put(`${id}/${PROGRESS_NAME}`, Buffer.from(snapshot), { contentType: 'application/json', cacheControl: 'no-store' }));
    return saving;
  };
  const upload = async (file: FileToPublish): Promise<void> => {
    if (options.signal?.aborted) throw new Error('publishing was interrupted');
    await repository.putFile(`${id}/${file.path}`, file.source, { contentType: contentTypeOf(file.path), cacheControl: cacheControlOf(file.path) });
    uploadedBytes += file.size;
    progress.set(file.path, file.sha256);
    if (++sinceSaved >= PROGRESS_EVERY) {
      sinceSaved = 0;
      void saveProgress().catch(() => undefined); // progress is an optimisation; the manifest is the truth
    }
  };
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  try {
    await forEachLimited(changed.filter((f) => !LAST_FILES.has(f.path)), concurrency, upload);
    await forEachLimited(changed.filter((f) => LAST_FILES.has(f.path)), concurrency, upload);
  } catch (error) {
    if (sinceSaved > 0) await saveProgress().catch(() => undefined);
    throw error;
  }
  await saving.catch(() => undefined);
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
  const stale = [...progress.keys()].filter((p) => !current.has(p));
  await forEachLimited(stale, concurrency, (p) => repository.delete(`${id}/${p}`));
  await repository.delete(`${id}/${PROGRESS_NAME}`);
  return { uploaded: changed.length, uploadedBytes, unchanged: files.length - changed.length, removed: stale.length };
}
