// FITS previews: right side up (FITS row 1 at the bottom), not mirrored, scaled as preview-scaling says, BLANK
// black, the HDU chosen, strided when too large, and the `preview` rule through the real CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderFitsPreview } from '../src/fits/fits-preview.js';
import { FitsError } from '../src/fits/fits-error.js';
import { headerBytes, imageFile, paddedData, rawPixels } from '../src/fits/fits-writer.js';
import { REPO_ROOT, TempProject } from './helpers/project.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-preview-'));
}

function pixelsOf(width: number, height: number, value: (x: number, row: number) => number): number[] {
  const values: number[] = [];
  for (let row = 0; row < height; row++) for (let x = 0; x < width; x++) values.push(value(x, row));
  return values;
}

async function grey(file: string): Promise<{ width: number; height: number; at: (x: number, y: number) => number }> {
  const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, at: (x, y) => data[(y * info.width + x) * info.channels]! };
}

const base = { scaling: 'linear' as const, percent: 100, thumbSize: 128, quality: 100, maxPixels: 1e9 };

test('the preview is right side up and not mirrored: FITS row 1 is the bottom line of the JPEG', async () => {
  const dir = tempDir();
  try {
    // White where (FITS row index < 24, the bottom half) or (x < 16, the left strip); black elsewhere.
    const file = path.join(dir, 'l.fits');
    fs.writeFileSync(file, imageFile(-32, 64, 48, pixelsOf(64, 48, (x, row) => (row < 24 || x < 16 ? 1000 : 0))));
    const out = { preview: path.join(dir, 'p.jpg'), thumb: path.join(dir, 't.jpg') };
    const result = await renderFitsPreview(file, { ...base, ...out });
    assert.equal([result.width, result.height, result.stride, result.hdu], [64, 48, 1, 0]);
    const p = await grey(out.preview);
    assert.equal([p.width, p.height], [64, 48]);
    assert.ok(p.at(5, 5) > 240, 'top-left (left strip) is white');
    assert.ok(p.at(50, 5) < 15, 'top-right is black');
    assert.ok(p.at(50, 40) > 240, 'bottom-right (FITS row 1 side) is white');
    // The thumbnail is never enlarged: 64×48 stays 64×48.
    const t = await grey(out.thumb);
    assert.equal([t.width, t.height], [64, 48]);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('a ramp through each scaling gives the grey levels derived by hand; thumbnail longest side 128', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'ramp.fits');
    fs.writeFileSync(file, imageFile(-32, 1001, 16, pixelsOf(1001, 16, (x) => x)));
    // At x = 250 (t = 0.25 of 0..1000): linear 64, sqrt 128, log 204, asinh 140 (see preview-scaling.test.ts).
    const expected = { linear: 64, sqrt: 128, log: 204, asinh: 140 } as const;
    for (const [scaling, level] of Object.entries(expected)) {
      const out = { preview: path.join(dir, `${scaling}.jpg`), thumb: path.join(dir, `${scaling}-t.jpg`) };
      await renderFitsPreview(file, { ...base, scaling: scaling as keyof typeof expected, ...out });
      const p = await grey(out.preview);
      assert.ok(Math.abs(p.at(250, 8) - level) <= 2, `${scaling}: ${p.at(250, 8)} ≠ ${level}`);
      const t = await grey(out.thumb);
      assert.equal([t.width, t.height], [128, 2]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('BLANK pixels are black and left out of the cuts', async () => {
  const dir = tempDir();
  try {
    // Left half BLANK, right half a flat 500: cuts 500..500, so 500 is white and BLANK black.
    const file = path.join(dir, 'blank.fits');
    fs.writeFileSync(file, imageFile(16, 32, 32, pixelsOf(32, 32, (x) => (x < 16 ? -32768 : 500)), [['BLANK', -32768]]));
    const out = { preview: path.join(dir, 'p.jpg'), thumb: path.join(dir, 't.jpg') };
    const result = await renderFitsPreview(file, { ...base, percent: 99.5, ...out });
    assert.equal(result.cuts, { low: 500, high: 500 });
    const p = await grey(out.preview);
    assert.ok(p.at(4, 16) < 15 && p.at(28, 16) > 240, `${p.at(4, 16)} ${p.at(28, 16)}`);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('the first HDU with image data by default; a named HDU without one is an error naming file and HDU', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'ext.fits');
    const primary = headerBytes([['SIMPLE', true], ['BITPIX', 8], ['NAXIS', 0], ['EXTEND', true]]);
    const ext = headerBytes([['XTENSION', 'IMAGE'], ['BITPIX', 16], ['NAXIS', 2], ['NAXIS1', 8], ['NAXIS2', 4], ['PCOUNT', 0], ['GCOUNT', 1]]);
    fs.writeFileSync(file, Buffer.concat([primary, ext, paddedData(rawPixels(16, pixelsOf(8, 4, (x) => x)))]));
    const out = { preview: path.join(dir, 'p.jpg'), thumb: path.join(dir, 't.jpg') };
    assert.is((await renderFitsPreview(file, { ...base, ...out })).hdu, 1);
    assert.is((await renderFitsPreview(file, { ...base, hdu: 1, ...out })).hdu, 1);
    for (const [hdu, message] of [
      [0, /^ext\.fits \(HDU 0\): this HDU holds no 2-D image .*name another hdu$/],
      [5, /^ext\.fits \(HDU 5\): the file has only 2 HDUs/],
    ] as const) {
      try {
        await renderFitsPreview(file, { ...base, hdu, ...out });
        assert.unreachable('expected an error');
      } catch (error) {
        assert.instance(error, FitsError);
        assert.match((error as Error).message, message);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('an image above maxPixels is previewed from every s-th row and column, still right side up', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'big.fits');
    fs.writeFileSync(file, imageFile(-32, 64, 48, pixelsOf(64, 48, (_x, row) => (row < 24 ? 1000 : 0))));
    const out = { preview: path.join(dir, 'p.jpg'), thumb: path.join(dir, 't.jpg') };
    // 3072 pixels, at most 100: stride ⌈√30.72⌉ = 6, so ⌈64/6⌉ × ⌈48/6⌉ = 11 × 8.
    const result = await renderFitsPreview(file, { ...base, maxPixels: 100, ...out });
    assert.is(result.stride, 6);
    const p = await grey(out.preview);
    assert.equal([p.width, p.height], [11, 8]);
    assert.ok(p.at(5, 0) < 30 && p.at(5, 7) > 225, `${p.at(5, 0)} ${p.at(5, 7)}`);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('the preview rule through the CLI: a good FITS builds, a truncated one fails naming the file and HDU', async () => {
  const p = new TempProject('imgbuild-preview-cli-');
  try {
    p.write('pipeline.config.ts', `import { defineConfig, preview } from 'imgbuild';
export default defineConfig({ incoming: 'incoming', work: 'work', local: 'repo', rules: [preview], params: { preview: { scaling: 'sqrt' } } });
`);
    p.write('incoming/good.fits', imageFile(-32, 300, 200, pixelsOf(300, 200, (x, row) => x + row)));
    const bad = imageFile(16, 100, 100, pixelsOf(100, 100, (x) => x));
    p.write('incoming/cut.fits', bad.subarray(0, 2880 + 5000));
    // A header-only WCS sidecar of a JPEG is not an exposure: no node at all (and, with no image rule here to
    // read it, a file no rule takes).
    p.copyFixture('1904-66_AZP.header.fits', 'incoming/orion.wcs.fits');
    const run = p.json(['preview', '--keep-going']);
    assert.is(run.code, 1, run.stderr);
    assert.equal(run.report.skipped ?? [], [], JSON.stringify(run.report));
    assert.ok(run.report.warnings?.some((w) => /orion\.wcs\.fits/.test(w.message)), JSON.stringify(run.report.warnings));
    assert.equal(run.report.ran?.map((r) => r.id), ['preview:good']);
    assert.equal(run.report.failed?.map((r) => r.id), ['preview:cut']);
    assert.match(run.report.failed![0]!.error!, /cut\.fits \(HDU 0\): the data unit is truncated/);
    const previewJpg = await sharp(p.path('work/good/preview.jpg')).metadata();
    const thumbJpg = await sharp(p.path('work/good/preview-thumb.jpg')).metadata();
    assert.equal([previewJpg.width, previewJpg.height, thumbJpg.width, thumbJpg.height], [300, 200, 128, 85]);
    assert.not.ok(fs.existsSync(p.path('work/cut/preview.jpg')), 'nothing partial is left as built');
  } finally {
    fs.rmSync(p.dir, { recursive: true });
  }
});


test('README "FITS inputs and previews": its config previews a FITS file beside a JPEG with `all`, and tiles both', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const config = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## FITS inputs and previews')))![1]!;
  const p = new TempProject('imgbuild-preview-readme-');
  try {
    p.write('pipeline.config.ts', config);
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    p.write('incoming/frame.fits', imageFile(-32, 40, 30, pixelsOf(40, 30, (x) => x)));
    const run = p.json(['all']);
    assert.is(run.code, 0, run.stderr);
    assert.ok(run.report.ran!.some((r) => r.id === 'preview:frame'));
    assert.ok(fs.existsSync(p.path('work/frame/preview.jpg')) && fs.existsSync(p.path('work/frame/preview-thumb.jpg')));
    assert.ok(fs.existsSync(p.path('repo/orion/index.wtml')), 'the JPEG goes through the study pipeline');
    assert.ok(fs.existsSync(p.path('repo/frame/index.wtml')) && fs.existsSync(p.path('repo/frame/thumb.jpg')), 'and so does the FITS file');
  } finally {
    fs.rmSync(p.dir, { recursive: true });
  }
});

test.run();
