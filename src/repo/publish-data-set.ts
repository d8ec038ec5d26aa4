// Publishing one data set: "withdraw, then replace". The invariant (README, "Publishing"): a data set with a
// manifest is complete and matches its manifest byte for byte, and every root-index entry points at a data set
// with its manifest (or a toasty-made one). So before any upload the progress record is written (our trace:
// the folder is ours and unfinished); a republish that would overwrite or remove a file first withdraws the
// data set (root-index entry, then manifest, then index.wtml/index_rel.wtml); only then tiles, WTMLs, manifest,
// stale files, and last the progress record go. A pure addition (a first publish) needs no withdrawal.
import { type DataSetManifest, MANIFEST_NAME, readManifest } from './data-set-manifest.js';
import { contentTypeOf, type Repository } from './repository.js';
import { withRepositoryLock } from './repository-lock.js';
import { forEachLimited } from './for-each-limited.js';
import { withdrawFromRootIndex } from './root-index-withdrawal.js';
import { firstEntry } from '../wwt/wtml.js';

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
 * The progress record `<id>/imgbuild.partial.json` of a publish under way. `known`: path → sha256 of a file
 * known to be in the repository; `touched`: paths an attempt may have written (content unknown until the
 * attempt records it). Present = the data set is ours and unfinished; the next run resumes from it.
 */
export const PROGRESS_NAME = 'imgbuild.partial.json';
const PROGRESS_EVERY = 100;

interface Progress {
  readonly known: Map<string, string>;
  readonly touched: Set<string>;
}

function sameFiles(listed: DataSetManifest['files'], files: readonly FileToPublish[]): boolean {
  if (listed.length !== files.length) return false;
  const byPath = new Map(listed.map((f) => [f.path, f]));
  return files.every((f) => {
    const had = byPath.get(f.path);
    return had !== undefined && had.sha256 === f.sha256 && had.size === f.size;
  });
}

export async function readProgress(repository: Repository, id: string): Promise<Progress | undefined> {
  const bytes = await repository.get(`${id}/${PROGRESS_NAME}`);
  if (bytes === undefined) return undefined;
  const strings = (o: unknown): [string, string][] => Object.entries((o ?? {}) as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { format?: number; known?: unknown; touched?: unknown };
    if (parsed.format === 2) {
      return { known: new Map(strings(parsed.known)), touched: new Set(Array.isArray(parsed.touched) ? parsed.touched.filter((t): t is string => typeof t === 'string') : []) };
    }
    // An older record (a flat path → sha256 map): everything it names may be there.
    const legacy = strings(parsed);
    return { known: new Map(legacy), touched: new Set() };
  } catch {
    // Unreadable: we do not know what is there, but it is ours; every file is uploaded again.
    return { known: new Map(), touched: new Set() };
  }
}

export interface PublishOptions {
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** When the data set's source published it (a feed's date): the root index orders by it. */
  readonly sourcePublishedAt?: string;
}

/** The lock one data set is published under: a second publisher of the same id waits its turn or fails. */
export const DATA_SET_LOCK = '.imgbuild-lock';

export async function publishDataSet(
  repository: Repository,
  id: string,
  key: string,
  files: readonly FileToPublish[],
  options: PublishOptions = {},
): Promise<PublishResult> {
  return withRepositoryLock(repository, `${id}/${DATA_SET_LOCK}`, `publishing ${id}`, () => publishUnlocked(repository, id, key, files, options), { waitMs: 30_000 });
}

