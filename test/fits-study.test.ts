// FITS files in the WWT study pipeline: placed from their own header's TAN WCS, scaled to an 8-bit picture,
// tiled right side up (FITS row 1 is the BOTTOM row), with a thumbnail, WTML and a root-index entry, beside
// JPEGs in the same incoming folder; a projection a study cannot show is a clear error that stops nothing else.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { headerBytes, imageFile, paddedData } from '../src/fits/fits-writer.js';
import { placeFitsImage } from '../src/fits/place-fits-image.js';
import { cdFromRotation, pixelToWorld, type Wcs } from '../src/wwt/wcs.js';
import { FIXTURES, ids, listFiles, REPO_ROOT, TempProject } from './helpers/project.js';
import { markerInPyramid, wcsFromStudy, wtmlValues } from './helpers/study-sky.js';

const ARCSEC = 1 / 3600;
const PREFIX = 'https://data.example.org/wwt/';
const DSS = path.join(FIXTURES, 'fits', 'dss.14.29.56-62.41.05.fits.gz');

/** Angular distance between two (RA, Dec) positions in degrees, small-angle form. */
function separation(a: readonly [number, number], b: readonly [number, number]): number {
  return Math.hypot((a[0] - b[0]) * Math.cos((b[1] * Math.PI) / 180), a[1] - b[1]);
}

function near(actual: readonly [number, number], expected: readonly [number, number], tolerance: number, what: string): void {
  const off = separation(actual, expected);
  assert.ok(off <= tolerance, `${what}: ${actual} vs ${expected}: ${(off / ARCSEC).toFixed(4)}″ apart (tolerance ${(tolerance / ARCSEC).toFixed(4)}″)`);
}

/** Pearson correlation of two equally long byte arrays (1: the same picture, up to brightness and contrast). */
function correlation(a: Uint8Array, b: Uint8Array): number {
  let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0];
  for (let k = 0; k < a.length; k++) {
    sa += a[k]!;
    sb += b[k]!;
    saa += a[k]! ** 2;
    sbb += b[k]! ** 2;
    sab += a[k]! * b[k]!;
  }
  const n = a.length;
  return (sab / n - (sa / n) * (sb / n)) / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
}

/** FITS pixel (i, j) (row 1 = bottom) as the 1-based top-down pixel of the picture: column i, row height + 1 − j. */
function topDown(i: number, j: number, height: number): [number, number] {
  return [i, height + 1 - j];
}

// `wcsware -x` (Debian wcslib-tools 7.12) on these FITS pixels (i, j), typed on stdin:
//   printf '1 1\n100 1\n…' | wcsware -x dss.fits          (the file as it is: wcslib applies the plate's DSS
//                                                          polynomial, PLTRAH…/AMDX…/AMDY…, as a distortion)
//   printf '1 1\n100 1\n…' | wcsware -x dss-tan.fits      (the same header without the PLT*, AMDX*, AMDY*, PPO*,
//                                                          CNPIX*, X/YPIXELSZ cards: the TAN WCS alone)
// wcsware prints six decimals (0.0036″ in Dec).
const WCSWARE_TAN: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 1, 217.533505, -62.709275],
  [100, 1, 217.431345, -62.707891],
  [1, 100, 217.535897, -62.662413],
  [100, 100, 217.433899, -62.661031],
  [50, 50, 217.484164, -62.685406],
  [50.5, 50.5, 217.483661, -62.685162],
  [10, 90, 217.526381, -62.667024],
];
const WCSWARE_DSS: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 1, 217.533223, -62.70914],
  [100, 1, 217.431347, -62.707892],
  [1, 100, 217.5359, -62.662415],
  [100, 100, 217.434184, -62.66117],
  [50.5, 50.5, 217.483664, -62.685163],
];

