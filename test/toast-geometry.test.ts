// TOAST pixel centres from the lazily made vertex grid are, to the bit, the centres of the recursive definition
// (GUIDE §4): pixel (px, py) of a tile is its descendant eight levels down, whose centre is the midpoint of its
// diagonal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { childrenOf, midpoint, pixelCentre, pixelGrid, pixelGridScratch, toastTile, type ToastTile } from '../src/toast/toast-geometry.js';

/** Pixel (px, py)'s quad by recursive subdivision, and its centre. */
function recursiveCentre(tile: ToastTile, px: number, py: number): readonly number[] {
  let quad = tile;
  for (let bit = 7; bit >= 0; bit--) quad = childrenOf(quad)[((py >> bit) & 1) * 2 + ((px >> bit) & 1)]!;
  const [ul, ur, lr, ll] = quad.corners;
  return quad.increasing ? midpoint(ll, ur) : midpoint(ul, lr);
}

test('lazy pixel centres equal the recursive definition bit for bit, in any order of asking, both diagonals', () => {
  const scratch = pixelGridScratch();
  // (level, x, y): tiles of both diagonal kinds (quadrants (0,0) and (1,1) increase, (1,0) and (0,1) do not).
  for (const [level, x, y] of [[1, 0, 0], [1, 1, 0], [3, 5, 2], [5, 17, 30], [5, 31, 0]] as const) {
    const tile = toastTile(level, x, y);
    const grid = pixelGrid(tile, scratch); // reused: what a previous tile left must not leak in
    const centre = new Float64Array(3);
    let seed = level * 1000 + x * 31 + y;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    const pixels: Array<[number, number]> = [[0, 0], [255, 255], [255, 0], [0, 255], [128, 128]];
    for (let k = 0; k < 60; k++) pixels.push([random(), random()]);
    for (const [px, py] of pixels) {
      pixelCentre(grid, px, py, centre);
      assert.equal([...centre], [...recursiveCentre(tile, px, py)], `tile ${level}/${x}/${y}, pixel (${px}, ${py})`);
    }
  }
});

test.run();
