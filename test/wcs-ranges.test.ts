// Issue 8 item 5: every WCS/AVM value is range- and type-checked; a bad one is an error naming the field and
// the file, never an image placed wrong in silence.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AvmError, parseAvm } from '../src/wwt/avm.js';
import { placeImage } from '../src/wwt/image-placement.js';
import { assertTileable } from '../src/wwt/wcs.js';
import { writeFitsHeader } from './helpers/fits.js';

const packet = (body: string): string =>
  `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
  `<rdf:Description rdf:about="" xmlns:avm="http://www.communicatingastronomy.org/avm/1.0/">${body}</rdf:Description></rdf:RDF></x:xmpmeta>`;
const seq = (...values: Array<string | number>): string => `<rdf:Seq>${values.map((v) => `<rdf:li>${v}</rdf:li>`).join('')}</rdf:Seq>`;
const avm = (fields: Record<string, Array<string | number>>): string =>
  packet(Object.entries({ 'Spatial.ReferenceValue': [83.8, -5.4], 'Spatial.ReferencePixel': [32.5, 24.5], 'Spatial.Scale': [-0.001, 0.001], ...fields }).map(([k, v]) => `<avm:${k}>${seq(...v)}</avm:${k}>`).join(''));

test('a good AVM packet parses (the baseline the cases below change one field of)', () => {
  assert.equal(parseAvm(avm({}))?.spatial?.referenceValue, [83.8, -5.4]);
});

for (const [field, values, pattern] of [
  ['Spatial.ReferenceDimension', [-64, -48], /Spatial\.ReferenceDimension must be two positive/],
  ['Spatial.ReferenceDimension', [64, 0], /Spatial\.ReferenceDimension must be two positive/],
  ['Spatial.ReferenceValue', [83.8, 95], /Spatial\.ReferenceValue has declination 95, outside/],
  ['Spatial.ReferenceValue', [83.8, -90.5], /declination -90\.5, outside/],
  ['Spatial.Scale', [0, 0.001], /Spatial\.Scale must be two non-zero/],
  ['Spatial.CDMatrix', ['NaN', 0, 0, 1], /Spatial\.CDMatrix must hold 4 number/],
  ['Spatial.Rotation', ['Infinity'], /Spatial\.Rotation must hold 1 number/],
] as const) {
  test(`AVM ${field} = ${JSON.stringify(values)} is an AvmError naming the field`, () => {
    assert.throws(
      () => parseAvm(avm({ [field]: [...values] })),
      (e: unknown) => e instanceof AvmError && pattern.test((e as Error).message),
    );
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-wcs-ranges-'));
const tan = { CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL1: 210.5, CRVAL2: -12.25, CRPIX1: 32.5, CRPIX2: 24.5, CD1_1: -0.002, CD1_2: 0, CD2_1: 0, CD2_2: -0.002 };
const classic = { CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL1: 210.5, CRVAL2: -12.25, CRPIX1: 32.5, CRPIX2: 24.5, CDELT1: -0.002, CDELT2: 0.002 };

/** Place a plain 64×48 JPEG (no AVM) with a sidecar made of `cards`. */
async function placeWith(name: string, cards: Record<string, string | number | boolean>): Promise<unknown> {
  const image = path.join(dir, `${name}.jpg`);
  await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 9, g: 9, b: 9 } } }).jpeg().toFile(image);
  const sidecar = path.join(dir, `${name}.wcs.fits`);
  writeFitsHeader(sidecar, cards);
  try {
    await placeImage(image, sidecar);
    return undefined;
  } catch (error) {
    return error;
  }
}

test('a good sidecar places the image (the baseline)', async () => {
  assert.is(await placeWith('good', { ...tan, IMAGEW: 64, IMAGEH: 48 }), undefined);
  assert.is(await placeWith('classic', { ...classic, CROTA2: 10 }), undefined);
});

for (const [name, cards, pattern] of [
  ['negative-imagew', { ...tan, IMAGEW: -64, IMAGEH: 48 }, /IMAGEW .* is -64, not a positive whole number/],
  ['negative-imageh', { ...tan, IMAGEW: 64, IMAGEH: -48 }, /IMAGEH .* is -48/],
  ['one-size', { ...tan, IMAGEW: 64 }, /only one of IMAGEW and IMAGEH/],
  ['dec-95', { ...tan, CRVAL2: 95 }, /CRVAL2 .* is 95, outside/],
  ['nan-cd12', { ...tan, CD1_2: 'NaN' }, /card CD1_2 is "NaN", not a finite number/],
  ['nan-cd21', { ...tan, CD2_1: Number.NaN }, /card CD2_1 is "NaN", not a finite number/],
  ['infinite-cd11', { ...tan, CD1_1: Number.POSITIVE_INFINITY }, /card CD1_1 is "Infinity"/],
  ['text-crota2', { ...classic, CROTA2: 'abc' }, /card CROTA2 is "abc", not a finite number/],
  ['nan-cdelt1', { ...classic, CDELT1: Number.NaN }, /CDELT1/],
  ['text-pc12', { ...classic, PC1_2: 'x' }, /card PC1_2 is "x"/],
] as const) {
  test(`sidecar ${name}: a per-image error naming the card and the sidecar`, async () => {
    const error = await placeWith(name, cards);
    assert.ok(error instanceof Error, `placed without an error: ${name}`);
    const message = (error as Error).message;
    assert.match(message, new RegExp(`cannot place ${name}\\.jpg on the sky from ${name}\\.wcs\\.fits`));
    assert.match(message, pattern);
  });
}

test('assertTileable refuses a WCS made in code with a Dec out of range or a NaN', () => {
  const wcs = { ctype: ['RA---TAN', 'DEC--TAN'] as const, crval: [10, 20] as const, crpix: [1, 1] as const, cd: [-0.001, 0, 0, 0.001] as const };
  assertTileable(wcs);
  assert.throws(() => assertTileable({ ...wcs, crval: [10, 91] }), /declination is 91/);
  assert.throws(() => assertTileable({ ...wcs, cd: [-0.001, Number.NaN, 0, 0.001] }), /not a finite number/);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
