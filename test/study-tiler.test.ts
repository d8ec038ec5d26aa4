// Study pyramids through real sharp/libvips: which tiles exist, where the image sits, and how parent tiles
// relate to their children. Expected counts are derived by hand from GUIDE §1 (shown in the comments).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { studyLayout, tileCounts } from '../src/wwt/study-layout.js';
import { encodePng } from '../src/wwt/png-encode.js';
import { exactFromRgba, parentOf, parentOfRgba, rgbaFromExact } from '../src/wwt/pyramid-downsample.js';
import { makeThumbnail, tileStudy } from '../src/wwt/study-tiler.js';
import { pixelAt, rawRgba, writeCoordinatePng } from './helpers/images.js';
import { listFiles } from './helpers/project.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-tiles-'));
const options = { flipRows: false, pngCompression: 1, maxPixels: 1e9 };

function tilesPerLevel(root: string): number[] {
  const counts: number[] = [];
  for (const file of listFiles(root)) {
    const [level, y, name] = file.split('/');
    assert.match(name!, new RegExp(`^${y}_\\d+\\.png$`), `toasty layout {level}/{y}/{y}_{x}.png: ${file}`);
    counts[Number(level)] = (counts[Number(level)] ?? 0) + 1;
  }
  return counts;
}

// [width, height, tiles per level]. E.g. 600×400: canvas 1024, x0 = 212, y0 = 312; deepest level x tiles
// 0..3, y tiles 1..2 → 8. 5000×3000: canvas 8192, x0 = 1596, y0 = 2596 → 20 × 12 = 240 at level 5 (GUIDE).
const cases: Array<[number, number, number[]]> = [
  [1, 1, [1]],
  [255, 255, [1]],
  [257, 257, [1, 4]],
  [600, 400, [1, 4, 8]],
  [5000, 3000, [1, 4, 8, 24, 60, 240]],
];

for (const [width, height, expected] of cases) {
  test(`${width}×${height}: tiles only where the image is, at every level`, async () => {
    const input = path.join(dir, `in-${width}x${height}.png`);
    await writeCoordinatePng(input, width, height);
    const out = path.join(dir, `out-${width}x${height}`);
    fs.mkdirSync(out);
    const result = await tileStudy(input, out, options);
    assert.equal(tilesPerLevel(out), expected);
    assert.equal(tileCounts(studyLayout(width, height)), expected, 'the layout maths agrees');
    assert.is(result.tiles, expected.reduce((a, b) => a + b, 0));
    assert.not.ok(fs.existsSync(path.join(out, 'vips-properties.xml')), 'no libvips bookkeeping in the data set');
    const meta = await sharp(path.join(out, '0', '0', '0_0.png')).metadata();
    assert.is(meta.width, 256);
    assert.is(meta.height, 256);
    assert.is(meta.channels, 4, 'RGBA tiles');
  });
}

test('600×400: image pixels sit at the centred position, padding is transparent', async () => {
  const out = path.join(dir, 'out-600x400');
  // Canvas pixel (468, 440) is in tile x=1, y=1 at (212, 184); it shows image pixel (256, 128).
  assert.equal(await pixelAt(path.join(out, '2/1/1_1.png'), 212, 184), [256 % 256, 128, 200, 255]);
  // Image pixel (0, 0) is canvas (212, 312): tile (0, 1) at (212, 56).
  assert.equal(await pixelAt(path.join(out, '2/1/1_0.png'), 212, 56), [0, 0, 200, 255]);
  // One pixel left of it is padding.
  assert.equal((await pixelAt(path.join(out, '2/1/1_0.png'), 211, 56))[3], 0);
  // Image pixel (599, 399) is canvas (811, 711): tile (3, 2) at (43, 199); beyond it, transparent.
  assert.equal(await pixelAt(path.join(out, '2/2/2_3.png'), 43, 199), [599 % 256, 399 % 256, 200, 255]);
  assert.equal((await pixelAt(path.join(out, '2/2/2_3.png'), 44, 199))[3], 0);
});

