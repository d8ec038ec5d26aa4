// The plate-carrée sampler at the places where naive sampling goes wrong: the ±180° seam and the poles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { samplePlateCarree } from '../src/toast/plate-carree-sampler.js';

// An 8×4 sky map: column 0 (the left edge, just inside longitude +180°) red, column 7 (just inside −180°) blue,
// the top row (north pole) and bottom row (south pole) green elsewhere.
const W = 8;
const H = 4;
const data = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 3;
    if (x === 0) data[i] = 240;
    else if (x === W - 1) data[i + 2] = 240;
    else if (y === 0 || y === H - 1) data[i + 1] = 240;
  }
}
const image = { data, width: W, height: H, channels: 3 };

function sample(x: number, y: number, z: number): number[] {
  const out = new Uint8Array(4);
  samplePlateCarree(image, 'plate-carree', Float64Array.from([x, y, z]), out);
  return [...out];
}

test('exactly on the ±180° seam: the two edge columns blend half and half (no seam line)', () => {
  // RA 180°, Dec between rows 1 and 2 → u = −0.5 (halfway between column W−1 and column 0, wrapped).
  assert.equal(sample(-1, 0, 0), [120, 0, 120, 255]);
});

test('a quarter pixel either side of the seam leans towards its own edge column', () => {
  const quarter = ((2 * Math.PI) / W) * 0.25; // a quarter of a pixel in longitude
  const west = sample(Math.cos(Math.PI - quarter), Math.sin(Math.PI - quarter), 0); // RA just under 180° → column 0 side
  assert.equal(west, [180, 0, 60, 255]);
  const east = sample(Math.cos(Math.PI + quarter), Math.sin(Math.PI + quarter), 0);
  assert.equal(east, [60, 0, 180, 255]);
});

test('the poles sample the polar rows, whatever the longitude', () => {
  assert.equal(sample(0, 0, 1), [0, 240, 0, 255]);
  assert.equal(sample(0, 0, -1), [0, 240, 0, 255]);
});

test.run();
