// Sequential reading of a (possibly compressed) FITS file: exact-length reads and skips over a Node stream, so a
// file of any size is walked without holding more than one chunk plus the bytes asked for.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

export type Compression = 'none' | 'gzip';

/** How the file's bytes are wrapped, from its name; `.fz` is a FITS file whose images are tile-compressed. */
export function compressionOf(file: string): Compression | 'bzip2' {
  if (/\.gz$/i.test(file)) return 'gzip';
  if (/\.bz2$/i.test(file)) return 'bzip2';
  return 'none';
}

export class ByteSource {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly iterator: AsyncIterator<Buffer>;
  private done = false;
  /** Bytes consumed so far. */
  position = 0;

  constructor(private readonly stream: Readable) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  static open(file: string, compression: Compression): ByteSource {
    const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    return new ByteSource(compression === 'gzip' ? raw.pipe(zlib.createGunzip()) : raw);
  }

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
  }

  /** Exactly `n` bytes, or fewer only at the end of the file. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const take = Math.min(n, this.buffered);
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = joined.subarray(0, take);
    const rest = joined.subarray(take);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.position += take;
    return out;
  }

  /** Skip `n` bytes; returns how many were actually there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const got = await this.read(Math.min(left, 1 << 22));
      if (got.length === 0) break;
      left -= got.length;
    }
    return n - left;
  }

  close(): void {
    this.stream.destroy();
  }
}
