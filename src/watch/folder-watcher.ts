// Follows folders with chokidar and turns its events into hints (paths to stat again), never into facts about
// content. When the system will not give more watches (inotify's limit: ENOSPC, or EMFILE for instances), it
// falls back to polling and says how to raise the limit; any other watcher error means events may have been
// lost, which the caller answers with a rescan.
import { type FSWatcher, watch } from 'chokidar';
import path from 'node:path';
import { isInProgressName } from '../graph/in-progress-name.js';

export interface FolderWatcherHandlers {
  hint(file: string): void;
  lost(why: string): void;
  fallback(why: string, advice: string): void;
}

const LIMIT_CODES = new Set(['ENOSPC', 'EMFILE']);
export const RAISE_WATCH_LIMIT =
  'raise the limit: sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512 (add both to /etc/sysctl.conf to keep them)';

export class FolderWatcher {
  private watcher: FSWatcher | undefined;
  private polling: boolean;
  private closed = false;

  constructor(
    private readonly folders: readonly string[],
    private readonly depth: number,
    private readonly handlers: FolderWatcherHandlers,
    options: { readonly poll?: boolean; readonly pollIntervalMs?: number } = {},
  ) {
    this.polling = options.poll ?? false;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  private readonly pollIntervalMs: number;

  get isPolling(): boolean {
    return this.polling;
  }

  /** Start following; resolves once the initial listing is done (events after that are changes). */
  async start(): Promise<void> {
    for (;;) {
      const watcher = this.create();
      // The limit may be hit before the watcher is ready (the first folders' watches): then 'ready' may never
      // come from this watcher, and the polling one takes its place.
      const outcome = await new Promise<'ready' | 'replaced'>((resolve) => {
        watcher.once('ready', () => resolve('ready'));
        this.onReplaced = () => resolve('replaced');
      });
      this.onReplaced = undefined;
      if (outcome === 'ready' || this.closed) return;
    }
  }

  private onReplaced: (() => void) | undefined;

  private create(): FSWatcher {
    const watcher = watch([...this.folders], {
      ignoreInitial: true,
      depth: this.depth,
      usePolling: this.polling,
      interval: this.pollIntervalMs,
      binaryInterval: this.pollIntervalMs,
      // Our own settling (settling-files.ts) waits for writes to finish; chokidar's would hide the first event.
      awaitWriteFinish: false,
      atomic: false,
      ignored: (file: string) => isInProgressName(path.basename(file)),
    });
    this.watcher = watcher;
    for (const event of ['add', 'change', 'unlink'] as const) watcher.on(event, (file: string) => this.handlers.hint(path.resolve(file)));
    // A folder that appears or goes away may carry files the events do not list one by one.
    watcher.on('addDir', () => this.handlers.lost('a folder appeared'));
    watcher.on('unlinkDir', () => this.handlers.lost('a folder went away'));
    watcher.on('error', (error: unknown) => void this.onError(watcher, error));
    return watcher;
  }

  private async onError(watcher: FSWatcher, error: unknown): Promise<void> {
    if (this.closed || watcher !== this.watcher) return;
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code !== undefined && LIMIT_CODES.has(code) && !this.polling) {
      this.polling = true;
      this.handlers.fallback(`the system gave no more file watches (${code})`, RAISE_WATCH_LIMIT);
      this.watcher = undefined;
      await watcher.close();
      if (this.closed) return;
      if (this.onReplaced) {
        // start() is still waiting for the first watcher: it makes the polling one.
        this.onReplaced();
        return;
      }
      await this.start();
      this.handlers.lost('switched to polling');
      return;
    }
    this.handlers.lost(`the file watcher reported ${code ?? (error as Error)?.message ?? 'an error'}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
  }
}
