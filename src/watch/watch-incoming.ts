// `imgbuild watch`: follow the incoming folders and build, publish and reindex what arrives, in batches, for as
// long as it runs. One build session stays open; each batch is one `runOnce` planned from the files that changed.
//
//   hints (chokidar, rescans) → settling (write-finish wait) → a batch once nothing is still settling (or the
//   oldest ready file has waited maxWaitMs) → session.runOnce({ changed }) → one line per batch
//
// A file arriving while a batch runs settles meanwhile and goes into the next batch. A node that failed on its
// inputs is held until they change; a failure of the machine or repository is retried with backoff.
import fs from 'node:fs';
import { ImgbuildError } from '../errors.js';
import { environmentErrorOf } from '../environment-error.js';
import { type BuildSession, HELD_REASON } from '../run/build-session.js';
import type { EventSink } from '../run/events.js';
import { changedBetween, type FolderListing, scanFolders, stampOf } from './folder-scan.js';
import { FolderWatcher } from './folder-watcher.js';
import { SettlingFiles } from './settling-files.js';
import type { BatchCause, WatchEventSink } from './watch-events.js';

/** A job the watcher runs on its own between batches (archive expiry). */
export interface PeriodicTask {
  readonly everyMs: number;
  run(): Promise<void>;
}

export interface WatchOptions {
  readonly targets?: readonly string[];
  /** How long a file must stay the same size, mtime and inode before it is taken. */
  readonly quietMs?: number;
  /** A batch starts once this long has passed since its first file was ready, even while others still settle. */
  readonly maxWaitMs?: number;
  /** Every folder is listed again this often, in case events were lost. */
  readonly rescanMs?: number;
  readonly poll?: boolean;
  readonly pollIntervalMs?: number;
  /** Stop: finish the running batch's running nodes, start nothing new, return. */
  readonly signal: AbortSignal;
  /** Cancel the running nodes too. */
  readonly cancel?: AbortSignal;
  readonly emit?: EventSink;
  readonly onWatch?: WatchEventSink;
  readonly periodic?: readonly PeriodicTask[];
  /**
   * A file whose change starts a batch with no changed inputs (the reviewers' decisions, cache/review.json,
   * written by the review page or by `imgbuild approve` in another terminal): what was waiting is planned again.
   */
  readonly decisions?: string;
}

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 60_000;

