// A data repository in a local folder (toasty's `--local`). Writes go to a temporary name beside the
// target and are renamed into place, so a reader (a web server in front of the folder) never sees half a file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDead } from '../process-owner.js';
import os from 'node:os';
import { assertRepositoryPath, type PutOptions, type Repository, type RepositoryEntry, type Versioned } from './repository.js';

let counter = 0;

/** A compare-and-swap guard older than this was left by a killed process (the step it guards takes milliseconds). */
const GUARD_STALE_MS = 5_000;
const GUARD_WAIT_MS = 15_000;

export class LocalRepository implements Repository {
  readonly description: string;

  constructor(readonly root: string) {
    this.description = `local folder ${root}`;
  }

  private resolve(relative: string): string {
    assertRepositoryPath(relative);
    return path.join(this.root, ...relative.split('/'));
  }

  localFile(relative: string): string {
    return this.resolve(relative);
  }

  async get(relative: string): Promise<Buffer | undefined> {
    try {
      return await fs.promises.readFile(this.resolve(relative));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw error;
    }
  }

  private temporaryFor(target: string): string {
    return `${target}.imgbuild-${process.pid}-${++counter}.tmp`;
  }

  async put(relative: string, body: Buffer, _options: PutOptions): Promise<void> {
    const target = this.resolve(relative);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const temporary = this.temporaryFor(target);
    await fs.promises.writeFile(temporary, body);
    await fs.promises.rename(temporary, target);
  }

  async putFile(relative: string, file: string, _options: PutOptions): Promise<void> {
    const target = this.resolve(relative);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const temporary = this.temporaryFor(target);
    // A copy, not a hard link: the work area may be rebuilt while the repository is being served.
    // COPYFILE_FICLONE makes it a cheap reflink on filesystems that support one.
    await fs.promises.copyFile(file, temporary, fs.constants.COPYFILE_FICLONE);
    await fs.promises.rename(temporary, target);
  }

