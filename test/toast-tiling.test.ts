// TOAST tiling of plate-carrée all-sky images: markers land where GUIDE §4's geometry puts them, ecliptic and
// galactic maps are rotated to equatorial, and level-1 tiles match toasty's own published test references
// (WorldWideTelescope/toasty @ 38d7c8d, toasty/tests/{earth_toasted_sky,tess}/1/, copied to
// test/fixtures/toast/) within toasty's own threshold: median absolute difference < 10.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AllSkyProjection } from '../src/toast/plate-carree-sampler.js';
import { tileToast } from '../src/toast/toast-tiler.js';
import { rawRgba } from './helpers/images.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/toast');
const W = 4096;
const H = 2048;

/** A black W×H plate-carrée with a size × size white marker centred on (u, v) (pixel centres at integers). */
async function markerImage(file: string, u: number, v: number, size = 3): Promise<void> {
  const raw = Buffer.alloc(W * H * 3);
  const left = Math.round(u - (size - 1) / 2);
  const top = Math.round(v - (size - 1) / 2);
  for (let row = top; row < top + size; row++) {
    for (let col = left; col < left + size; col++) {
      const i = (row * W + ((col % W) + W) % W) * 3; // columns wrap around the ±180° seam
      raw.fill(255, i, i + 3);
    }
  }
  await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).png({ compressionLevel: 1 }).toFile(file);
}

/** Sky plate-carrée, by definition: longitude π at the left edge decreasing to −π at the right; +90° at the top. */
function skyPixel(lonRad: number, latRad: number): [number, number] {
  const lon = ((lonRad + Math.PI) % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI) - Math.PI;
  return [((Math.PI - lon) / (2 * Math.PI)) * W - 0.5, ((Math.PI / 2 - latRad) / Math.PI) * H - 0.5];
}

/** The marker's brightness-weighted centroid at the deepest level, in pixel indices of the whole level. */
async function centroid(out: string, depth: number): Promise<{ x: number; y: number; perTile: Map<string, number> }> {
  let sx = 0;
  let sy = 0;
  let total = 0;
  const perTile = new Map<string, number>();
  for (let ty = 0; ty < 2 ** depth; ty++) {
    for (let tx = 0; tx < 2 ** depth; tx++) {
      const { data } = await rawRgba(path.join(out, String(depth), String(ty), `${ty}_${tx}.png`));
      for (let p = 0; p < 256 * 256; p++) {
        const value = data[p * 4]! + data[p * 4 + 1]! + data[p * 4 + 2]!;
        if (value === 0) continue;
        sx += value * (tx * 256 + (p % 256));
        sy += value * (ty * 256 + Math.floor(p / 256));
        total += value;
        perTile.set(`${tx},${ty}`, (perTile.get(`${tx},${ty}`) ?? 0) + value);
      }
    }
  }
  assert.ok(total > 1000, 'the marker shows up');
  return { x: sx / total, y: sy / total, perTile };
}