export async function watchIncoming(session: BuildSession, options: WatchOptions): Promise<void> {
  const quietMs = options.quietMs ?? 300;
  const maxWaitMs = options.maxWaitMs ?? 2000;
  const rescanMs = options.rescanMs ?? 60_000;
  const tell = options.onWatch ?? (() => undefined);
  const settling = new SettlingFiles(quietMs);
  const folders = session.sourceFolders;
  const depth = session.sourceDepth;
  const { signal } = options;

  let wake: () => void = () => undefined;
  const poke = (): void => wake();
  signal.addEventListener('abort', poke);
  let rescanNow = false;
  const watcher = new FolderWatcher(
    folders,
    depth,
    {
      hint: (file) => {
        settling.hint(file);
        poke();
      },
      lost: (why) => {
        tell({ type: 'rescan', why });
        rescanNow = true;
        poke();
      },
      fallback: (why, advice) => tell({ type: 'fallback', why, advice }),
    },
    { ...(options.poll !== undefined ? { poll: options.poll } : {}), ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}) },
  );

  let listing: FolderListing = new Map();
  let retryAt: number | undefined;
  let retryDelay = FIRST_RETRY_MS;
  /** Changed files of a batch that could not be planned (the repository was away): planned with the retry. */
  let carried: string[] = [];

  const runBatch = async (cause: BatchCause, files: string[] | undefined): Promise<void> => {
    const started = Date.now();
    tell({ type: 'batch-start', cause, files: files?.length ?? 0 });
    const gone = files ? session.inputsAmong(files).filter((f) => !fs.existsSync(f)) : [];
    try {
      const { summary } = await session.runOnce({
        ...(files ? { changed: files } : {}),
        ...(options.targets ? { targets: options.targets } : {}),
        holdFailures: true,
        keepGoing: true,
        signal,
        ...(options.cancel ? { cancel: options.cancel } : {}),
        ...(options.emit ? { emit: options.emit } : {}),
      });
      if (gone.length > 0) tell({ type: 'removed', files: gone });
      // What the batch looked at is known now: the next rescan reports only what changes after it.
      for (const file of files ?? []) {
        const stamp = stampOf(file);
        if (stamp === undefined) listing.delete(file);
        else listing.set(file, stamp);
      }
      const held = summary.skipped.filter((s) => s.why === HELD_REASON).length;
      tell({ type: 'batch-done', cause, files: files?.length ?? 0, ran: summary.ran.length, failed: summary.failed.length, held, ms: Date.now() - started });
      const environment = summary.failed.find((f) => f.environment);
      if (environment && !signal.aborted) scheduleRetry(environment.error);
      else {
        retryAt = undefined;
        retryDelay = FIRST_RETRY_MS;
      }
    } catch (error) {
      const expected = error instanceof ImgbuildError ? error : environmentErrorOf(error);
      // Only the machine's and the repository's troubles are waited out; a configuration error ends the watch.
      if (expected?.kind !== 'environment') throw error;
      carried = [...new Set([...carried, ...(files ?? [])])];
      scheduleRetry(expected.message);
    }
  };
  const scheduleRetry = (why: string): void => {
    retryAt = Date.now() + retryDelay;
    tell({ type: 'retry-later', why, inMs: retryDelay });
    retryDelay = Math.min(retryDelay * 2, LAST_RETRY_MS);
  };

  try {
    // Watch first, then build: a file arriving during the first pass is a change for the next batch.
    await watcher.start();
    tell({ type: 'watching', folders, polling: watcher.isPolling });
    listing = scanFolders(folders, depth);
    let nextRescan = Date.now() + rescanMs;
    const nextRun = new Map((options.periodic ?? []).map((task) => [task, Date.now()] as const));
    let decisionsStamp = options.decisions !== undefined ? stampOf(options.decisions) : undefined;
    // Polled (bounded, once a second): an inotify watch on the cache folder would see every build's writes.
    if (options.decisions !== undefined) fs.watchFile(options.decisions, { interval: 1000 }, poke);
    await runBatch('start', undefined);
    while (!signal.aborted) {
      const wakeUp = new Promise<void>((resolve) => (wake = resolve));
      settling.poll();
      let now = Date.now();
      if (rescanNow || now >= nextRescan) {
        rescanNow = false;
        const next = scanFolders(folders, depth);
        for (const file of changedBetween(listing, next)) settling.hint(file, now);
        listing = next;
        nextRescan = now + rescanMs;
        settling.poll();
      }
      for (const [task, at] of nextRun) {
        if (now < at || signal.aborted) continue;
        await task.run();
        nextRun.set(task, Date.now() + task.everyMs);
      }
      if (options.decisions !== undefined && !signal.aborted) {
        const stamp = stampOf(options.decisions);
        if (stamp !== decisionsStamp) {
          decisionsStamp = stamp;
          await runBatch('review', []);
          continue;
        }
      }
      now = Date.now();
      const oldest = settling.oldestReady;
      const batchDue = oldest !== undefined && (settling.pendingCount === 0 || now - oldest >= maxWaitMs);
      const retryDue = retryAt !== undefined && now >= retryAt;
      if ((batchDue || retryDue) && !signal.aborted) {
        const files = [...new Set([...carried, ...settling.take()])];
        carried = [];
        await runBatch(batchDue ? 'changes' : 'retry', files);
        continue;
      }
      // Sleep until a hint, the next settling look, a timer, or the stop.
      const timers = [nextRescan, retryAt ?? Infinity, ...nextRun.values()];
      if (settling.pendingCount > 0) timers.push(now + Math.max(10, Math.floor(quietMs / 4)));
      if (oldest !== undefined) timers.push(oldest + maxWaitMs);
      const sleep = Math.max(0, Math.min(...timers) - now);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([wakeUp, new Promise<void>((resolve) => (timer = setTimeout(resolve, sleep)))]);
      clearTimeout(timer);
    }
  } finally {
    signal.removeEventListener('abort', poke);
    if (options.decisions !== undefined) fs.unwatchFile(options.decisions, poke);
    await watcher.close();
  }
}