  async getFile(relative: string, file: string): Promise<boolean> {
    try {
      await fs.promises.copyFile(this.resolve(relative), file, fs.constants.COPYFILE_FICLONE);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<RepositoryEntry> {
    const start = prefix === '' ? this.root : this.resolve(prefix.replace(/\/$/, ''));
    const walk = async function* (dir: string, relative: string): AsyncIterable<RepositoryEntry> {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.endsWith('.tmp')) continue;
        const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory()) yield* walk(path.join(dir, entry.name), child);
        else if (entry.isFile()) {
          const stat = await fs.promises.stat(path.join(dir, entry.name));
          yield { path: child, size: stat.size, version: `${stat.mtimeMs}:${stat.ino}`, modifiedMs: stat.mtimeMs };
        }
      }
    };
    yield* walk(start, prefix.replace(/\/$/, ''));
  }

  async folders(prefix: string): Promise<string[]> {
    const dir = prefix === '' ? this.root : this.resolve(prefix.replace(/\/$/, ''));
    try {
      const entries = await fs.promises.readdir(dir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async createExclusive(relative: string, body: Buffer): Promise<boolean> {
    const target = this.resolve(relative);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    try {
      await fs.promises.writeFile(target, body, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  /**
   * Temporary files (`<name>.imgbuild-PID-N.tmp`) of a run that was killed: those of a process that no longer
   * runs, or older than a day (a pid may have been reused). A live writer's temporaries are left alone.
   */
  async removeStaleTemporaries(prefix: string): Promise<number> {
    let removed = 0;
    const dayAgo = Date.now() - 86_400_000;
    const sweep = async (dir: string): Promise<void> => {
      const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          await sweep(full);
          continue;
        }
        const match = /\.imgbuild-(\d+)-\d+\.tmp$/.exec(entry.name);
        if (!match) continue;
        const pid = Number(match[1]);
        const stat = await fs.promises.stat(full).catch(() => undefined);
        const dead = pid !== process.pid && isDead({ host: os.hostname(), pid, started: null });
        if (stat && (dead || stat.mtimeMs < dayAgo)) {
          await fs.promises.rm(full, { force: true });
          removed++;
        }
      }
    };
    await sweep(prefix === '' ? this.root : this.resolve(prefix.replace(/\/$/, '')));
    return removed;
  }

  async removeEmptyFolders(prefix: string): Promise<void> {
    // Depth first; rmdir refuses a folder that is not empty, so a file written meanwhile is never lost.
    const prune = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) if (entry.isDirectory()) await prune(path.join(dir, entry.name));
      await fs.promises.rmdir(dir).catch(() => undefined);
    };
    const start = this.resolve(prefix.replace(/\/$/, ''));
    const entries = await fs.promises.readdir(start, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
    for (const entry of entries) if (entry.isDirectory()) await prune(path.join(start, entry.name));
  }

  // A local object's version is the hash of its bytes (lock bodies are unique, so equal bytes = same lease).
  private static etagOf(body: Buffer): string {
    return crypto.createHash('sha256').update(body).digest('hex');
  }

  async getVersioned(relative: string): Promise<Versioned | undefined> {
    const body = await this.get(relative);
    return body === undefined ? undefined : { body, etag: LocalRepository.etagOf(body) };
  }

  /**
   * The conditional dance: rename the target aside (atomic: of several racers exactly one gets it), compare its
   * version, and either put it back (link, never over a newer file) or finish with it. Then `next`, if given,
   * is linked into place, which fails if another writer created the target meanwhile.
   */
  /**
   * Compare-and-swap on a file: replace (or delete) `relative` only if its content still has `etag`. The check and
   * the change are serialised by a guard file beside the target, created exclusively, which every imgbuild
   * process takes for a conditional change; plain exclusive creates need no guard (they only ever fill an empty
   * place). The current file is never moved away, not even for a moment, so a racing exclusive create can never
   * get in while it stands. A guard left by a killed process is broken after GUARD_STALE_MS: the step it guards
   * takes milliseconds.
   */
  private async swapIfMatch(relative: string, etag: string, next: Buffer | undefined): Promise<boolean> {
    const target = this.resolve(relative);
    const guard = `${target}.imgbuild-guard.tmp`;
    await this.takeGuard(guard);
    try {
      let current: Buffer;
      try {
        current = await fs.promises.readFile(target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return false;
        throw error;
      }
      if (LocalRepository.etagOf(current) !== etag) return false;
      if (next === undefined) {
        await fs.promises.rm(target, { force: true });
        return true;
      }
      const temporary = this.temporaryFor(target);
      await fs.promises.writeFile(temporary, next);
      await fs.promises.rename(temporary, target);
      return true;
    } finally {
      await fs.promises.rm(guard, { force: true });
    }
  }

  private async takeGuard(guard: string): Promise<void> {
    const deadline = Date.now() + GUARD_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.promises.writeFile(guard, String(process.pid), { flag: 'wx' });
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          await fs.promises.mkdir(path.dirname(guard), { recursive: true });
          continue;
        }
        if (code !== 'EEXIST') throw error;
      }
      const stat = await fs.promises.stat(guard).catch(() => undefined);
      if (stat !== undefined && Date.now() - stat.mtimeMs > GUARD_STALE_MS) {
        await fs.promises.rm(guard, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${guard} is held by another imgbuild for longer than ${GUARD_WAIT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(20, 1 + attempt)));
    }
  }

  async putIfMatch(relative: string, body: Buffer, etag: string): Promise<string | undefined> {
    return (await this.swapIfMatch(relative, etag, body)) ? LocalRepository.etagOf(body) : undefined;
  }

  deleteIfMatch(relative: string, etag: string): Promise<boolean> {
    return this.swapIfMatch(relative, etag, undefined);
  }

  async delete(relative: string): Promise<void> {
    await fs.promises.rm(this.resolve(relative), { force: true });
  }
}
