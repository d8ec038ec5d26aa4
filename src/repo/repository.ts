// The data repository contract: where published data sets live (a local folder, Azure Blob Storage, S3).
// Paths are relative, '/'-separated, never starting with '/' and never containing '..'. Every adapter must
// make `put` atomic for readers: an object is either absent, the old version, or the whole new version.

export interface RepositoryEntry {
  readonly path: string;
  readonly size: number;
  /** Changes whenever the object's content may have (ETag, or a local file's mtime): what a mirror compares. */
  readonly version?: string;
  /** When it was last written (ms since the epoch), where the store says (every adapter here). */
  readonly modifiedMs?: number;
}

export interface Versioned {
  readonly body: Buffer;
  readonly etag: string;
}

export interface PutOptions {
  readonly contentType: string;
  readonly cacheControl?: string;
}

export interface Repository {
  /** Where it is, for messages. Never contains a secret. */
  readonly description: string;
  /** The object's bytes, or undefined if there is none. */
  get(path: string): Promise<Buffer | undefined>;
  /**
   * Only where an object can be streamed to a file (every adapter here): write it to `file` without holding it
   * in memory; false if there is no such object. A mirror of incoming FITS files uses it (files of gigabytes).
   */
  getFile?(path: string, file: string): Promise<boolean>;
  /** Store bytes, replacing what was there. */
  put(path: string, body: Buffer, options: PutOptions): Promise<void>;
  /** Store a local file, replacing what was there; adapters may stream it. */
  putFile(path: string, file: string, options: PutOptions): Promise<void>;
  /** Every object under `prefix` (use '' for all), in no particular order. */
  list(prefix: string): AsyncIterable<RepositoryEntry>;
  /** Names of the folders directly under `prefix` ('' for the root): the data sets of a repository. */
  folders(prefix: string): Promise<string[]>;
  delete(path: string): Promise<void>;
  /** Create an object only if none exists (for locks); false when another writer got there first. */
  createExclusive(path: string, body: Buffer): Promise<boolean>;
  /** The object's bytes and version tag (ETag), or undefined if there is none: for conditional writes (locks). */
  getVersioned(path: string): Promise<Versioned | undefined>;
  /** Replace the object only if it is still version `etag`; its new version, or undefined when it was not. */
  putIfMatch(path: string, body: Buffer, etag: string): Promise<string | undefined>;
  /** Delete the object only if it is still version `etag`; false when it was not (or is gone). */
  deleteIfMatch(path: string, etag: string): Promise<boolean>;
  /**
   * Only for a repository that is a folder on this machine: the file that holds `path`. It lets a no-op that
   * read the repository be remembered by the stat of what it read (cache/fresh-snapshot.ts); a remote
   * repository can change at any moment without this machine noticing, so it has none.
   */
  localFile?(path: string): string;
  /** Only where folders exist apart from their files (a local folder): remove the empty ones under `prefix`. */
  removeEmptyFolders?(prefix: string): Promise<void>;
  /** Only where writes go through temporary files (a local folder): remove those a killed run left under `prefix`. */
  removeStaleTemporaries?(prefix: string): Promise<number>;
}

export class RepositoryPathError extends Error {
  override readonly name = 'RepositoryPathError';
}

/** Throws unless `path` is a safe relative repository path. */
export function assertRepositoryPath(path: string): void {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw new RepositoryPathError(`unsafe repository path ${JSON.stringify(path)}`);
  }
}

/** Content-Type by extension, for the files a WWT data set holds. */
export function contentTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  switch (ext) {
    case 'png':
      return 'image/png';
    case 'jpg':
    case 'jpeg':
      return 'image/jpeg';
    case 'wtml':
    case 'xml':
      return 'text/xml';
    case 'json':
      return 'application/json';
    case 'fits':
      return 'application/fits';
    default:
      return 'application/octet-stream';
  }
}
