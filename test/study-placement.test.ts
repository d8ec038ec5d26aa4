// WTML placement values: GUIDE §2's worked example (toasty 0.20's own output for the ESO sample) and
// hand-derived cases for both parities, rotation and an off-centre reference pixel.
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { placeImage } from '../src/wwt/image-placement.js';
import { studyPlacement } from '../src/wwt/study-placement.js';
import { cdFromRotation, flipRows, type Wcs } from '../src/wwt/wcs.js';
import { FIXTURES } from './helpers/project.js';

const close = (actual: number | undefined, expected: number, tolerance: number, what: string): void =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

for (const file of ['eso_eso1723a_320.jpg', 'eso_eso1723a_320.png']) {
  test(`${file}: matches toasty 0.20 to 1e-9`, async () => {
    const placement = await placeImage(path.join(FIXTURES, file), undefined);
    assert.is(placement.source, 'avm');
    assert.is(placement.width, 320);
    assert.is(placement.height, 248);
    assert.is(placement.flipRows, false, 'AVM is bottom-up; once described top-down the JPEG needs no pixel flip');
    const s = placement.study!;
    assert.is(s.tileLevels, 1);
    close(s.baseDegreesPerTile, 1.598762074500876, 1e-9, 'BaseDegreesPerTile');
    close(s.centerX, 83.7844027714, 1e-9, 'CenterX');
    close(s.centerY, -5.47870026672, 1e-9, 'CenterY');
    close(s.offsetX, 0.0015612910883797616, 1e-9, 'OffsetX');
    close(s.offsetY, 0.000752383742467864, 1e-9, 'OffsetY');
    close(s.rotation, -0.18, 1e-9, 'Rotation');
    close(s.placeRaHours, 5.585522130027136, 1e-9, 'Place RA');
    close(s.placeDec, -5.477952789576781, 1e-9, 'Place Dec');
    close(s.zoomLevel, 7.89888387433089, 1e-9, 'ZoomLevel');
    assert.is(placement.metadata.title, 'The Orion Nebula and cluster from the VLT Survey Telescope');
    assert.is(placement.metadata.credit, 'ESO/G. Beccari');
    assert.is(placement.metadata.referenceUrl, 'https://www.eso.org/public/images/eso1723a/');
  });
}

const s = 1e-3;

test('positive parity, centred reference pixel: no offsets, no rotation, Place at CRVAL', () => {
  // 512×512, north up east left, stored top-down: CD1_1 = -s (x right → RA down), CD2_2 = -s (y down → Dec down).
  const wcs: Wcs = { ctype: ['RA---TAN', 'DEC--TAN'], crval: [40, 20], crpix: [256.5, 256.5], cd: [-s, 0, 0, -s] };
  const p = studyPlacement(wcs, 512, 512);
  assert.is(p.tileLevels, 1);
  close(p.baseDegreesPerTile, s * 256 * 2, 1e-15, 'BaseDegreesPerTile = scale × 256 × 2^levels');
  close(p.offsetX, 0, 1e-15, 'OffsetX: refpix 256 = ceil(512/2)');
  close(p.offsetY, 0, 1e-15, 'OffsetY');
  close(p.rotation, 0, 1e-12, 'Rotation');
  close(p.placeRaHours, 40 / 15, 1e-12, 'RA hours');
  close(p.placeDec, 20, 1e-12, 'Dec');
  close(p.zoomLevel, 512 * s * 1.7 * 6, 1e-12, 'ZoomLevel');
});

test('negative parity: a mirrored image is flipped, and the flipped WCS gives the same placement', async () => {
  const mirrored: Wcs = { ctype: ['RA---TAN', 'DEC--TAN'], crval: [40, 20], crpix: [256.5, 100.5], cd: [-s, 0, 0, s] };
  const fixed = flipRows(mirrored, 512);
  assert.equal(fixed.crpix, [256.5, 412.5]);
  const p = studyPlacement(fixed, 512, 512);
  // refpix_y = 412; OffsetY = (412 - 256) × s
  close(p.offsetY, 156 * s, 1e-15, 'OffsetY');
  close(p.rotation, 0, 1e-12, 'Rotation');
  // The same sky written top-down by hand (row y' = 513 − y, so CRPIX2 412.5 and CD2_2 negated) must place
  // identically, field by field.
  const topDown: Wcs = { ctype: ['RA---TAN', 'DEC--TAN'], crval: [40, 20], crpix: [256.5, 412.5], cd: [-s, 0, 0, -s] };
  const expected = studyPlacement(topDown, 512, 512);
  const fields = Object.keys(expected) as Array<keyof typeof expected>;
  assert.ok(fields.length >= 9, `compares every placement field (${fields.join(', ')})`);
  for (const field of fields) {
    const [a, b] = [p[field], expected[field]];
    if (typeof a === 'number' && typeof b === 'number') close(a, b, 1e-12, String(field));
    else assert.equal(a, b, String(field));
  }
  close(p.placeDec, 20 + 156.5 * s, 1e-3, 'the image centre lies 156.5 rows north of CRVAL');
});

test('rotation: an AVM-style rotation ρ becomes WWT Rotation −ρ', () => {
  for (const rho of [30, -75, 120]) {
    const bottomUp: Wcs = { ctype: ['RA---TAN', 'DEC--TAN'], crval: [0, 0], crpix: [50.5, 50.5], cd: cdFromRotation(-s, s, rho) };
    const p = studyPlacement(flipRows(bottomUp, 100), 100, 100);
    close(p.rotation, -rho, 1e-9, `Rotation for ρ=${rho}`);
    close(p.baseDegreesPerTile, s * 256, 1e-15, 'scale is rotation-independent');
  }
});

test('off-centre reference pixel on an odd-sized canvas', () => {
  // 600×400 → canvas 1024, 2 levels. refpix = (100, 50); canvas centre at ceil(w/2)=300, ceil(h/2)=200.
  const wcs: Wcs = { ctype: ['RA---TAN', 'DEC--TAN'], crval: [150, 30], crpix: [100.5, 50.5], cd: [-s, 0, 0, -s] };
  const p = studyPlacement(wcs, 600, 400);
  assert.is(p.tileLevels, 2);
  close(p.baseDegreesPerTile, s * 1024, 1e-15, 'BaseDegreesPerTile');
  close(p.offsetX, 200 * s, 1e-15, 'OffsetX = (300 − 100) × s');
  close(p.offsetY, -150 * s, 1e-15, 'OffsetY = (50 − 200) × s');
  // The image centre is pixel (300.5, 200.5); wcsware puts it at 149.769410, 29.849800.
  close(p.placeRaHours * 15, 149.76941, 1e-6, 'Place RA');
  close(p.placeDec, 29.8498, 1e-6, 'Place Dec');
});

test.run();