test('the DSS sample: each FITS pixel of the tiled picture lands where wcsware says, through placement.json and the WTML', async () => {
  const placement = await placeFitsImage(DSS);
  assert.is(placement.source, 'fits-header');
  assert.is(placement.hdu, 0);
  assert.equal([placement.width, placement.height, placement.flipRows], [100, 100, false]);
  for (const [i, j, ra, dec] of WCSWARE_TAN) {
    // The TAN WCS alone: the same numbers to wcsware's last printed digit.
    near(pixelToWorld(placement.wcs!, ...topDown(i, j, 100)), [ra, dec], 0.01 * ARCSEC, `TAN pixel ${i},${j}`);
  }
  for (const [i, j, ra, dec] of WCSWARE_DSS) {
    // The plate's polynomial is not a TAN WCS (a study cannot carry it): within 0.7″ at the corners, a pixel
    // being 1.7″; mapping FITS row 1 to the top would put the corners 2.8′ off.
    near(pixelToWorld(placement.wcs!, ...topDown(i, j, 100)), [ra, dec], 1 * ARCSEC, `DSS pixel ${i},${j}`);
  }
  // What WWT is told (the WTML values) maps the same pixels to the same places; the header's 0.3° of skew
  // between the axes is what a study's single rotation cannot carry (≤ 0.5″ here).
  const { studyWtml } = await import('../src/wwt/wtml.js');
  const wtml = studyWtml({ name: 'dss', folderName: 'dss', tileLevels: placement.study!.tileLevels, placement: placement.study, metadata: {} }, undefined);
  const fromWtml = wcsFromStudy(wtmlValues(wtml).imageSet, 100, 100);
  for (const [i, j, ra, dec] of WCSWARE_TAN) near(pixelToWorld(fromWtml, ...topDown(i, j, 100)), [ra, dec], 0.6 * ARCSEC, `WTML pixel ${i},${j}`);
});

