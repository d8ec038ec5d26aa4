// A repository that notes what planning read from it, so that a no-op which asked the repository can still be
// remembered (cache/fresh-snapshot.ts): each `get` on a local folder is stamped with the stat of its file,
// taken before the read (a file changed in between then looks changed, never unchanged). Anything else (a
// remote repository, a listing, a write) cannot be stamped and makes the no-op unrememberable.
import fs from 'node:fs';
import type { FileStamp } from '../cache/fresh-snapshot.js';
import type { PutOptions, Repository, RepositoryEntry, Versioned } from './repository.js';

export class RecordingRepository implements Repository {
  readonly stamps: FileStamp[] = [];
  /** Set when something was read that a stat cannot vouch for. */
  unstampable: string | undefined;

  constructor(private readonly inner: Repository) {}

  get description(): string {
    return this.inner.description;
  }

  private cannotStamp(what: string): void {
    this.unstampable ??= what;
  }

  async get(path: string): Promise<Buffer | undefined> {
    if (this.inner.localFile) {
      const file = this.inner.localFile(path);
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      this.stamps.push(stat ? [file, stat.size, stat.mtimeMs, stat.ino] : [file]);
    } else {
      this.cannotStamp(`${path} in ${this.inner.description}`);
    }
    return this.inner.get(path);
  }

  put(path: string, body: Buffer, options: PutOptions): Promise<void> {
    this.cannotStamp(`a write to ${path}`);
    return this.inner.put(path, body, options);
  }

  putFile(path: string, file: string, options: PutOptions): Promise<void> {
    this.cannotStamp(`a write to ${path}`);
    return this.inner.putFile(path, file, options);
  }

  list(prefix: string): AsyncIterable<RepositoryEntry> {
    this.cannotStamp(`a listing of ${prefix || 'the root'}`);
    return this.inner.list(prefix);
  }

  folders(prefix: string): Promise<string[]> {
    this.cannotStamp(`a listing of ${prefix || 'the root'}`);
    return this.inner.folders(prefix);
  }

  delete(path: string): Promise<void> {
    this.cannotStamp(`a delete of ${path}`);
    return this.inner.delete(path);
  }

  async removeStaleTemporaries(prefix: string): Promise<number> {
    this.cannotStamp(`a cleanup of ${prefix}`);
    return (await this.inner.removeStaleTemporaries?.(prefix)) ?? 0;
  }

  async removeEmptyFolders(prefix: string): Promise<void> {
    this.cannotStamp(`a cleanup of ${prefix}`);
    await this.inner.removeEmptyFolders?.(prefix);
  }

  getVersioned(path: string): Promise<Versioned | undefined> {
    this.cannotStamp(`a versioned read of ${path}`);
    return this.inner.getVersioned(path);
  }

  putIfMatch(path: string, body: Buffer, etag: string): Promise<string | undefined> {
    this.cannotStamp(`a write to ${path}`);
    return this.inner.putIfMatch(path, body, etag);
  }

  deleteIfMatch(path: string, etag: string): Promise<boolean> {
    this.cannotStamp(`a delete of ${path}`);
    return this.inner.deleteIfMatch(path, etag);
  }

  createExclusive(path: string, body: Buffer): Promise<boolean> {
    this.cannotStamp(`a write to ${path}`);
    return this.inner.createExclusive(path, body);
  }
}