async function publishUnlocked(
  repository: Repository,
  id: string,
  key: string,
  files: readonly FileToPublish[],
  options: PublishOptions,
): Promise<PublishResult> {
  // What a killed run was in the middle of writing (local folder) goes first: it is nobody's any more.
  await repository.removeStaleTemporaries?.(id);
  const previous = await readManifest(repository, id);
  const recorded = await readProgress(repository, id);
  if (recorded === undefined && previous?.key === key && previous.sourcePublishedAt === options.sourcePublishedAt && sameFiles(previous.files, files)) {
    // Already published exactly so (by another machine: a shard, a cluster task): nothing is written, and its
    // publish time, which orders the root index, stays the first publisher's.
    return { uploaded: 0, uploadedBytes: 0, unchanged: files.length, removed: 0 };
  }
  // What is in the repository now: the manifest's files, what an interrupted attempt recorded, and the paths it
  // may have written without recording them (unknown content: uploaded again, removed if no longer wanted).
  const known = new Map([...(previous?.files ?? []).map((f): [string, string] => [f.path, f.sha256]), ...(recorded?.known ?? [])]);
  const touched = new Set(recorded?.touched ?? []);
  for (const path of touched) known.delete(path);
  const current = new Set(files.map((f) => f.path));
  const changed = files.filter((f) => known.get(f.path) !== f.sha256);
  const stale = [...new Set([...known.keys(), ...touched])].filter((p) => !current.has(p));
  // Overwriting or removing a file a reader may be using: the data set is withdrawn first.
  // (Removing a file the manifest in place does not list, e.g. after the new manifest is written, is harmless.)
  const listed = new Set((previous?.files ?? []).map((f) => f.path));
  const replaces = stale.some((p) => listed.has(p)) || changed.some((f) => known.has(f.path) || touched.has(f.path));

  const saveProgress = (): Promise<void> =>
    repository.put(
      `${id}/${PROGRESS_NAME}`,
      Buffer.from(JSON.stringify({ format: 2, known: Object.fromEntries(known), touched: [...touched] })),
      { contentType: 'application/json', cacheControl: 'no-store' },
    );
  // Our trace comes before anything else: every path this attempt may write is "touched" until recorded.
  for (const file of changed) {
    known.delete(file.path);
    touched.add(file.path);
  }
  await saveProgress();

  if (replaces) {
    const wtml = await repository.get(`${id}/index.wtml`);
    const place = wtml && firstEntry(wtml.toString('utf8'));
    if (place) await withdrawFromRootIndex(repository, place);
    await repository.delete(`${id}/${MANIFEST_NAME}`);
    await repository.delete(`${id}/index.wtml`);
    await repository.delete(`${id}/index_rel.wtml`);
    // Their content is gone: they are uploaded again below, whatever was recorded.
    for (const name of LAST_FILES) {
      known.delete(name);
      if (current.has(name) && !changed.some((f) => f.path === name)) changed.push(files.find((f) => f.path === name)!);
    }
  }

  let uploadedBytes = 0;
  let sinceSaved = 0;
  let saving: Promise<void> = Promise.resolve();
  const saveInOrder = (): Promise<void> => (saving = saving.then(saveProgress));
  const upload = async (file: FileToPublish): Promise<void> => {
    if (options.signal?.aborted) throw new Error('publishing was interrupted');
    await repository.putFile(`${id}/${file.path}`, file.source, { contentType: contentTypeOf(file.path), cacheControl: cacheControlOf(file.path) });
    uploadedBytes += file.size;
    known.set(file.path, file.sha256);
    touched.delete(file.path);
    if (++sinceSaved >= PROGRESS_EVERY) {
      sinceSaved = 0;
      void saveInOrder().catch(() => undefined); // progress is an optimisation; the manifest is the truth
    }
  };
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  try {
    await forEachLimited(changed.filter((f) => !LAST_FILES.has(f.path)), concurrency, upload);
    await forEachLimited(changed.filter((f) => LAST_FILES.has(f.path)), concurrency, upload);
  } catch (error) {
    if (sinceSaved > 0) await saveInOrder().catch(() => undefined);
    throw error;
  }
  await saving.catch(() => undefined);
  const manifest: DataSetManifest = {
    format: 1,
    id,
    key,
    publishedAt: new Date().toISOString(),
    ...(options.sourcePublishedAt !== undefined ? { sourcePublishedAt: options.sourcePublishedAt } : {}),
    files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
  };
  await repository.put(`${id}/${MANIFEST_NAME}`, Buffer.from(JSON.stringify(manifest, null, 1)), {
    contentType: 'application/json',
    cacheControl: cacheControlOf(MANIFEST_NAME),
  });
  // Files the new version no longer has (tiles of a larger old image) go only once nothing points at them.
  // First the progress record marks them touched (content unknown): a run killed half-way through the deletions
  // must not read them as present with their old hashes, or a later publish of that old version would skip them.
  if (stale.length > 0) {
    for (const p of stale) {
      known.delete(p);
      touched.add(p);
    }
    await saveProgress();
  }
  await forEachLimited(stale, concurrency, (p) => repository.delete(`${id}/${p}`));
  await repository.removeEmptyFolders?.(id);
  await repository.delete(`${id}/${PROGRESS_NAME}`);
  return { uploaded: changed.length, uploadedBytes, unchanged: files.length - changed.length, removed: stale.length };
}
