// WCS maths against numbers derived by hand or from an independent tool (wcslib's wcsware), never from our
// own output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertTileable, cdFromRotation, determinant, flipRows, pixelToWorld, rescale, type Wcs } from '../src/wwt/wcs.js';

const close = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected} (±${tolerance})`);

const topDown: Wcs = { ctype: ['RA---TAN', 'DEC--TAN'], crval: [150, 30], crpix: [100.5, 50.5], cd: [-0.001, 0, 0, -0.001] };

test('the reference pixel maps to CRVAL', () => {
  const [ra, dec] = pixelToWorld(topDown, 100.5, 50.5);
  close(ra, 150, 1e-12, 'RA');
  close(dec, 30, 1e-12, 'Dec');
});

test('pixel → world agrees with wcsware (wcslib) for an off-centre point', () => {
  // `echo "300.5 200.5" | wcsware -x a.fits` with the same header printed 149.769410, 29.849800.
  const [ra, dec] = pixelToWorld(topDown, 300.5, 200.5);
  close(ra, 149.76941, 1e-6, 'RA');
  close(dec, 29.8498, 1e-6, 'Dec');
});

test('pixel → world agrees with wcsware near the pole with a rotated CD matrix', () => {
  const polar: Wcs = { ctype: ['RA---TAN', 'DEC--TAN'], crval: [10, 85], crpix: [512.5, 512.5], cd: [-0.0017320508, 0.001, 0.001, 0.0017320508] };
  // wcsware: (1, 1) → 13.355818, 83.591936; (1024, 1024) → 4.064396, 86.377799
  let [ra, dec] = pixelToWorld(polar, 1, 1);
  close(ra, 13.355818, 1e-6, 'RA (1,1)');
  close(dec, 83.591936, 1e-6, 'Dec (1,1)');
  [ra, dec] = pixelToWorld(polar, 1024, 1024);
  close(ra, 4.064396, 1e-6, 'RA (1024,1024)');
  close(dec, 86.377799, 1e-6, 'Dec (1024,1024)');
});

test('flipping rows mirrors pixel coordinates and keeps the sky', () => {
  const height = 400;
  const flipped = flipRows(topDown, height);
  assert.equal(flipped.crpix, [100.5, 350.5]);
  assert.ok(determinant(topDown) > 0 && determinant(flipped) < 0, 'parity changes sign');
  const a = pixelToWorld(topDown, 37, 12);
  const b = pixelToWorld(flipped, 37, height + 1 - 12);
  close(a[0], b[0], 1e-12, 'RA');
  close(a[1], b[1], 1e-12, 'Dec');
  assert.equal(flipRows(flipped, height), topDown);
});

test('CROTA2 convention: CD from CDELT and rotation', () => {
  const [a, b, c, d] = cdFromRotation(-2, 3, 90);
  // cos 90 = 0, sin 90 = 1: CD1_1 = 0, CD1_2 = -CDELT2, CD2_1 = CDELT1, CD2_2 = 0
  close(a, 0, 1e-15, 'CD1_1');
  close(b, -3, 1e-15, 'CD1_2');
  close(c, -2, 1e-15, 'CD2_1');
  close(d, 0, 1e-15, 'CD2_2');
});

test('rescaling keeps the world position of the same physical point', () => {
  const half = rescale(topDown, 0.5);
  assert.equal(half.crpix, [50.25, 25.25]);
  assert.equal(half.cd, [-0.002, 0, 0, -0.002]);
});

test('non-TAN projections, non-equatorial axes and non-square pixels are refused with the reason', () => {
  assert.throws(() => assertTileable({ ...topDown, ctype: ['RA---AZP', 'DEC--AZP'] }), /AZP cannot be tiled/);
  assert.throws(() => assertTileable({ ...topDown, ctype: ['GLON-TAN', 'GLAT-TAN'] }), /only equatorial/);
  assert.throws(() => assertTileable({ ...topDown, cd: [-0.001, 0, 0, -0.0012] }), /not square/);
  assert.not.throws(() => assertTileable({ ...topDown, ctype: ['RA---TPV', 'DEC--TPV'] }));
});

test.run();