test('imgbuild all on JPEG + PNG with its .wcs.fits sidecar + FITS: all three tiled, placed, in the WTML and the root index', async () => {
  const p = new TempProject('imgbuild-fits-study-');
  try {
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    fs.copyFileSync(DSS, p.path('incoming/dss.fits.gz'));
    // The bundled example's PNG of the same DSS field, with an astrometry.net-style sidecar describing it top-down
    // (pixel (1, 1) at the top left): the sidecar stays a sidecar, its image's placement, not an image of its own.
    for (const name of ['dss-proxima-cen.png', 'dss-proxima-cen.wcs.fits']) fs.copyFileSync(path.join(REPO_ROOT, 'example', 'incoming', name), p.path('incoming', name));
    const args = ['all', '--incoming', 'incoming', '--local', 'repo', '--publish-url-prefix', PREFIX];
    const run = p.json(args);
    assert.is(run.code, 0, run.stderr);
    assert.equal(ids(run.report.ran), [
      'fits-picture:dss', 'index',
      'place:dss', 'place:dss-proxima-cen', 'place:orion', 'publish:dss', 'publish:dss-proxima-cen', 'publish:orion', 'review-index',
      'thumbnail:dss', 'thumbnail:dss-proxima-cen', 'thumbnail:orion', 'tiles:dss', 'tiles:dss-proxima-cen', 'tiles:orion',
      'wtml:dss', 'wtml:dss-proxima-cen', 'wtml:orion',
    ]);
    // No unclaimed sidecar, no missing placement (only the root index's folder_name, which no flag here sets).
    assert.equal((run.report.warnings ?? []).map((w) => w.id), ['index']);
    assert.is(JSON.parse(fs.readFileSync(p.path('work/dss-proxima-cen/placement.json'), 'utf8')).source, 'wcs-sidecar');
    for (const id of ['orion', 'dss', 'dss-proxima-cen']) {
      const files = listFiles(p.path('repo', id));
      assert.ok(files.includes('0/0/0_0.png') && files.includes('thumb.jpg') && files.includes('index.wtml') && files.includes('imgbuild.json'), `${id}: ${files}`);
    }
    // A 100-pixel image is one tile; the picture it was cut from is the lossless 8-bit grey PNG.
    assert.equal(listFiles(p.path('repo/dss')), ['0/0/0_0.png', 'imgbuild.json', 'index.wtml', 'index_rel.wtml', 'thumb.jpg']);
    const picture = await sharp(p.path('work/dss/picture.png')).metadata();
    assert.equal([picture.format, picture.width, picture.height, picture.channels], ['png', 100, 100, 1]);
    const thumb = await sharp(p.path('repo/dss/thumb.jpg')).metadata();
    assert.equal([thumb.width, thumb.height], [96, 45]);

    // The DSS study's WTML values, derived by hand from its header: CRPIX 50, 50; CRVAL 217.48416404790,
    // −62.685405575038; CD1_1 −4.7315219425681e−4, CD1_2 1.1460696388562e−5, CD2_1 1.3970584103940e−5,
    // CD2_2 4.7334285907105e−4. Turned top-down (row j → 101 − j): CRPIX2 51, CD1_2 and CD2_2 change sign;
    // det > 0 then, so no further flip. scale_x = hypot(CD1_1, CD2_1), scale_y = hypot(CD1_2, CD2_2);
    // 100 px → a 256-px canvas, TileLevels 0; refpix = CRPIX − 0.5 = (49.5, 50.5), so
    // OffsetX = (50 − 49.5)·scale_x, OffsetY = (50.5 − 50)·scale_y; Rotation = atan2(−CD1_2′, −CD2_2′)
    // = atan2(1.146e−5, 4.733e−4) = 1.387°; BaseDegreesPerTile = 256·scale_y.
    const scaleX = Math.hypot(-4.7315219425681e-4, 1.397058410394e-5);
    const scaleY = Math.hypot(1.1460696388562e-5, 4.7334285907105e-4);
    const expected: Record<string, number> = {
      CenterX: 217.4841640479,
      CenterY: -62.685405575038,
      TileLevels: 0,
      BaseDegreesPerTile: 256 * scaleY,
      OffsetX: 0.5 * scaleX,
      OffsetY: 0.5 * scaleY,
      Rotation: (Math.atan2(1.1460696388562e-5, 4.7334285907105e-4) * 180) / Math.PI,
    };
    const wtml = fs.readFileSync(p.path('repo/dss/index.wtml'), 'utf8');
    const { imageSet, place } = wtmlValues(wtml);
    for (const [name, value] of Object.entries(expected)) {
      assert.ok(Math.abs(imageSet[name]! - value) <= 1e-12 * Math.max(1, Math.abs(value)), `${name}: ${imageSet[name]} vs ${value}`);
    }
    assert.ok(Math.abs(expected['Rotation']! - 1.3869888) < 1e-6, 'the header says the same (SKEW card: −1.387°, for the other handedness)');
    // Place: the sky position of the picture's centre, FITS pixel (50.5, 50.5) — wcsware's TAN value above.
    near([place['RA']! * 15, place['Dec']!], [217.483661, -62.685162], 0.01 * ARCSEC, 'Place RA/Dec');
    assert.match(wtml, /Url="https:\/\/data\.example\.org\/wwt\/dss\/\{1\}\/\{3\}\/\{3\}_\{2\}\.png"/);
    // The two routes agree: the FITS file placed from its bottom-up header and tiled from its scaled picture, and
    // the example's top-down PNG placed from its sidecar, give the same ImageSet and Place values and pictures.
    const viaSidecar = wtmlValues(fs.readFileSync(p.path('repo/dss-proxima-cen/index.wtml'), 'utf8'));
    assert.equal(viaSidecar, { imageSet, place });
    const ours = await sharp(p.path('work/dss/picture.png')).extractChannel(0).raw().toBuffer();
    const theirs = await sharp(p.path('incoming/dss-proxima-cen.png')).extractChannel(0).raw().toBuffer();
    assert.ok(correlation(ours, theirs) > 0.999, `picture vs example PNG: correlation ${correlation(ours, theirs)}`);

    const root = fs.readFileSync(p.path('repo/index.wtml'), 'utf8');
    assert.is(root.match(/<Place /g)?.length, 3);
    assert.match(root, /<Place [^>]*Name="dss"/);
    assert.match(root, /Name="The Orion Nebula and cluster from the VLT Survey Telescope"/);

    // And the FITS item's nodes are as incremental as the others: nothing to do the second time.
    const again = p.json(args);
    assert.is(again.code, 0, again.stderr);
    assert.equal(again.report.ran ?? [], []);
  } finally {
    p.remove();
  }
});