test('each parent pixel is the 2×2 mean of its children (a missing child counts as transparent)', async () => {
  const out = path.join(dir, 'out-600x400');
  const parent = await rawRgba(path.join(out, '1/0/0_1.png'));
  // Parent tile (1, 0) at level 1 covers children x 2..3, y 0..1 at level 2; only (2,1) and (3,1) exist.
  const children = new Map<string, Awaited<ReturnType<typeof rawRgba>>>();
  for (const [cx, cy] of [[2, 0], [3, 0], [2, 1], [3, 1]] as const) {
    const file = path.join(out, `2/${cy}/${cy}_${cx}.png`);
    if (fs.existsSync(file)) children.set(`${cx},${cy}`, await rawRgba(file));
  }
  assert.equal([...children.keys()].sort(), ['2,1', '3,1']);
  let checked = 0;
  for (const [px, py] of [[10, 200], [100, 220], [127, 128], [200, 255], [0, 140], [150, 100]] as const) {
    const sums = [0, 0, 0, 0];
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
      const gx = px * 2 + dx;
      const gy = py * 2 + dy;
      const child = children.get(`${2 + Math.floor(gx / 256)},${Math.floor(gy / 256)}`);
      if (!child) continue; // transparent
      const i = ((gy % 256) * 256 + (gx % 256)) * 4;
      for (let c = 0; c < 4; c++) sums[c]! += child.data[i + c]!;
    }
    const i = (py * 256 + px) * 4;
    const alpha = parent.data[i + 3]!;
    assert.ok(Math.abs(alpha - sums[3]! / 4) <= 1, `alpha at (${px},${py}): ${alpha} vs ${sums[3]! / 4}`);
    if (sums[3] === 4 * 255) {
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(parent.data[i + c]! - sums[c]! / 4) <= 1, `channel ${c} at (${px},${py})`);
    }
    checked++;
  }
  assert.is(checked, 6);
});

test('parent levels are unbiased: every level is the exact box mean of the full-resolution pixels, within ±0.1 grey levels on average', async () => {
  // A 1500×1000 noisy image (values spread over 0…255, so rounding at each level would show): canvas 2048,
  // x0 = 274, y0 = 524. At level L a parent pixel covers a 2^(3−L)-pixel box of the canvas; only boxes wholly
  // inside the image are compared (partly covered ones mix in transparency by design).
  const width = 1500;
  const height = 1000;
  const raw = Buffer.alloc(width * height * 3);
  let seed = 7;
  // The LCG's high bits (its low bits repeat every 256 draws, a pattern, not noise).
  for (let i = 0; i < raw.length; i++) raw[i] = ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 255;
  const input = path.join(dir, 'noise.png');
  await sharp(raw, { raw: { width, height, channels: 3 } }).png().toFile(input);
  const out = path.join(dir, 'out-noise');
  fs.mkdirSync(out);
  await tileStudy(input, out, options);
  const layout = studyLayout(width, height);
  assert.is(layout.tileLevels, 3);
  for (let level = 0; level < layout.tileLevels; level++) {
    const box = 2 ** (layout.tileLevels - level);
    let sum = 0;
    let count = 0;
    for (const file of listFiles(out).filter((f) => f.startsWith(`${level}/`))) {
      const [, , name] = file.split('/');
      const [ty, tx] = name!.replace('.png', '').split('_').map(Number) as [number, number];
      const tile = await rawRgba(path.join(out, file));
      for (let py = 0; py < 256; py += 3) {
        for (let px = 0; px < 256; px += 3) {
          const cx = (tx * 256 + px) * box - layout.x0;
          const cy = (ty * 256 + py) * box - layout.y0;
          if (cx < 0 || cy < 0 || cx + box > width || cy + box > height) continue;
          for (let c = 0; c < 3; c++) {
            let exact = 0;
            for (let y = cy; y < cy + box; y++) for (let x = cx; x < cx + box; x++) exact += raw[(y * width + x) * 3 + c]!;
            sum += tile.data[(py * 256 + px) * 4 + c]! - exact / (box * box);
            count++;
          }
        }
      }
    }
    assert.ok(count > 1000, `level ${level}: ${count} samples`);
    const bias = sum / count;
    assert.ok(Math.abs(bias) < 0.1, `level ${level}: mean error ${bias.toFixed(3)} grey levels`);
  }
});

