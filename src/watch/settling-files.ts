// Files are taken only once they have stopped changing. A watcher's events say only that something happened
// to a path; each hint is answered by stat'ing the path again until its size, mtime and inode have stayed the
// same for `quietMs` (the write-finish wait). A path that is gone is ready at once: a removal needs no waiting.
import fs from 'node:fs';
import path from 'node:path';
import { isInProgressName } from '../graph/in-progress-name.js';

interface Pending {
  /** [size, mtimeMs, inode] at the last look, or undefined when nothing was there. */
  stat: [number, number, number] | undefined;
  /** When the stat last changed. */
  since: number;
}

export class SettlingFiles {
  private readonly pending = new Map<string, Pending>();
  private readonly ready = new Map<string, number>();

  constructor(private readonly quietMs: number) {}

  /** Something happened to `file` (or a rescan found it changed). Hidden and in-progress names are ignored. */
  hint(file: string, now = Date.now()): void {
    if (isInProgressName(path.basename(file))) return;
    this.ready.delete(file);
    this.pending.set(file, { stat: statOf(file), since: now });
  }

  /** Look at every pending path again; those that settled become ready. */
  poll(now = Date.now()): void {
    for (const [file, entry] of this.pending) {
      const stat = statOf(file);
      if (stat === undefined) {
        // Gone (removed, or renamed away): ready at once, the session decides what that means.
        this.pending.delete(file);
        this.ready.set(file, now);
        continue;
      }
      if (entry.stat === undefined || stat[0] !== entry.stat[0] || stat[1] !== entry.stat[1] || stat[2] !== entry.stat[2]) {
        entry.stat = stat;
        entry.since = now;
        continue;
      }
      if (now - entry.since >= this.quietMs) {
        this.pending.delete(file);
        this.ready.set(file, now);
      }
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get readyCount(): number {
    return this.ready.size;
  }

  /** When the oldest ready file became ready (undefined when none is). */
  get oldestReady(): number | undefined {
    let oldest: number | undefined;
    for (const at of this.ready.values()) if (oldest === undefined || at < oldest) oldest = at;
    return oldest;
  }

  /** Take every ready path (they form one batch). */
  take(): string[] {
    const files = [...this.ready.keys()];
    this.ready.clear();
    return files;
  }
}

/** A directory is not a file to settle; only regular files (or nothing) count. */
function statOf(file: string): [number, number, number] | undefined {
  try {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined || stat.isDirectory()) return undefined;
    return [stat.size, stat.mtimeMs, stat.ino];
  } catch {
    return undefined;
  }
}