/** A 300×200 float FITS image, TAN, 1″ pixels, rotated 10°, with a bright 3×3 marker centred on FITS pixel (21, 3). */
function markedFits(mirrored: boolean): { bytes: Buffer; wcs: Wcs } {
  const [width, height] = [300, 200];
  const values: number[] = [];
  // File order: FITS row 1 first.
  for (let j = 1; j <= height; j++) for (let i = 1; i <= width; i++) values.push(Math.abs(i - 21) <= 1 && Math.abs(j - 3) <= 1 ? 1000 : (i + j) % 5);
  // North up, east left is CDELT1 < 0 with rows going up; CDELT1 > 0 is the mirror image (det CD > 0).
  const cd = cdFromRotation(mirrored ? 1 / 3600 : -1 / 3600, 1 / 3600, 10);
  const wcs: Wcs = { ctype: ['RA---TAN', 'DEC--TAN'], crval: [150, 20], crpix: [150.5, 100.5], cd };
  const cards = [
    ['CTYPE1', 'RA---TAN'], ['CTYPE2', 'DEC--TAN'], ['CRVAL1', 150], ['CRVAL2', 20], ['CRPIX1', 150.5], ['CRPIX2', 100.5],
    ['CD1_1', cd[0]], ['CD1_2', cd[1]], ['CD2_1', cd[2]], ['CD2_2', cd[3]],
  ] as const;
  return { bytes: imageFile(-32, width, height, values, cards), wcs };
}

