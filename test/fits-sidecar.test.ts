import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFitsHeader, wcsFromFitsHeader } from '../src/wwt/fits-header.js';
import { placeImage, sidecarWcs } from '../src/wwt/image-placement.js';
import { FIXTURES } from './helpers/project.js';
import { writeFitsHeader } from './helpers/fits.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-fits-'));
const tan = { CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL1: 210.5, CRVAL2: -12.25, CRPIX1: 50.5, CRPIX2: 25.5, CD1_1: -0.002, CD1_2: 0, CD2_1: 0, CD2_2: -0.002 };

test('header cards: strings with quotes, D exponents, logicals, comments', () => {
  const file = path.join(dir, 'cards.fits');
  const text = [
    "SIMPLE  =                    T / conforms",
    "OBJECT  = 'O''Brien field'     / a name",
    'CDELT1  =           -1.5D-03 / Fortran exponent',
    'FLAG    =                    F',
    'COMMENT this card has no value',
    'END',
  ]
    .map((c) => c.padEnd(80))
    .join('');
  fs.writeFileSync(file, text.padEnd(2880), 'latin1');
  const header = parseFitsHeader(fs.readFileSync(file));
  assert.is(header.get('OBJECT'), "O'Brien field");
  assert.is(header.get('CDELT1'), -1.5e-3);
  assert.is(header.get('FLAG'), false);
  assert.is(header.get('SIMPLE'), true);
});

test('something that is not FITS is refused', () => {
  assert.throws(() => parseFitsHeader(Buffer.from('hello world'.padEnd(2880))), /not a FITS file/);
});

test('PC + CDELT and CROTA2 forms give the CD matrix', () => {
  const pc = wcsFromFitsHeader(new Map<string, string | number>([['CTYPE1', 'RA---TAN'], ['CTYPE2', 'DEC--TAN'], ['CRVAL1', 1], ['CRVAL2', 2], ['CRPIX1', 3], ['CRPIX2', 4], ['CDELT1', -2], ['CDELT2', 2], ['PC1_2', 0.5]]));
  assert.equal(pc.cd, [-2, -1, 0, 2]);
});

test('a sidecar solved on a 2× larger rendition is rescaled to the image', () => {
  const file = path.join(dir, 'big.wcs.fits');
  writeFitsHeader(file, { ...tan, IMAGEW: 200, IMAGEH: 100 });
  const wcs = sidecarWcs(file, 100, 50);
  assert.equal(wcs.crpix, [25.25, 12.75]);
  assert.equal(wcs.cd, [-0.004, 0, 0, -0.004]);
});

test('a sidecar solved on an image of another aspect ratio is refused', () => {
  const file = path.join(dir, 'other.wcs.fits');
  writeFitsHeader(file, { ...tan, IMAGEW: 200, IMAGEH: 150 });
  assert.throws(() => sidecarWcs(file, 100, 50), /different aspect ratio/);
});

test('an image with a TAN sidecar is placed from it (pixel (1,1) top left: no flip)', async () => {
  const image = path.join(dir, 'field.png');
  await sharp({ create: { width: 100, height: 50, channels: 3, background: '#000' } }).png().toFile(image);
  writeFitsHeader(path.join(dir, 'field.wcs.fits'), { ...tan, IMAGEW: 100, IMAGEH: 50 });
  const placement = await placeImage(image, path.join(dir, 'field.wcs.fits'));
  assert.is(placement.source, 'wcs-sidecar');
  assert.is(placement.flipRows, false);
  assert.is(placement.study?.centerX, 210.5);
  // refpix (50, 25) is exactly the canvas centre (ceil(100/2), ceil(50/2)).
  assert.is(placement.study?.offsetX, 0);
  assert.is(placement.study?.offsetY, 0);
});

test('a mirrored sidecar WCS (det CD < 0 top-down) makes the tiler flip the rows', async () => {
  const image = path.join(dir, 'mirror.png');
  await sharp({ create: { width: 100, height: 50, channels: 3, background: '#000' } }).png().toFile(image);
  writeFitsHeader(path.join(dir, 'mirror.wcs.fits'), { ...tan, CD2_2: 0.002 });
  const placement = await placeImage(image, path.join(dir, 'mirror.wcs.fits'));
  assert.is(placement.flipRows, true);
  assert.equal(placement.wcs?.crpix, [50.5, 25.5]);
  assert.ok(placement.wcs!.cd[3] < 0, 'the stored WCS has positive parity');
});

test('a zenithal-perspective (AZP) WCS from astropy’s sample is a clear error naming the file and projection', async () => {
  const image = path.join(dir, 'azp.png');
  await sharp({ create: { width: 192, height: 192, channels: 3, background: '#000' } }).png().toFile(image);
  fs.copyFileSync(path.join(FIXTURES, '1904-66_AZP.header.fits'), path.join(dir, 'azp.wcs.fits'));
  try {
    await placeImage(image, path.join(dir, 'azp.wcs.fits'));
    assert.unreachable('AZP must not be placed');
  } catch (error) {
    assert.match((error as Error).message, /azp\.wcs\.fits/);
    assert.match((error as Error).message, /AZP cannot be tiled/);
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
