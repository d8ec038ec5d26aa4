// Parent pyramid levels built from the deepest level, unbiased.
//
// libvips (and toasty) make each parent from its children's *rounded* (toasty: truncated) 8-bit values, so the
// rounding error compounds level by level and lower levels drift (issue 14: −1.12 grey levels at level 2 of a
// 6000×4000 image with truncation). Here every parent pixel carries the exact alpha-weighted box mean of the
// deepest-level pixels under it in floating point, and rounds only once, when its tile is written. Transparent
// pixels (padding, missing tiles) weigh nothing: a half-covered parent pixel shows the mean of the covered half
// with half the alpha, instead of being darkened by black.
//
// The walk is depth-first over the quadtree, so only one chain of tiles (four children per level) is in memory
// at once, whatever the image size.
import fs from 'node:fs';
import path from 'node:path';
import { encodePng } from './png-encode.js';
import { loadSharp } from './sharp-loader.js';

const SIZE = 256;
const PIXELS = SIZE * SIZE;

/** A tile in full precision: colour premultiplied by alpha, alpha in 0…1 (fraction of the area covered). */
export interface ExactTile {
  readonly premultiplied: Float32Array; // r, g, b per pixel
  readonly alpha: Float32Array;
}

export interface DownsampleOptions {
  /** zlib level for the PNG tiles, 0–9. */
  readonly pngCompression: number;
}

/** Tile path in toasty's layout. */
export function tilePath(root: string, level: number, x: number, y: number): string {
  return path.join(root, String(level), String(y), `${y}_${x}.png`);
}

/** The exact representation of an 8-bit RGBA tile. */
export function exactFromRgba(rgba: Uint8Array): ExactTile {
  const premultiplied = new Float32Array(PIXELS * 3);
  const alpha = new Float32Array(PIXELS);
  for (let p = 0; p < PIXELS; p++) {
    const a = rgba[p * 4 + 3]! / 255;
    alpha[p] = a;
    premultiplied[p * 3] = rgba[p * 4]! * a;
    premultiplied[p * 3 + 1] = rgba[p * 4 + 1]! * a;
    premultiplied[p * 3 + 2] = rgba[p * 4 + 2]! * a;
  }
  return { premultiplied, alpha };
}

/** The parent of four children [ul, ur, ll, lr]; a missing child (null) is fully transparent. */
export function parentOf(children: ReadonlyArray<ExactTile | null>): ExactTile {
  const premultiplied = new Float32Array(PIXELS * 3);
  const alpha = new Float32Array(PIXELS);
  const half = SIZE / 2;
  for (let q = 0; q < 4; q++) {
    const child = children[q];
    if (!child) continue;
    const ca = child.alpha;
    const cp = child.premultiplied;
    const ox = (q % 2) * half;
    const oy = Math.floor(q / 2) * half;
    for (let py = 0; py < half; py++) {
      let p = (oy + py) * SIZE + ox;
      let c0 = 2 * py * SIZE; // the child's 2×2 block: c0, c0+1, c0+SIZE, c0+SIZE+1
      for (let px = 0; px < half; px++, p++, c0 += 2) {
        const c1 = c0 + 1, c2 = c0 + SIZE, c3 = c2 + 1;
        alpha[p] = (ca[c0]! + ca[c1]! + ca[c2]! + ca[c3]!) / 4;
        premultiplied[p * 3] = (cp[c0 * 3]! + cp[c1 * 3]! + cp[c2 * 3]! + cp[c3 * 3]!) / 4;
        premultiplied[p * 3 + 1] = (cp[c0 * 3 + 1]! + cp[c1 * 3 + 1]! + cp[c2 * 3 + 1]! + cp[c3 * 3 + 1]!) / 4;
        premultiplied[p * 3 + 2] = (cp[c0 * 3 + 2]! + cp[c1 * 3 + 2]! + cp[c2 * 3 + 2]! + cp[c3 * 3 + 2]!) / 4;
      }
    }
  }
  return { premultiplied, alpha };
}

/**
 * parentOf(children.map(exactFromRgba)), from the 8-bit RGBA children directly: the same values to the bit, without
 * making (and collecting) a full-precision copy of every deepest tile — 1 MB each, the bulk of a pyramid.
 */