test('parents straight from 8-bit children are bit for bit those from exact children; rounding is half to even', () => {
  // Random RGBA children with every kind of alpha (0, partial, 255), and a missing one.
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
  const child = (): Uint8Array => {
    const rgba = new Uint8Array(256 * 256 * 4);
    for (let i = 0; i < rgba.length; i += 4) {
      rgba[i] = random();
      rgba[i + 1] = random();
      rgba[i + 2] = random();
      const kind = random() % 4;
      rgba[i + 3] = kind === 0 ? 0 : kind === 1 ? random() : 255;
    }
    return rgba;
  };
  const children = [child(), null, child(), child()];
  const direct = parentOfRgba(children);
  const viaExact = parentOf(children.map((c) => (c ? exactFromRgba(c) : null)));
  assert.equal(Buffer.from(direct.alpha.buffer), Buffer.from(viaExact.alpha.buffer));
  assert.equal(Buffer.from(direct.premultiplied.buffer), Buffer.from(viaExact.premultiplied.buffer));
  // Opaque means ending in .5 round to the even neighbour: 0.5 → 0, 1.5 → 2, 2.5 → 2, 254.5 → 254; others to nearest.
  const exact = { premultiplied: new Float32Array(256 * 256 * 3), alpha: new Float32Array(256 * 256).fill(1) };
  exact.premultiplied.set([0.5, 1.5, 2.5, 254.5, 3.25, 3.75, 255, 0]);
  assert.equal([...rgbaFromExact(exact).subarray(0, 12)], [0, 2, 2, 255, 254, 3, 4, 255, 255, 0, 0, 255]);
});

test('tile PNGs (Sub filter, node zlib) decode to exactly the pixels given: RGB when opaque, RGBA otherwise, any level', async () => {
  let seed = 11;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
  const rgba = new Uint8Array(256 * 256 * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i & 3) === 3 ? 255 : (i >> 10) % 256 ^ random() % 8; // gradients and noise
  for (const level of [0, 2, 9]) {
    const opaque = await sharp(await encodePng(rgba, 256, 256, true, level)).raw().toBuffer({ resolveWithObject: true });
    assert.is(opaque.info.channels, 3);
    assert.ok(opaque.data.equals(Buffer.from(rgba.filter((_v, i) => (i & 3) !== 3))), `opaque, level ${level}`);
  }
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = random(); // now with alpha, every value
  const translucent = await sharp(await encodePng(rgba, 256, 256, false, 2)).raw().toBuffer({ resolveWithObject: true });
  assert.is(translucent.info.channels, 4);
  assert.ok(translucent.data.equals(Buffer.from(rgba)), 'RGBA');
});

test('an opaque black image keeps every tile that overlaps it (no blank-skipping inside the image)', async () => {
  const input = path.join(dir, 'black.png');
  await sharp({ create: { width: 600, height: 400, channels: 3, background: '#000' } }).png().toFile(input);
  const out = path.join(dir, 'black');
  fs.mkdirSync(out);
  await tileStudy(input, out, options);
  assert.equal(tilesPerLevel(out), [1, 4, 8]);
});

test('flipRows: the bottom row of the file becomes the top row of the pyramid', async () => {
  const input = path.join(dir, 'in-600x400.png');
  const out = path.join(dir, 'flipped');
  fs.mkdirSync(out);
  await tileStudy(input, out, { ...options, flipRows: true });
  // Canvas (212, 312) now shows image pixel (0, 399).
  assert.equal(await pixelAt(path.join(out, '2/1/1_0.png'), 212, 56), [0, 399 % 256, 200, 255]);
});

test('a corrupt image is an error naming the file and the fix', async () => {
  const input = path.join(dir, 'broken.jpg');
  fs.writeFileSync(input, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 2, 3]));
  const out = path.join(dir, 'broken');
  fs.mkdirSync(out);
  try {
    await tileStudy(input, out, options);
    assert.unreachable('a corrupt image must fail');
  } catch (error) {
    assert.match((error as Error).message, /broken\.jpg is not a readable image/);
    assert.match((error as Error).message, /move it out of the incoming folder/);
  }
});

test('thumbnail: 96×45 JPEG, centre-cropped', async () => {
  const input = path.join(dir, 'in-600x400.png');
  const out = path.join(dir, 'thumb.jpg');
  await makeThumbnail(input, out, { width: 96, height: 45, quality: 90, flipRows: false, maxPixels: 1e9 });
  const meta = await sharp(out).metadata();
  assert.is(meta.format, 'jpeg');
  assert.is(meta.width, 96);
  assert.is(meta.height, 45);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
