// Content hashes of input files, remembered by (size, mtime, inode) so that a no-op build stats files and
// reads no bytes. A file whose mtime was within the clock's reach of the moment we hashed it is remembered
// as "racy" and hashed again next time (git's racy-clean rule): a same-size rewrite in the same mtime tick
// must not go unnoticed.
import crypto from 'node:crypto';
import fs from 'node:fs';

export type Digest = string & { readonly __digest: true };

/** [size, mtimeMs, inode, sha256 hex, racy (1) or not (0)] */
export type FileMemoEntry = [number, number, number, string, number];

export const RACY_WINDOW_MS = 2000;
const CHUNK = 1 << 20;

// crypto.hash (Node ≥ 20.12) is a one-shot digest about twice as fast as createHash for small inputs, which
// matters when a no-op computes 10,000 keys.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

export function sha256(data: string | Uint8Array): Digest {
  return (oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex')) as Digest;
}

/** Hash a file in chunks, so a multi-gigabyte image never sits in memory whole. */
export function hashFileContents(file: string): Digest {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex') as Digest;
}

export class FileHasher {
  /** Files hashed (bytes read) during this process: what the no-op tests and benchmarks look at. */
  hashedFiles = 0;
  changed = false;
  /** Answers already given in this run: rules that share an input (place, tiles, thumbnail) stat it once. */
  private readonly seen = new Map<string, Digest | undefined>();

  constructor(private readonly memo: Record<string, FileMemoEntry>) {}

  /**
   * The file's content hash, or undefined if nothing is there. Something that is there but cannot be read as
   * a file (a FIFO, a device, a folder, a looping or dangling symlink, no read permission) gets a stable
   * `unusable:` pseudo-digest instead of a crash: the input counts as present, so the rule that reads it
   * reports what the file is (src/graph/input-file.ts) as that node's own error, and other images build.
   */
  hash(file: string): Digest | undefined {
    if (this.seen.has(file)) return this.seen.get(file);
    const digest = this.hashUncached(file);
    this.seen.set(file, digest);
    return digest;
  }

  /**
   * Forget this process's answers for these files (a long-lived session was told they changed): the next
   * `hash` stats them again. The memo by (size, mtime, inode) stays; it is what makes re-asking cheap.
   */
  invalidate(files: Iterable<string>): void {
    for (const file of files) this.seen.delete(file);
  }

  /** Forget every answer of this process: a full replan stats every input again. */
  invalidateAll(): void {
    this.seen.clear();
  }

  /** The memo was written out: `changed` now means changed since then. */
  markSaved(): void {
    this.changed = false;
  }

  private hashUncached(file: string): Digest | undefined {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(file, { throwIfNoEntry: false });
    } catch (error) {
      this.forget(file);
      return `unusable:${(error as NodeJS.ErrnoException).code ?? 'error'}` as Digest;
    }
    if (stat === undefined) {
      this.forget(file);
      // A dangling symlink is something the user put there: say so, rather than "missing".
      return fs.lstatSync(file, { throwIfNoEntry: false }) === undefined ? undefined : ('unusable:dangling' as Digest);
    }
    if (!stat.isFile()) {
      this.forget(file);
      return `unusable:${stat.isDirectory() ? 'folder' : 'special'}` as Digest;
    }
    const known = this.memo[file];
    if (known && known[0] === stat.size && known[1] === stat.mtimeMs && known[2] === stat.ino && known[4] === 0) {
      return known[3] as Digest;
    }
    let digest: Digest;
    try {
      digest = hashFileContents(file);
    } catch (error) {
      this.forget(file);
      return `unusable:${(error as NodeJS.ErrnoException).code ?? 'error'}:${stat.mtimeMs}` as Digest;
    }
    this.hashedFiles++;
    const racy = Date.now() - stat.mtimeMs < RACY_WINDOW_MS ? 1 : 0;
    this.memo[file] = [stat.size, stat.mtimeMs, stat.ino, digest, racy];
    this.changed = true;
    return digest;
  }

  private forget(file: string): void {
    if (this.memo[file] === undefined) return;
    delete this.memo[file];
    this.changed = true;
  }
}