export function parentOfRgba(children: ReadonlyArray<Uint8Array | null>): ExactTile {
  const premultiplied = new Float32Array(PIXELS * 3);
  const alpha = new Float32Array(PIXELS);
  const half = SIZE / 2;
  const f = Math.fround;
  for (let q = 0; q < 4; q++) {
    const rgba = children[q];
    if (!rgba) continue;
    const ox = (q % 2) * half;
    const oy = Math.floor(q / 2) * half;
    for (let py = 0; py < half; py++) {
      let p = (oy + py) * SIZE + ox;
      let c0 = 2 * py * SIZE * 4; // byte offsets of the child's 2×2 block: c0, c1 (right), c2 (below), c3
      for (let px = 0; px < half; px++, p++, c0 += 8) {
        const c1 = c0 + 4, c2 = c0 + SIZE * 4, c3 = c2 + 4;
        const a0 = rgba[c0 + 3]!, a1 = rgba[c1 + 3]!, a2 = rgba[c2 + 3]!, a3 = rgba[c3 + 3]!;
        if ((a0 & a1 & a2 & a3) === 255) {
          // All opaque (nearly every pixel): alpha 1, premultiplied = the 8-bit values, exactly.
          alpha[p] = 1;
          premultiplied[p * 3] = (rgba[c0]! + rgba[c1]! + rgba[c2]! + rgba[c3]!) / 4;
          premultiplied[p * 3 + 1] = (rgba[c0 + 1]! + rgba[c1 + 1]! + rgba[c2 + 1]! + rgba[c3 + 1]!) / 4;
          premultiplied[p * 3 + 2] = (rgba[c0 + 2]! + rgba[c1 + 2]! + rgba[c2 + 2]! + rgba[c3 + 2]!) / 4;
          continue;
        }
        // exactFromRgba's rounding to float32 (fround), then parentOf's sums.
        const w0 = a0 / 255, w1 = a1 / 255, w2 = a2 / 255, w3 = a3 / 255;
        alpha[p] = (f(w0) + f(w1) + f(w2) + f(w3)) / 4;
        for (let c = 0; c < 3; c++) {
          premultiplied[p * 3 + c] = (f(rgba[c0 + c]! * w0) + f(rgba[c1 + c]! * w1) + f(rgba[c2 + c]! * w2) + f(rgba[c3 + c]! * w3)) / 4;
        }
      }
    }
  }
  return { premultiplied, alpha };
}

/**
 * Round half to even. A 2×2 mean of integers ends in .5 a quarter of the time; Math.round always rounds those
 * up, a +0.125 grey-level bias on every parent level (measured: +0.127 at level 4 of a 6000×4000 image).
 */
function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/**
 * roundHalfEven for a float32 value in 0…255·2: there v + 0.5 is exact in a double, so `(v + 0.5) | 0` is
 * Math.round(v) — an integer operation instead of a call (this runs three times a pixel).
 */
function roundFloat32HalfEven(value: number): number {
  const rounded = (value + 0.5) | 0;
  return rounded - value === 0.5 && (rounded & 1) !== 0 ? rounded - 1 : rounded;
}

/** Round once, to 8-bit straight-alpha RGBA (what PNG stores); into `into` if given (every byte is written). */
export function rgbaFromExact(tile: ExactTile, into?: Uint8Array): Uint8Array {
  const out = into ?? new Uint8Array(PIXELS * 4);
  const { alpha, premultiplied } = tile;
  for (let p = 0, q = 0, o = 0; p < PIXELS; p++, q += 3, o += 4) {
    const a = alpha[p]!;
    if (a === 1) {
      // Opaque (most pixels): dividing by 1 changes nothing, and the values are float32 (see roundFloat32HalfEven).
      const r = roundFloat32HalfEven(premultiplied[q]!);
      const g = roundFloat32HalfEven(premultiplied[q + 1]!);
      const b = roundFloat32HalfEven(premultiplied[q + 2]!);
      out[o] = r > 255 ? 255 : r;
      out[o + 1] = g > 255 ? 255 : g;
      out[o + 2] = b > 255 ? 255 : b;
      out[o + 3] = 255;
      continue;
    }
    out[o + 3] = roundFloat32HalfEven(a * 255); // a float32 times 255 is exact in a double
    if (a <= 0) {
      out[o] = out[o + 1] = out[o + 2] = 0;
      continue;
    }
    for (let c = 0; c < 3; c++) out[o + c] = Math.min(255, roundHalfEven(premultiplied[q + c]! / a));
  }
  return out;
}

/**
 * Write levels deepest−1 … 0 under `root` from the tiles of level `deepest` (only parents with at least one
 * child are written, so a sparse pyramid stays sparse). Returns how many tiles were written.
 */
export async function writeParentLevels(
  root: string,
  deepest: number,
  options: DownsampleOptions,
  /** The deepest tile at (x, y) as 8-bit RGBA, or null where there is none; by default read from its PNG. */
  leaf?: (x: number, y: number) => Promise<Uint8Array | null>,
): Promise<number> {
  return (await writeSubtree(root, deepest, options, leaf, 0, 0, 0)).written;
}

