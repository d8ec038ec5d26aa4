import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FitsError } from '../src/fits/fits-error.js';
import { openFitsImage } from '../src/fits/fits-reader.js';
import { FIXTURES } from './helpers/project.js';

// Fixtures were made once with Debian's fpack (libcfitsio-bin 4.2) from 37×23 test images:
//   fpack -r (RICE_1, row tiles), fpack -g (GZIP_1), fpack -r -t 10,7 (10×7 tiles, partial edge tiles).
// The float32 files are quantized with SUBTRACTIVE_DITHER_1, fpack's default.
// Expected values are what `funpack -S` gives: the first three and the last physical value, and a SHA-256 of all
// physical values (float64 big-endian for integer images; float32 big-endian for float images, as funpack
// writes them).
const FUNPACK: Record<string, { bitpix: number; first: number[]; last: number; sha256: string }> = {
  'int16.rice.fz': { bitpix: 16, first: [768, 33412, 33753], last: 32400, sha256: 'ef4fe6c4bb7106085a568d3042346c90f698d35c10ef315c7e7467267e01172e' },
  'int16.gzip.fz': { bitpix: 16, first: [768, 33412, 33753], last: 32400, sha256: 'ef4fe6c4bb7106085a568d3042346c90f698d35c10ef315c7e7467267e01172e' },
  'int16.tiles.fz': { bitpix: 16, first: [768, 33412, 33753], last: 32400, sha256: 'ef4fe6c4bb7106085a568d3042346c90f698d35c10ef315c7e7467267e01172e' },
  'int32.rice.fz': { bitpix: 32, first: [0, 1, 2], last: 1595904233, sha256: '5eff0d6935e37d594d3178922cc7cc4fbf73102167dcfc132fecb9f149d0441b' },
  'int32.gzip.fz': { bitpix: 32, first: [0, 1, 2], last: 1595904233, sha256: '5eff0d6935e37d594d3178922cc7cc4fbf73102167dcfc132fecb9f149d0441b' },
  'uint8.rice.fz': { bitpix: 8, first: [0, 7, 14], last: 26, sha256: 'ad3df9c2db7ec92bbb5d890bf9a5bbe349dd2bb7761d46def8343be13d43cf9f' },
  'uint8.gzip.fz': { bitpix: 8, first: [0, 7, 14], last: 26, sha256: 'ad3df9c2db7ec92bbb5d890bf9a5bbe349dd2bb7761d46def8343be13d43cf9f' },
  'float32.rice.fz': {
    bitpix: -32,
    first: [0.018557671457529068, 0.2481464296579361, 0.5601261258125305],
    last: 0.03292420133948326,
    sha256: '307b7d2ec0c1b7999d95aee36a9b87500a51050947a57ca41ada45f28054c8b1',
  },
  'float32.gzip.fz': {
    bitpix: -32,
    first: [0.018557671457529068, 0.2481464296579361, 0.5601261258125305],
    last: 0.03292420133948326,
    sha256: '307b7d2ec0c1b7999d95aee36a9b87500a51050947a57ca41ada45f28054c8b1',
  },
};

async function values(file: string): Promise<{ bitpix: number; width: number; height: number; all: number[] }> {
  const image = await openFitsImage(file);
  try {
    const all: number[] = [];
    for await (const row of image.rows()) all.push(...row);
    return { bitpix: image.hdu.bitpix, width: image.width, height: image.height, all };
  } finally {
    image.close();
  }
}

for (const [name, expected] of Object.entries(FUNPACK)) {
  test(`${name} decodes to funpack's values`, async () => {
    const { bitpix, width, height, all } = await values(path.join(FIXTURES, 'fits', name));
    assert.is(bitpix, expected.bitpix);
    assert.is(width, 37);
    assert.is(height, 23);
    const physical = bitpix < 0 ? all.map(Math.fround) : all;
    assert.equal(physical.slice(0, 3), expected.first);
    assert.is(physical[physical.length - 1], expected.last);
    const bytes = Buffer.alloc(physical.length * (bitpix < 0 ? 4 : 8));
    physical.forEach((v, i) => (bitpix < 0 ? bytes.writeFloatBE(v, 4 * i) : bytes.writeDoubleBE(v, 8 * i)));
    assert.is(crypto.createHash('sha256').update(bytes).digest('hex'), expected.sha256);
  });
}

test('a corrupt Rice tile is a clear error naming the file, HDU and tile', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-fits-fz-'));
  try {
    const source = fs.readFileSync(path.join(FIXTURES, 'fits', 'int16.rice.fz'));
    // The data unit is a table of tile descriptors (count, offset into the heap), then the heap of tile bytes.
    const text = source.toString('latin1');
    const dataStart = Math.ceil((text.indexOf('END     ') + 80) / 2880) * 2880 + 2880; // primary + table header
    const corrupt = Buffer.from(source);
    // Row 5's descriptor: count (int32) then offset (int32); a huge count makes the tile run outside the heap.
    const naxis1 = Number(/NAXIS1  =\s+(\d+)/.exec(text.slice(2880))![1]);
    corrupt.writeInt32BE(0x7fffff, dataStart + 4 * naxis1);
    const file = path.join(dir, 'broken.fz');
    fs.writeFileSync(file, corrupt);
    let error: unknown;
    try {
      await values(file);
    } catch (caught) {
      error = caught;
    }
    assert.instance(error, FitsError);
    assert.match((error as Error).message, /^broken\.fz \(HDU 1\): tile 5 points outside the heap/);

    // Garbage inside a tile's Rice stream: the decoder runs out of bytes and says so.
    const garbled = Buffer.from(source);
    const offset = garbled.readInt32BE(dataStart + 4);
    const count = garbled.readInt32BE(dataStart);
    const heapStart = dataStart + naxis1 * 23;
    garbled.fill(0, heapStart + offset + 3, heapStart + offset + count); // zero bits: endless "zero run" codes
    fs.writeFileSync(file, garbled);
    error = undefined;
    try {
      await values(file);
    } catch (caught) {
      error = caught;
    }
    assert.instance(error, FitsError);
    assert.match((error as Error).message, /^broken\.fz \(HDU 1\): tile 1 does not decode \(its RICE_1 data is corrupt or short\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
