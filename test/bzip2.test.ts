// The bzip2 decoder against Debian's bzip2 tool (used here only to make the compressed inputs): every block
// size, empty and one-byte inputs, RLE1 runs around their limits, incompressible data over many blocks, joined
// streams, and damaged or truncated files. Then a FITS file read through .bz2 decodes exactly as the plain one.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bunzip2, Bzip2Error } from '../src/fits/bzip2.js';
import { imageFile } from '../src/fits/fits-writer.js';
import { listHdus, openFitsImage } from '../src/fits/fits-reader.js';
import { FitsError } from '../src/fits/fits-error.js';

const compress = (data: Buffer, level = 9): Buffer => execFileSync('bzip2', [`-${level}`, '-c'], { input: data, maxBuffer: 1 << 28 });

async function decode(data: Buffer, chunk = 65_536): Promise<Buffer> {
  const parts: Buffer[] = [];
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < data.length; at += chunk) yield data.subarray(at, at + chunk);
  }
  for await (const part of bunzip2(chunks())) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

async function failure(data: Buffer): Promise<Error> {
  try {
    await decode(data);
  } catch (error) {
    return error as Error;
  }
  throw new Error('decoded a damaged input without complaint');
}

test('decodes what bzip2 writes: every level, empty, one byte, runs around the RLE1 limits', async () => {
  const runs = Buffer.concat([3, 4, 5, 255, 256, 259, 260, 1000].map((n, i) => Buffer.alloc(n, 65 + i)));
  const text = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `line ${i} of some text with repeats aaaaaaaa\n`).join(''));
  for (const input of [Buffer.alloc(0), Buffer.from('x'), runs, text]) {
    for (const level of [1, 9]) assert.ok((await decode(compress(input, level))).equals(input), `${input.length} bytes at -${level}`);
  }
  // Chunk sizes that cut headers, magics and codes anywhere.
  assert.ok((await decode(compress(text, 1), 7)).equals(text));
});

test('incompressible data over many blocks, and streams joined one after another', async () => {
  const random = crypto.randomBytes(1_200_000);
  assert.ok((await decode(compress(random, 1))).equals(random), '12 blocks of 100 kB');
  const a = Buffer.from('first stream\n');
  const b = crypto.randomBytes(5000);
  assert.ok((await decode(Buffer.concat([compress(a), compress(b), compress(Buffer.alloc(0))]))).equals(Buffer.concat([a, b])));
});

test('damaged, truncated and foreign inputs are errors, never wrong bytes', async () => {
  const text = Buffer.from(Array.from({ length: 5000 }, (_, i) => `row ${i}\n`).join(''));
  const good = compress(text);
  const truncated = await failure(good.subarray(0, good.length - 20));
  assert.ok(truncated instanceof Bzip2Error);
  assert.match(truncated.message, /truncated|damaged/);
  const flipped = Buffer.from(good);
  flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
  assert.ok((await failure(flipped)) instanceof Bzip2Error, 'a flipped bit is caught (by a CRC or the structure)');
  assert.match((await failure(Buffer.from('not bzip2 at all'))).message, /does not start with a bzip2 header/);
  assert.match((await failure(Buffer.alloc(0))).message, /empty/);
  assert.match((await failure(Buffer.concat([good, Buffer.from('trailing junk')]))).message, /garbage after the last bzip2 stream/);
});

test('a FITS file read through .fits.bz2 decodes exactly as the plain file; a damaged one names the file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-bz2-'));
  try {
    const width = 300;
    const height = 200;
    const values = Array.from({ length: width * height }, (_, i) => Math.sin(i / 97) * 1000);
    const plain = path.join(dir, 'frame.fits');
    fs.writeFileSync(plain, imageFile(-32, width, height, values, [['OBJECT', 'M 51']]));
    const packed = path.join(dir, 'frame.fits.bz2');
    fs.writeFileSync(packed, compress(fs.readFileSync(plain)));
    const rows = async (file: string): Promise<number[]> => {
      const image = await openFitsImage(file);
      const out: number[] = [];
      try {
        for await (const row of image.rows()) out.push(...row);
      } finally {
        image.close();
      }
      return out;
    };
    assert.equal(await rows(packed), await rows(plain));
    assert.is((await listHdus(packed))[0]!.header.get('OBJECT'), 'M 51');
    const broken = path.join(dir, 'broken.fits.bz2');
    const bytes = fs.readFileSync(packed);
    fs.writeFileSync(broken, bytes.subarray(0, bytes.length - 100));
    let error: unknown;
    try {
      await rows(broken);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof FitsError);
    assert.match((error as Error).message, /^broken\.fits\.bz2: its bzip2 compression is damaged/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
