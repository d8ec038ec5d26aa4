import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FitsError } from '../src/fits/fits-error.js';
import { fitsPlacement } from '../src/fits/fits-placement.js';
import { openFitsImage } from '../src/fits/fits-reader.js';
import { headerBytes, paddedData, rawPixels } from '../src/fits/fits-writer.js';
import { pixelToWorld } from '../src/wwt/wcs.js';
import { FIXTURES } from './helpers/project.js';

const ARCSEC = 1 / 3600;

async function placementOf(file: string) {
  const image = await openFitsImage(file);
  image.close();
  return fitsPlacement(path.basename(file), image.hdu);
}

/** World position of FITS pixel (x, y) (row 1 = bottom) through a placement's top-down WCS. */
function worldOfFitsPixel(placement: Awaited<ReturnType<typeof placementOf>>, x: number, y: number): [number, number] {
  const topDownRow = placement.height + 1 - y;
  // A mirrored placement tiles the rows in file order: its WCS rows are FITS rows then.
  return pixelToWorld(placement.wcs, x, placement.flipRows ? y : topDownRow);
}

function near(actual: [number, number], expected: [number, number], tolerance: number, what: string): void {
  const dRa = (actual[0] - expected[0]) * Math.cos((expected[1] * Math.PI) / 180);
  const dDec = actual[1] - expected[1];
  assert.ok(Math.hypot(dRa, dDec) <= tolerance, `${what}: ${actual} vs ${expected} (${(Math.hypot(dRa, dDec) / ARCSEC).toFixed(3)}″)`);
}

test('the DSS sample lands where wcsware says (corners and centre, FITS pixel coordinates)', async () => {
  const placement = await placementOf(path.join(FIXTURES, 'fits', 'dss.14.29.56-62.41.05.fits.gz'));
  assert.is(placement.width, 100);
  assert.is(placement.height, 100);
  // `wcsware -x dss.fits` (wcslib-tools 7.12) on these FITS pixels. wcsware uses the plate's DSS polynomial;
  // the header's CD matrix is its TAN approximation, so positions agree within 0.7″ at the corners
  // (a pixel is 1.7″); getting row 1 wrong would put the corners 2.8′ off.
  const wcsware: [number, number, number, number][] = [
    [1, 1, 217.533223, -62.70914],
    [100, 1, 217.431347, -62.707892],
    [1, 100, 217.5359, -62.662415],
    [100, 100, 217.434184, -62.66117],
    [50, 50, 217.484164, -62.685406],
    [50.5, 50.5, 217.483664, -62.685163],
  ];
  for (const [x, y, ra, dec] of wcsware) near(worldOfFitsPixel(placement, x, y), [ra, dec], (x === 50 || x === 50.5 ? 0.1 : 1) * ARCSEC, `pixel ${x},${y}`);
  // East left, north up, rows going up: positive parity once turned top-down, so no extra flip.
  assert.is(placement.flipRows, false);
  near([placement.study.placeRaHours * 15, placement.study.placeDec], [217.483664, -62.685163], 0.5 * ARCSEC, 'place');
});

test('PC + CDELT and CDELT + CROTA2 give the same placement as the equivalent CD; SIN is a clear error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-fits-wcs-'));
  try {
    const base = [['SIMPLE', true], ['BITPIX', 8], ['NAXIS', 2], ['NAXIS1', 40], ['NAXIS2', 30], ['CTYPE1', 'RA---TAN'], ['CTYPE2', 'DEC--TAN'], ['CRVAL1', 83.8], ['CRVAL2', -5.4], ['CRPIX1', 20.5], ['CRPIX2', 15.5]] as const;
    const angle = (20 * Math.PI) / 180;
    const s = 0.001;
    const forms: Record<string, [string, number][]> = {
      cd: [['CD1_1', -s * Math.cos(angle)], ['CD1_2', -s * Math.sin(angle)], ['CD2_1', -s * Math.sin(angle)], ['CD2_2', s * Math.cos(angle)]],
      pc: [['CDELT1', -s], ['CDELT2', s], ['PC1_1', Math.cos(angle)], ['PC1_2', Math.sin(angle)], ['PC2_1', -Math.sin(angle)], ['PC2_2', Math.cos(angle)]],
      crota: [['CDELT1', -s], ['CDELT2', s], ['CROTA2', 20]],
    };
    const results: Record<string, [number, number][]> = {};
    for (const [form, cards] of Object.entries(forms)) {
      const file = path.join(dir, `${form}.fits`);
      fs.writeFileSync(file, Buffer.concat([headerBytes([...base, ...cards]), paddedData(rawPixels(8, new Array(1200).fill(1)))]));
      const placement = await placementOf(file);
      results[form] = [worldOfFitsPixel(placement, 1, 1), worldOfFitsPixel(placement, 40, 30), worldOfFitsPixel(placement, 1, 30)];
    }
    for (const form of ['pc', 'crota']) {
      results[form]!.forEach((p, i) => near(p, results.cd![i]!, 1e-6 * ARCSEC, `${form} point ${i}`));
    }
    // Rotation really applied: the top-left corner is not where the unrotated WCS would put it.
    const file = path.join(dir, 'sin.fits');
    fs.writeFileSync(file, Buffer.concat([headerBytes([...base.map((c) => (c[0] === 'CTYPE1' ? (['CTYPE1', 'RA---SIN'] as const) : c[0] === 'CTYPE2' ? (['CTYPE2', 'DEC--SIN'] as const) : c)), ...forms.cd!]), paddedData(Buffer.alloc(1200))]));
    let error: unknown;
    try {
      await placementOf(file);
    } catch (caught) {
      error = caught;
    }
    assert.instance(error, FitsError);
    assert.match((error as Error).message, /^sin\.fits \(HDU 0\): cannot place the image on the sky: projection SIN cannot be tiled/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
