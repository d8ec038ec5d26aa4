// Sequential reading of a (possibly compressed) FITS file: exact-length reads and skips over a Node stream, so a
// file of any size is walked without holding more than one chunk plus the bytes asked for.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import path from 'node:path';
import { bunzip2, Bzip2Error } from './bzip2.js';
import { FitsError } from './fits-error.js';
import zlib from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'bzip2';

/** How the file's bytes are wrapped, from its name; `.fz` is a FITS file whose images are tile-compressed. */
export function compressionOf(file: string): Compression {
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

  constructor(
    private readonly stream: Readable,
    private readonly name = 'the file',
  ) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  static open(file: string, compression: Compression): ByteSource {
    const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    if (compression === 'bzip2') {
      // Our own decoder (bzip2.ts), block by block; a damaged file names itself through the FITS reader.
      const decoded = Readable.from(bunzip2(raw), { objectMode: false });
      decoded.on('close', () => raw.destroy());
      return new ByteSource(decoded, path.basename(file));
    }
    return new ByteSource(compression === 'gzip' ? raw.pipe(zlib.createGunzip()) : raw, path.basename(file));
  }

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.done) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.iterator.next();
      } catch (error) {
        // A damaged compressed stream is the file's fault: say so, naming it.
        if (error instanceof Bzip2Error) throw new FitsError(this.name, undefined, `its bzip2 compression is damaged: ${error.message}; download the file again`, { cause: error });
        if ((error as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new FitsError(this.name, undefined, `its gzip compression is damaged (${(error as Error).message}); download the file again`, { cause: error });
        throw error;
      }
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
    const first = this.chunks[0];
    let out: Buffer;
    if (first !== undefined && first.length >= take) {
      // Within one chunk (nearly always: rows are small, chunks 1 MB): a view, no copy.
      out = first.subarray(0, take);
      this.chunks[0] = first.subarray(take);
      if (this.chunks[0].length === 0) this.chunks.shift();
    } else {
      // Across chunks: copy just these bytes; the rest stays where it is.
      out = Buffer.allocUnsafe(take);
      let filled = 0;
      while (filled < take) {
        const chunk = this.chunks[0]!;
        const part = Math.min(chunk.length, take - filled);
        chunk.copy(out, filled, 0, part);
        filled += part;
        if (part === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(part);
      }
    }
    this.buffered -= take;
    this.position += take;
    return out;
  }

  /** Skip `n` bytes; returns how many were actually there. Drops whole chunks without copying them. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      await this.fill(Math.min(left, 1));
      const chunk = this.chunks[0];
      if (chunk === undefined) break;
      const part = Math.min(chunk.length, left);
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
      this.buffered -= part;
      this.position += part;
      left -= part;
    }
    return n - left;
  }

  close(): void {
    this.stream.destroy();
  }
}
