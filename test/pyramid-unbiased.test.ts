// Parent levels are unbiased: every pixel of every level is the exact box mean of the full-resolution image
// pixels under it (rounded once), and transparent pixels count as missing, not black. The expected means are
// computed here from the input image with integer sums, independently of the tiler.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tileStudy } from '../src/wwt/study-tiler.js';
import { rawRgba } from './helpers/images.js';

const options = { flipRows: false, pngCompression: 1, maxPixels: 1e9 };

/** A gradient with noise in every channel: rounding biases show up as a mean offset. */
function noiseGradient(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  let seed = 20260314;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = Math.max(0, Math.min(255, Math.round((x / width) * 200 + random() * 55)));
      raw[i + 1] = Math.max(0, Math.min(255, Math.round((y / height) * 180 + random() * 75)));
      raw[i + 2] = Math.floor(random() * 256);
    }
  }
  return raw;
}

test('6000×4000: every level within ±0.1 grey levels of the exact box mean (and each pixel within 0.5)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-pyramid-'));
  try {
    const width = 6000;
    const height = 4000;
    const raw = noiseGradient(width, height);
    const input = path.join(dir, 'noise.png');
    await sharp(raw, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toFile(input);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    await tileStudy(input, out, options);
    // GUIDE §1: canvas 8192, 5 levels below level 0; the image sits at floor((8192 − w)/2), floor((8192 − h)/2).
    const deepest = 5;
    const x0 = Math.floor((8192 - width) / 2);
    const y0 = Math.floor((8192 - height) / 2);
    for (let level = 0; level < deepest; level++) {
      const block = 2 ** (deepest - level); // canvas pixels per level pixel, per side
      const side = 256 * 2 ** level;
      const bx = (x: number): number => Math.floor((x + x0) / block);
      const firstX = bx(0);
      const firstY = Math.floor(y0 / block);
      const cols = bx(width - 1) - firstX + 1;
      const rows = Math.floor((height - 1 + y0) / block) - firstY + 1;
      const sums = new Float64Array(cols * rows * 3);
      const counts = new Float64Array(cols * rows);
      for (let y = 0; y < height; y++) {
        const row = (Math.floor((y + y0) / block) - firstY) * cols;
        for (let x = 0; x < width; x++) {
          const b = row + bx(x) - firstX;
          const i = (y * width + x) * 3;
          counts[b]! += 1;
          sums[b * 3]! += raw[i]!;
          sums[b * 3 + 1]! += raw[i + 1]!;
          sums[b * 3 + 2]! += raw[i + 2]!;
        }
      }
      let errorSum = 0;
      let samples = 0;
      let worst = 0;
      for (let ty = 0; ty < side / 256; ty++) {
        for (let tx = 0; tx < side / 256; tx++) {
          const file = path.join(out, String(level), String(ty), `${ty}_${tx}.png`);
          const tileCovers = tx * 256 + 255 >= firstX && tx * 256 < firstX + cols && ty * 256 + 255 >= firstY && ty * 256 < firstY + rows;
          assert.is(fs.existsSync(file), tileCovers, `level ${level} tile ${tx},${ty} exists iff it overlaps the image`);
          if (!tileCovers) continue;
          const tile = await rawRgba(file);
          for (let py = 0; py < 256; py++) {
            for (let px = 0; px < 256; px++) {
              const X = tx * 256 + px - firstX;
              const Y = ty * 256 + py - firstY;
              const p = (py * 256 + px) * 4;
              if (X < 0 || Y < 0 || X >= cols || Y >= rows) {
                assert.is(tile.data[p + 3], 0, 'outside the image is transparent');
                continue;
              }
              const b = Y * cols + X;
              const n = counts[b]!;
              // Alpha is the covered fraction of the block.
              assert.ok(Math.abs(tile.data[p + 3]! - (255 * n) / block ** 2) <= 0.5 + 1e-6, `alpha at level ${level}`);
              for (let c = 0; c < 3; c++) {
                const error = tile.data[p + c]! - sums[b * 3 + c]! / n;
                errorSum += error;
                samples++;
                worst = Math.max(worst, Math.abs(error));
              }
            }
          }
        }
      }
      const meanError = errorSum / samples;
      assert.ok(Math.abs(meanError) <= 0.1, `level ${level}: mean error ${meanError.toFixed(3)} grey levels`);
      assert.ok(worst <= 0.5 + 1e-3, `level ${level}: worst pixel off by ${worst.toFixed(3)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('transparent pixels count as missing, not black: parents keep the colour with partial alpha', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-pyramid-'));
  try {
    // 512×512 (canvas 512, one level below 0): a checkerboard of opaque (200, 100, 50) and fully transparent
    // black pixels. Each 2×2 block has two of each, so every parent pixel is (200, 100, 50) at alpha 128 (127.5).
    const side = 512;
    const raw = Buffer.alloc(side * side * 4);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        if ((x + y) % 2) continue;
        raw.set([200, 100, 50, 255], (y * side + x) * 4);
      }
    }
    const input = path.join(dir, 'checker.png');
    await sharp(raw, { raw: { width: side, height: side, channels: 4 } }).png().toFile(input);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    await tileStudy(input, out, options);
    const parent = await rawRgba(path.join(out, '0', '0', '0_0.png'));
    for (const [x, y] of [[0, 0], [17, 200], [255, 255], [128, 3]] as const) {
      const p = (y * 256 + x) * 4;
      assert.equal([...parent.data.subarray(p, p + 3)], [200, 100, 50], `colour at (${x},${y})`);
      assert.ok(Math.abs(parent.data[p + 3]! - 127.5) <= 0.5, `alpha at (${x},${y}): ${parent.data[p + 3]}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
