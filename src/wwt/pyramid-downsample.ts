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
import type SharpType from 'sharp';
import type { Sharp } from 'sharp';
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
    const ox = (q % 2) * half;
    const oy = Math.floor(q / 2) * half;
    for (let py = 0; py < half; py++) {
      for (let px = 0; px < half; px++) {
        const c0 = 2 * py * SIZE + 2 * px; // the child's 2×2 block: c0, c0+1, c0+SIZE, c0+SIZE+1
        const p = (oy + py) * SIZE + ox + px;
        alpha[p] = (child.alpha[c0]! + child.alpha[c0 + 1]! + child.alpha[c0 + SIZE]! + child.alpha[c0 + SIZE + 1]!) / 4;
        for (let c = 0; c < 3; c++) {
          premultiplied[p * 3 + c] =
            (child.premultiplied[c0 * 3 + c]! +
              child.premultiplied[(c0 + 1) * 3 + c]! +
              child.premultiplied[(c0 + SIZE) * 3 + c]! +
              child.premultiplied[(c0 + SIZE + 1) * 3 + c]!) /
            4;
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

/** Round once, to 8-bit straight-alpha RGBA (what PNG stores). */
export function rgbaFromExact(tile: ExactTile): Buffer {
  const out = Buffer.alloc(PIXELS * 4);
  for (let p = 0; p < PIXELS; p++) {
    const a = tile.alpha[p]!;
    out[p * 4 + 3] = roundHalfEven(a * 255);
    if (a <= 0) continue;
    // Dividing by 1 changes nothing: an opaque pixel (most of them) skips the division.
    const q = p * 3;
    if (a === 1) {
      out[p * 4] = Math.min(255, roundHalfEven(tile.premultiplied[q]!));
      out[p * 4 + 1] = Math.min(255, roundHalfEven(tile.premultiplied[q + 1]!));
      out[p * 4 + 2] = Math.min(255, roundHalfEven(tile.premultiplied[q + 2]!));
      continue;
    }
    for (let c = 0; c < 3; c++) out[p * 4 + c] = Math.min(255, roundHalfEven(tile.premultiplied[q + c]! / a));
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
  const write = async (level: number, x: number, y: number, tile: ExactTile): Promise<void> => {
    written++;
    await writer.write(tilePath(root, level, x, y), rgbaFromExact(tile));
  };
  const read = async (x: number, y: number): Promise<ExactTile | null> => {
    if (leaf) {
      const rgba = await leaf(x, y);
      return rgba ? exactFromRgba(rgba) : null;
    }
    const file = tilePath(root, deepest, x, y);
    if (!fs.existsSync(file)) return null;
    const data = await sharp(file).ensureAlpha().raw().toBuffer();
    return exactFromRgba(data);
  };
  const build = async (level: number, x: number, y: number): Promise<ExactTile | null> => {
    if (level === deepest) return read(x, y);
    const coords = [
      [2 * x, 2 * y],
      [2 * x + 1, 2 * y],
      [2 * x, 2 * y + 1],
      [2 * x + 1, 2 * y + 1],
    ] as const;
    let children: Array<ExactTile | null>;
    if (level + 1 === deepest) {
      children = await Promise.all(coords.map(([cx, cy]) => read(cx, cy)));
    } else {
      // Sequential above the leaves: the memory held is one chain of the quadtree, not a whole level.
      children = [];
      for (const [cx, cy] of coords) children.push(await build(level + 1, cx, cy));
    }
    if (children.every((child) => child === null)) return null;
    const parent = parentOf(children);
    await write(level, x, y, parent);
    return parent;
  };
  const top = await build(startLevel, startX, startY);
  await writer.drain();
  return { written, top };
}

/**
 * PNG tiles written on libvips' threads, at most `inFlight` at once: `write` returns once the tile is queued and
 * a slot is free, `drain` once every tile is on disk.
 */
export async function tileWriter(pngCompression: number, inFlight: number): Promise<{ write(file: string, rgba: Uint8Array): Promise<void>; drain(): Promise<void> }> {
  const sharp = await loadSharp();
  const pending = new Set<Promise<void>>();
  const folders = new Set<string>();
  return {
    async write(file, rgba) {
      const folder = path.dirname(file);
      if (!folders.has(folder)) {
        fs.mkdirSync(folder, { recursive: true });
        folders.add(folder);
      }
      const job: Promise<void> = pngTile(sharp, rgba, pngCompression)
        .toFile(file)
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
  const sharp = await loadSharp();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await pngTile(sharp, rgbaFromExact(tile), options.pngCompression).toFile(file);
}

/**
 * A tile's PNG: an opaque tile (every pixel's alpha 255, as all of a TOAST map's and a study's inner tiles) is
 * stored as RGB — a quarter fewer bytes to filter and compress (~20% less CPU, smaller files); WWT reads both.
 */
function pngTile(sharp: typeof SharpType, rgba: Uint8Array, pngCompression: number): Sharp {
  const image = sharp(rgba, { raw: { width: SIZE, height: SIZE, channels: 4 } });
  return (isOpaque(rgba) ? image.removeAlpha() : image).png({ compressionLevel: pngCompression });
}

function isOpaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}