test('right side up: a marker on FITS row 3 is at the bottom of the picture and the tiles, and where the header puts it on the sky; a mirrored CD is flipped as fitsPlacement says', async () => {
  const p = new TempProject('imgbuild-fits-upright-');
  try {
    // Linear over the full range: the marker is the only white, the background stays below grey 2.
    p.write('pipeline.config.ts', `import { defineConfig, wwtStudyRules } from 'imgbuild';
export default defineConfig({ incoming: 'incoming', work: 'work', local: 'repo', publishUrlPrefix: '${PREFIX}',
  rules: wwtStudyRules(), params: { 'fits-picture': { scaling: 'linear', percent: 100 } } });
`);
    const upright = markedFits(false);
    const mirrored = markedFits(true);
    p.write('incoming/upright.fits', upright.bytes);
    p.write('incoming/mirrored.fits', mirrored.bytes);
    const run = p.json(['process']);
    assert.is(run.code, 0, run.stderr);
    for (const [id, fits] of [['upright', upright], ['mirrored', mirrored]] as const) {
      const placement = JSON.parse(fs.readFileSync(p.path(`work/${id}/placement.json`), 'utf8'));
      assert.is(placement.flipRows, id === 'mirrored', `${id}: fitsPlacement flips only the mirrored one`);

      // The scaled picture is always right side up as a FITS viewer shows it: row 3 near the bottom, column 21 at the left.
      const { data, info } = await sharp(p.path(`work/${id}/picture.png`)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      assert.equal([info.width, info.height, info.channels], [300, 200, 1]);
      assert.is(data[(200 - 3) * 300 + 20], 255, `${id}: FITS pixel (21, 3) is picture row 197, column 20`);
      assert.ok(data[(3 - 1) * 300 + 20]! < 10, `${id}: nothing bright at the top`);

      // The top-level tile: the 300×200 picture sits at rows 78…177 of its 256 (half of a 512 canvas).
      const tile = await sharp(p.path(`work/${id}/tiles/0/0/0_0.png`)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      let [bright, sumY] = [0, 0];
      for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) if (tile.data[(y * 256 + x) * 4]! > 100) (bright++, (sumY += y));
      assert.ok(bright > 0, `${id}: the marker shows in the top-level tile`);
      const row = sumY / bright;
      if (id === 'upright') assert.ok(row > 170, `upright: the marker is in the bottom part of the top-level tile (row ${row})`);
      // Mirrored: tiled in file order, so row 3 is near the top; WWT turns it 180° (Rotation ≈ 190°) and the
      // marker is south on the sky all the same.
      else assert.ok(row < 85, `mirrored: the marker is near the top of the top-level tile (row ${row})`);

      // Where WWT will show the marker — its position in the deepest tiles through the WTML's placement — is
      // where the header's own WCS puts FITS pixel (21, 3).
      const wtml = fs.readFileSync(p.path(`work/${id}/index_rel.wtml`), 'utf8');
      const study = wcsFromStudy(wtmlValues(wtml).imageSet, 300, 200);
      const marker = await markerInPyramid(p.path(`work/${id}/tiles`), 300, 200);
      near(pixelToWorld(study, ...marker), pixelToWorld(fits.wcs, 21, 3), 0.6 * ARCSEC, `${id} marker`);
      // A thumbnail of the study's aspect.
      const thumb = await sharp(p.path(`work/${id}/thumb.jpg`)).metadata();
      assert.equal([thumb.width, thumb.height], [96, 45]);
    }
  } finally {
    p.remove();
  }
});

test('a FITS image with an AZP projection is one clear error naming the file, the HDU and the fix; the JPEG beside it builds and is indexed', async () => {
  const p = new TempProject('imgbuild-fits-azp-');
  try {
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    // astropy's 1904-66_AZP.fits: its header (192×192 float32, RA---AZP/DEC--AZP), with blank pixels.
    const header = fs.readFileSync(path.join(FIXTURES, '1904-66_AZP.header.fits'));
    p.write('incoming/1904-66_AZP.fits', Buffer.concat([header, paddedData(Buffer.alloc(192 * 192 * 4))]));
    const run = p.json(['all', '--keep-going', '--incoming', 'incoming', '--local', 'repo', '--publish-url-prefix', PREFIX]);
    assert.is(run.code, 1, run.stderr);
    assert.equal(ids(run.report.failed), ['place:1904-66_AZP']);
    const message = run.report.failed![0]!.error!;
    assert.match(message, /^place:1904-66_AZP: 1904-66_AZP\.fits \(HDU 0\): cannot place the image on the sky: projection AZP cannot be tiled as a WWT study \(only TAN\/TPV\); reproject the image to TAN first/);
    assert.not.match(message, /\n/);
    assert.equal(ids(run.report.blocked), ['fits-picture:1904-66_AZP', 'publish:1904-66_AZP', 'thumbnail:1904-66_AZP', 'tiles:1904-66_AZP', 'wtml:1904-66_AZP']);
    assert.equal(ids(run.report.ran), ['index', 'place:orion', 'publish:orion', 'review-index', 'thumbnail:orion', 'tiles:orion', 'wtml:orion']);
    const stderrLines = p.cli(['all', '--keep-going', '--incoming', 'incoming', '--local', 'repo', '--publish-url-prefix', PREFIX]).stderr.split('\n');
    assert.ok(stderrLines.some((l) => /1904-66_AZP\.fits \(HDU 0\): cannot place the image on the sky: projection AZP/.test(l)), stderrLines.join('\n'));
    assert.ok(fs.existsSync(p.path('repo/orion/index.wtml')));
    assert.not.ok(fs.existsSync(p.path('repo/1904-66_AZP')));
    assert.is(fs.readFileSync(p.path('repo/index.wtml'), 'utf8').match(/<Place /g)?.length, 1);
  } finally {
    p.remove();
  }
});

test('a FITS image without any WCS is tiled and said to have no placement, as an image without one is', async () => {
  const p = new TempProject('imgbuild-fits-nowcs-');
  try {
    p.write('incoming/frame.fits', imageFile(16, 40, 30, new Array(1200).fill(0).map((_, k) => k)));
    // A header-only .wcs.fits with no image beside it is no image: it is listed as taken by no rule.
    fs.writeFileSync(p.path('incoming/lonely.wcs.fits'), headerBytes([['SIMPLE', true], ['BITPIX', 8], ['NAXIS', 0]]));
    const run = p.json(['process', '--incoming', 'incoming', '--publish-url-prefix', PREFIX]);
    assert.is(run.code, 0, run.stderr);
    assert.equal(ids(run.report.ran), ['fits-picture:frame', 'place:frame', 'review-index', 'thumbnail:frame', 'tiles:frame', 'wtml:frame']);
    const warnings = (run.report.warnings ?? []).map((w) => w.message).join('\n');
    assert.match(warnings, /frame\.fits \(HDU 0\) has no WCS in its header \(no CTYPE1\/CTYPE2\): tiled, but WWT will not know where it is on the sky/);
    assert.match(warnings, /lonely\.wcs\.fits/);
  } finally {
    p.remove();
  }
});

test.run();