/**
 * writeParentLevels for the subtree under tile (level, x, y) alone, that tile included: what one worker does
 * for one level-1 quadrant of a TOAST pyramid. Returns the subtree's top tile in full precision, so the level
 * above it is made from exact values too.
 */
export async function writeSubtree(
  root: string,
  deepest: number,
  options: DownsampleOptions,
  leaf: ((x: number, y: number) => Promise<Uint8Array | null>) | undefined,
  startLevel: number,
  startX: number,
  startY: number,
): Promise<{ written: number; top: ExactTile | null }> {
  const sharp = await loadSharp();
  let written = 0;
  // PNG encoding runs on libvips' threads; keep a few in flight so both cores work while we average.
  const writer = await tileWriter(options.pngCompression, 4);
  // One 8-bit buffer for every parent: the writer is done with it once write() returns (it filters synchronously).
  const rgba = new Uint8Array(PIXELS * 4);
  const write = async (level: number, x: number, y: number, tile: ExactTile): Promise<void> => {
    written++;
    await writer.write(tilePath(root, level, x, y), rgbaFromExact(tile, rgba));
  };
  /** A deepest tile as 8-bit RGBA, or null where there is none. */
  const read = async (x: number, y: number): Promise<Uint8Array | null> => {
    if (leaf) return leaf(x, y);
    const file = tilePath(root, deepest, x, y);
    if (!fs.existsSync(file)) return null;
    return sharp(file).ensureAlpha().raw().toBuffer();
  };
  const build = async (level: number, x: number, y: number): Promise<ExactTile | null> => {
    if (level === deepest) {
      const rgba = await read(x, y);
      return rgba ? exactFromRgba(rgba) : null;
    }
    const coords = [
      [2 * x, 2 * y],
      [2 * x + 1, 2 * y],
      [2 * x, 2 * y + 1],
      [2 * x + 1, 2 * y + 1],
    ] as const;
    let parent: ExactTile;
    if (level + 1 === deepest) {
      // The deepest tiles' parents straight from their 8-bit values (no full-precision copy of each).
      const children = await Promise.all(coords.map(([cx, cy]) => read(cx, cy)));
      if (children.every((child) => child === null)) return null;
      parent = parentOfRgba(children);
    } else {
      // Sequential above the leaves: the memory held is one chain of the quadtree, not a whole level.
      const children: Array<ExactTile | null> = [];
      for (const [cx, cy] of coords) children.push(await build(level + 1, cx, cy));
      if (children.every((child) => child === null)) return null;
      parent = parentOf(children);
    }
    await write(level, x, y, parent);
    return parent;
  };
  const top = await build(startLevel, startX, startY);
  await writer.drain();
  return { written, top };
}

/**
 * PNG tiles deflated on libuv's threads and written, at most `inFlight` at once: `write` returns once the tile is
 * queued and a slot is free, `drain` once every tile is on disk. `write` reads `rgba` before it first yields
 * (filtered into a buffer of its own), so the caller may reuse it as soon as the call returns its promise.
 */
export async function tileWriter(pngCompression: number, inFlight: number): Promise<{ write(file: string, rgba: Uint8Array): Promise<void>; drain(): Promise<void> }> {
  const pending = new Set<Promise<void>>();
  const folders = new Set<string>();
  return {
    async write(file, rgba) {
      const folder = path.dirname(file);
      if (!folders.has(folder)) {
        fs.mkdirSync(folder, { recursive: true });
        folders.add(folder);
      }
      const job: Promise<void> = pngTile(rgba, pngCompression)
        .then((png) => fs.promises.writeFile(file, png))
        .then(() => {
          pending.delete(job);
        });
      pending.add(job);
      if (pending.size >= inFlight) await Promise.race(pending);
    },
    drain: async () => {
      await Promise.all(pending);
    },
  };
}

/** Write one tile from its exact value (the level-0 tile of a pyramid whose quadrants were built apart). */
export async function writeExactTile(file: string, tile: ExactTile, options: DownsampleOptions): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, await pngTile(rgbaFromExact(tile), options.pngCompression));
}

/**
 * A tile's PNG (png-encode.ts): an opaque tile (every pixel's alpha 255, as all of a TOAST map's and a study's
 * inner tiles) is stored as RGB — a quarter fewer bytes to filter and compress, smaller files; WWT reads both.
 */
function pngTile(rgba: Uint8Array, pngCompression: number): Promise<Buffer> {
  return encodePng(rgba, SIZE, SIZE, isOpaque(rgba), pngCompression);
}

function isOpaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}