/** [tile x, tile y, pixel x, pixel y] of the marker's centroid. */
async function brightest(out: string, depth: number): Promise<[number, number, number, number]> {
  const { x, y } = await centroid(out, depth);
  const gx = Math.round(x);
  const gy = Math.round(y);
  return [Math.floor(gx / 256), Math.floor(gy / 256), gx % 256, gy % 256];
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-toast-'));
  try {
    await run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function markerPyramid(dir: string, name: string, u: number, v: number, projection: AllSkyProjection, depth: number, size = 3): Promise<string> {
  const input = path.join(dir, `${name}.png`);
  await markerImage(input, u, v, size);
  const out = path.join(dir, name);
  const result = await tileToast(input, out, { projection, depth, pngCompression: 1, maxPixels: 1e9 });
  assert.is(result.tiles, (4 ** (depth + 1) - 1) / 3, 'every tile of levels 0…depth, counted once');
  return out;
}

// (lat, lon) in radians → depth-3 tile and pixel. By hand from GUIDE §4: lon 5.7°, lat +5.7° lies in the level-1
// quadrant with corners (90,0) (0,−90) (0,0) (0,90), i.e. tile (1, 0), so at level 3 x ∈ 4…7, y ∈ 0…3; it sits
// just north of the (0,0) corner, which is this quadrant's lower-right corner at level 3's tile (7, 3) whose pixel
// the subdivision puts at (126, 191). lon 126°, lat −22.9° is in the southern part of quadrant (0, 0) (corners
// (0,−90) (90,0) (0,90) (180,0)), at level 3's tile (1, 1), pixel (200, 75). The pixel positions agree with
// toasty's published test_pixel_for_point values.
const MARKERS: Array<[number, number, [number, number, number, number]]> = [
  [0.1, 0.1, [7, 3, 126, 191]],
  [-0.4, 2.2, [1, 1, 200, 75]],
];

for (const [lat, lon, expected] of MARKERS) {
  test(`a marker at lat ${lat}, lon ${lon} (rad) lands in depth-3 tile (${expected[0]}, ${expected[1]}) at pixel (${expected[2]}, ${expected[3]})`, async () => {
    await withDir(async (dir) => {
      const [u, v] = skyPixel(lon, lat);
      const out = await markerPyramid(dir, 'marker', u, v, 'plate-carree', 3);
      const [x, y, px, py] = await brightest(out, 3);
      assert.equal([x, y], expected.slice(0, 2), 'tile');
      assert.ok(Math.abs(px - expected[2]) <= 1 && Math.abs(py - expected[3]) <= 1, `pixel (${px}, ${py}), expected (${expected[2]}, ${expected[3]})`);
      // All levels 0…3 exist, complete: 1 + 4 + 16 + 64 tiles.
      for (let level = 0; level <= 3; level++) {
        for (let ty = 0; ty < 2 ** level; ty++) for (let tx = 0; tx < 2 ** level; tx++) assert.ok(fs.existsSync(path.join(out, String(level), String(ty), `${ty}_${tx}.png`)));
      }
    });
  });
}

test('a marker across the ±180° seam (lon 180°) is whole: both edge columns contribute', async () => {
  await withDir(async (dir) => {
    // RA = 180°, Dec 0 is the image's left/right edge at mid-height: a 4×4 marker centred there is columns
    // W−2, W−1 | 0, 1 and rows 1022, 1023 | 1024, 1025 — symmetric about the seam and the equator.
    const out = await markerPyramid(dir, 'seam', -0.5, 1023.5, 'plate-carree', 3, 4);
    const { x, y, perTile } = await centroid(out, 3);
    // Equator at RA 180° is the corner shared by level-1 tiles (0,0) and (0,1), the middle of the canvas's left
    // edge: level-3 pixel (0, 1024) with the marker split evenly between tiles (0, 3) and (0, 4).
    assert.ok(x < 1.5 && Math.abs(y - 1023.5) < 1.5, `centroid (${x}, ${y})`);
    const above = perTile.get('0,3') ?? 0;
    const below = perTile.get('0,4') ?? 0;
    assert.ok(above > 0 && below > 0 && Math.abs(above - below) / (above + below) < 0.25, `halves ${above} / ${below}`);
  });
});

// Known points of the other frames, from their published equatorial positions: the galactic centre (l = b = 0)
// is at RA 266.40499°, Dec −28.93617°; ecliptic (λ = 90°, β = 0) is at RA 90°, Dec +23.43928° (IAU 2006
// obliquity), which toasty's ecliptic maps draw a quarter of the width right of the left edge (λ 180° centred).
const FRAMES: Array<[AllSkyProjection, [number, number], [number, number]]> = [
  ['plate-carree-galactic', [W / 2 - 0.5, H / 2 - 0.5], [266.40499, -28.93617]],
  ['plate-carree-ecliptic', [(W * 3) / 4 - 0.5, H / 2 - 0.5], [90, 23.43928]],
];
for (const [projection, [u, v], [ra, dec]] of FRAMES) {
  test(`${projection}: a known point lands where the same point of an equatorial map does`, async () => {
    await withDir(async (dir) => {
      const rotated = await brightest(await markerPyramid(dir, 'rotated', u, v, projection, 3), 3);
      const [eu, ev] = skyPixel((ra * Math.PI) / 180, (dec * Math.PI) / 180);
      const equatorial = await brightest(await markerPyramid(dir, 'equatorial', eu, ev, 'plate-carree', 3), 3);
      assert.equal(rotated.slice(0, 2), equatorial.slice(0, 2), 'same tile');
      assert.ok(Math.abs(rotated[2] - equatorial[2]) <= 2 && Math.abs(rotated[3] - equatorial[3]) <= 2, `pixels ${rotated} vs ${equatorial}`);
    });
  });
}

async function medianDifference(actual: string, expected: string, mirror: boolean): Promise<number> {
  const a = await rawRgba(actual);
  const e = await rawRgba(expected);
  const diffs: number[] = [];
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      const ia = (y * 256 + x) * 4;
      const ie = (y * 256 + (mirror ? 255 - x : x)) * 4;
      for (let c = 0; c < 3; c++) diffs.push(Math.abs(a.data[ia + c]! - e.data[ie + c]!));
    }
  }
  diffs.sort((p, q) => p - q);
  return diffs[Math.floor(diffs.length / 2)]!;
}

const REFERENCES: Array<[string, AllSkyProjection, string, boolean]> = [
  ['earth_platecarree.jpg', 'plate-carree', 'earth_toasted_sky', false],
  ['tess_platecarree_ecliptic_512.jpg', 'plate-carree-ecliptic', 'tess', false],
  // toasty's planetary check: the sky reference mirrored, tile x → 1 − x and pixels left ↔ right.
  ['earth_platecarree.jpg', 'plate-carree-planet', 'earth_toasted_sky', true],
];
for (const [input, projection, reference, mirror] of REFERENCES) {
  test(`${projection} ${input}: level-1 tiles match toasty's reference ${reference}${mirror ? ' (mirrored)' : ''}`, async () => {
    await withDir(async (dir) => {
      await tileToast(path.join(FIXTURES, input), dir, { projection, depth: 1, pngCompression: 1, maxPixels: 1e9 });
      for (const [x, y] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const refX = mirror ? 1 - x : x;
        const median = await medianDifference(path.join(dir, '1', String(y), `${y}_${x}.png`), path.join(FIXTURES, reference, '1', String(y), `${y}_${refX}.png`), mirror);
        assert.ok(median < 10, `tile (${x}, ${y}): median absolute difference ${median}`);
      }
      assert.ok(fs.existsSync(path.join(dir, '0', '0', '0_0.png')), 'level 0 from the level-1 tiles');
      // An all-sky map covers every pixel: its tiles are stored as RGB, a fifth less to compress.
      for (const tile of ['0/0/0_0.png', '1/0/0_0.png']) assert.is((await sharp(path.join(dir, tile)).metadata()).channels, 3, tile);
    });
  });
}

test.run();
