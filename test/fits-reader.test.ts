import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FitsError } from '../src/fits/fits-error.js';
import { listHdus, openFitsImage, sampleFitsImage } from '../src/fits/fits-reader.js';
import { headerBytes, imageFile, paddedData, rawPixels } from '../src/fits/fits-writer.js';

async function allRows(file: string): Promise<number[][]> {
  const image = await openFitsImage(file);
  try {
    const rows: number[][] = [];
    for await (const row of image.rows()) rows.push(Array.from(row));
    return rows;
  } finally {
    image.close();
  }
}

async function failure(run: () => Promise<unknown>): Promise<FitsError> {
  try {
    await run();
  } catch (error) {
    assert.instance(error, FitsError);
    return error as FitsError;
  }
  throw new Error('expected a FitsError');
}

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-fits-reader-'));
    try {
      await run(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'every BITPIX, with BSCALE/BZERO, unsigned via BZERO, BLANK and NaN as missing, rows in file order',
  withDir(async (dir) => {
    const cases: { bitpix: number; raw: (number | bigint)[]; extra: [string, number][]; expect: number[] }[] = [
      { bitpix: 8, raw: [0, 7, 255, 99], extra: [['BLANK', 99]], expect: [0, 7, 255, NaN] },
      { bitpix: 16, raw: [-32768, -1, 0, 32767], extra: [['BZERO', 32768]], expect: [0, 32767, 32768, 65535] },
      { bitpix: 16, raw: [-5, 3, -32768, 10], extra: [['BSCALE', 0.5], ['BZERO', 100], ['BLANK', -32768]], expect: [97.5, 101.5, NaN, 105] },
      { bitpix: 32, raw: [-2147483648, 0, 2147483647, 5], extra: [['BZERO', 2147483648]], expect: [0, 2147483648, 4294967295, 2147483653] },
      { bitpix: 64, raw: [-(2n ** 62n), 0n, 123456789012n, -1n], extra: [['BLANK', -1]], expect: [-(2 ** 62), 0, 123456789012, NaN] },
      { bitpix: -32, raw: [1.5, -2.25, NaN, 3e30], extra: [], expect: [1.5, -2.25, NaN, Math.fround(3e30)] },
      { bitpix: -64, raw: [1e-300, -2.5, NaN, Math.PI], extra: [['BSCALE', 2]], expect: [2e-300, -5, NaN, 2 * Math.PI] },
    ];
    for (const [i, c] of cases.entries()) {
      const file = path.join(dir, `b${i}.fits`);
      fs.writeFileSync(file, imageFile(c.bitpix, 2, 2, c.raw, c.extra));
      const rows = await allRows(file);
      assert.equal(rows.flat().map(String), c.expect.map(String), `BITPIX ${c.bitpix} case ${i}`);
    }
  }),
);

test(
  'CONTINUE long strings, HIERARCH keywords, comments and blank cards; .fit/.fts names; .fits.gz streams',
  withDir(async (dir) => {
    const bytes = Buffer.concat([
      headerBytes([
        ['SIMPLE', true],
        ['BITPIX', 16],
        ['NAXIS', 2],
        ['NAXIS1', 3],
        ['NAXIS2', 2],
        "LONGSTR = 'first part &'  / a long string",
        "CONTINUE  'second part &'",
        "CONTINUE  'end'",
        'HIERARCH ESO DET CHIP TEMP = -120.5 / a hierarch card',
        'COMMENT   anything = here',
        '',
        "HISTORY  written by a test",
        ['OBJECT', "M31 'core'"],
      ]),
      paddedData(rawPixels(16, [1, 2, 3, 4, 5, 6])),
    ]);
    for (const name of ['a.fit', 'a.fts', 'a.fits']) fs.writeFileSync(path.join(dir, name), bytes);
    fs.writeFileSync(path.join(dir, 'a.fits.gz'), zlib.gzipSync(bytes));
    for (const name of ['a.fit', 'a.fts', 'a.fits', 'a.fits.gz']) {
      const [hdu] = await listHdus(path.join(dir, name));
      assert.is(hdu!.header.get('LONGSTR'), 'first part second part end', name);
      assert.is(hdu!.header.get('ESO DET CHIP TEMP'), -120.5);
      assert.is(hdu!.header.get('OBJECT'), "M31 'core'");
      assert.not.ok(hdu!.header.has('COMMENT'));
      assert.equal(await allRows(path.join(dir, name)), [[1, 2, 3], [4, 5, 6]]);
    }
  }),
);

test(
  'tables are skipped by their declared size (PCOUNT heap included); the first IMAGE extension is read',
  withDir(async (dir) => {
    const file = path.join(dir, 'mef.fits');
    const tableRows = Buffer.alloc(3 * 10, 0x41);
    const heap = Buffer.alloc(5000, 0x42); // more than one block: a reader that ignores PCOUNT lands inside it
    fs.writeFileSync(
      file,
      Buffer.concat([
        headerBytes([['SIMPLE', true], ['BITPIX', 8], ['NAXIS', 0], ['EXTEND', true]]),
        headerBytes([['XTENSION', 'BINTABLE'], ['BITPIX', 8], ['NAXIS', 2], ['NAXIS1', 10], ['NAXIS2', 3], ['PCOUNT', 5000], ['GCOUNT', 1], ['TFIELDS', 1], ['TFORM1', '1PB(10)']]),
        paddedData(Buffer.concat([tableRows, heap])),
        headerBytes([['XTENSION', 'TABLE'], ['BITPIX', 8], ['NAXIS', 2], ['NAXIS1', 4], ['NAXIS2', 2], ['PCOUNT', 0], ['GCOUNT', 1], ['TFIELDS', 0]]),
        paddedData(Buffer.from('abcdefgh')),
        headerBytes([['XTENSION', 'IMAGE'], ['BITPIX', -32], ['NAXIS', 2], ['NAXIS1', 2], ['NAXIS2', 1], ['PCOUNT', 0], ['GCOUNT', 1], ['EXTNAME', 'SCI']]),
        paddedData(rawPixels(-32, [0.5, 8])),
      ]),
    );
    const hdus = await listHdus(file);
    assert.equal(hdus.map((h) => h.kind), ['image', 'table', 'table', 'image']);
    const image = await openFitsImage(file);
    image.close();
    assert.is(image.hdu.index, 3);
    assert.is(image.hdu.header.get('EXTNAME'), 'SCI');
    assert.equal(await allRows(file), [[0.5, 8]]);
  }),
);

test(
  'errors name the file and HDU: truncated data, truncated header, bad card, NAXIS not matching, bz2, no image',
  withDir(async (dir) => {
    const good = imageFile(16, 100, 100, new Array(10000).fill(7));
    const cut = path.join(dir, 'cut.fits');
    fs.writeFileSync(cut, good.subarray(0, 2880 + 5000));
    let error = await failure(() => allRows(cut));
    assert.match(error.message, /^cut\.fits \(HDU 0\): the data unit is truncated/);
    assert.is(error.kind, 'config');

    const header = path.join(dir, 'header.fits');
    fs.writeFileSync(header, good.subarray(0, 1000));
    error = await failure(() => listHdus(header));
    assert.match(error.message, /^header\.fits \(HDU 0\): the file ends inside a header/);

    const bad = path.join(dir, 'bad.fits');
    fs.writeFileSync(bad, imageFile(16, 1, 1, [1], ['OBSERVER= Smith without quotes', 'BZERO   = 32768.0.0']));
    error = await failure(() => listHdus(bad));
    assert.match(error.message, /^bad\.fits \(HDU 0\): header card 7 \(BZERO\) has an unreadable value "32768\.0\.0"/);
    // A broken card the reader does not need (real files have them, e.g. DSS's SKEW) is ignored.
    fs.writeFileSync(bad, imageFile(16, 1, 1, [1], ['OBSERVER= Smith without quotes']));
    assert.is((await listHdus(bad))[0]!.header.has('OBSERVER'), false);

    // NAXIS says 100×200 but the data holds 100×100: the size promised does not match the file.
    const mismatch = path.join(dir, 'mismatch.fits');
    fs.writeFileSync(mismatch, Buffer.concat([headerBytes([['SIMPLE', true], ['BITPIX', 16], ['NAXIS', 2], ['NAXIS1', 100], ['NAXIS2', 200]]), good.subarray(2880)]));
    error = await failure(() => allRows(mismatch));
    assert.match(error.message, /^mismatch\.fits \(HDU 0\): the data unit is truncated \(20160 of 40000 bytes/);

    const bz2 = path.join(dir, 'x.fits.bz2');
    fs.writeFileSync(bz2, 'BZh9');
    error = await failure(() => openFitsImage(bz2));
    assert.match(error.message, /^x\.fits\.bz2: its bzip2 compression is damaged: the file is truncated/);

    const empty = path.join(dir, 'empty.fits');
    fs.writeFileSync(empty, headerBytes([['SIMPLE', true], ['BITPIX', 8], ['NAXIS', 0]]));
    error = await failure(() => openFitsImage(empty));
    assert.match(error.message, /^empty\.fits: no HDU holds a 2-D image/);

    const notFits = path.join(dir, 'photo.fits');
    fs.writeFileSync(notFits, Buffer.alloc(3000, 0xff));
    error = await failure(() => openFitsImage(notFits));
    assert.match(error.message, /^photo\.fits \(HDU 0\): header card 1 has non-ASCII bytes/);
  }),
);

test(
  'a strided sample covers the whole image without keeping it: 4096×4096 float32 streamed',
  withDir(async (dir) => {
    const file = path.join(dir, 'big.fits');
    const width = 4096;
    const height = 4096;
    // Written row by row so the test itself never holds the image either. Pixel value = row index (0-based).
    const fd = fs.openSync(file, 'w');
    try {
      fs.writeSync(fd, headerBytes([['SIMPLE', true], ['BITPIX', -32], ['NAXIS', 2], ['NAXIS1', width], ['NAXIS2', height]]));
      const row = Buffer.alloc(width * 4);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) row.writeFloatBE(y, 4 * x);
        fs.writeSync(fd, row);
      }
      fs.writeSync(fd, Buffer.alloc((2880 - ((width * height * 4) % 2880)) % 2880));
    } finally {
      fs.closeSync(fd);
    }
    // Live memory (JS heap and buffers) after a full collection, sampled while the reader works: without the
    // collection, chunks already dropped still count until V8 decides to collect (Node 24 waited for ~68 MiB),
    // and RSS would also count pages the allocator keeps, which vary between Node versions and machine load.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const live = (): number => {
      gc();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    const before = live();
    let grown = 0;
    const sampler = setInterval(() => (grown = Math.max(grown, live() - before)), 5);
    let sample;
    try {
      sample = await sampleFitsImage(file, 65536);
    } finally {
      clearInterval(sampler);
    }
    grown = Math.max(grown, live() - before);
    assert.is(sample.width, 4096);
    assert.is(sample.values.length, 256 * 256); // every 16th row and column
    assert.is(sample.values[0], 0);
    assert.is(sample.values[sample.values.length - 1], 4080); // the last sampled row
    // The image is 64 MiB of float32 (128 MiB as doubles); the reader must not hold it.
    assert.ok(grown < 48 * 1024 * 1024, `memory grew by ${Math.round(grown / 1048576)} MiB`);
  }),
);

test.run();
