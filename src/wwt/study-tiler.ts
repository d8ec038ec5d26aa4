// Tile one image into a WWT study pyramid, streaming: libvips (through sharp) pulls the image through in strips,
// so a 16k × 16k input is never decoded whole (unless it must be flipped), and writes the deepest level only;
// the levels above are made from those tiles by the unbiased downsampler (pyramid-downsample.ts), so every
// parent is the exact box mean of the full-resolution pixels under it, rounded once (libvips' own parents round
// at every level: about +0.37 grey levels at level 2 of a 6000×4000 image, and more below).
//
// The image sits on a power-of-two canvas, centred with floor() padding as toasty places it (GUIDE §1). Only the
// tiles that overlap it are written: the image is padded with transparent pixels to the edges of those tiles
// alone, tiled by dzsave (deep-zoom layout, one level), and the tiles renamed to toasty's {level}/{y}/{y}_{x}.png.
import fs from 'node:fs';
import path from 'node:path';
import { loadSharp, readableImageError } from './sharp-loader.js';
import { studyLayout, type StudyLayout, tileRange, TILE_SIZE } from './study-layout.js';
import { writeParentLevels } from './pyramid-downsample.js';

export interface TileOptions {
  /** Reverse the rows before tiling (an image stored mirrored with respect to the sky). */
  readonly flipRows: boolean;
  /** zlib level for the PNG tiles, 0–9. */
  readonly pngCompression: number;
  /** Refuse images with more pixels than this (decompression bombs). */
  readonly maxPixels: number;
  /** Told now and then (at most every PROGRESS_MS) how many tiles are written out of how many there will be. */
  readonly onProgress?: (written: number, total: number) => void;
}

const PROGRESS_MS = 250;

/** The tiles a pyramid of this image has: those overlapping the image, on every level. */
function expectedTiles(layout: StudyLayout): number {
  let total = 0;
  for (let level = 0; level <= layout.tileLevels; level++) {
    const range = tileRange(layout, level);
    total += (range.x[1] - range.x[0] + 1) * (range.y[1] - range.y[0] + 1);
  }
  return total;
}

function countFiles(dir: string): number {
  try {
    return fs.readdirSync(dir).length;
  } catch {
    return 0;
  }
}

export interface TileResult {
  readonly layout: StudyLayout;
  readonly tiles: number;
}

export async function tileStudy(image: string, outDir: string, options: TileOptions): Promise<TileResult> {
  const sharp = await loadSharp();
  const scratch = path.join(outDir, '.dz');
  const deepestDir = `${scratch}_files/0`;
  let ticker: NodeJS.Timeout | undefined;
  let layout: StudyLayout;
  try {
    const header = await sharp(image, { limitInputPixels: options.maxPixels }).metadata();
    if (!header.width || !header.height) throw new Error(`${path.basename(image)} has no pixel size`);
    layout = studyLayout(header.width, header.height);
    const total = expectedTiles(layout);
    if (options.onProgress) {
      const onProgress = options.onProgress;
      ticker = setInterval(() => onProgress(Math.min(countFiles(deepestDir), total), total), PROGRESS_MS);
    }
    const range = tileRange(layout, layout.tileLevels);
    const left = layout.x0 - range.x[0] * TILE_SIZE;
    const top = layout.y0 - range.y[0] * TILE_SIZE;
    const right = (range.x[1] + 1) * TILE_SIZE - (layout.x0 + layout.width);
    const bottom = (range.y[1] + 1) * TILE_SIZE - (layout.y0 + layout.height);
    const input = sharp(image, {
      limitInputPixels: options.maxPixels,
      // Sequential access lets libvips stream; a vertical flip needs the bottom row first.
      sequentialRead: !options.flipRows,
    });
    await (options.flipRows ? input.flip() : input)
      .toColourspace('srgb')
      .ensureAlpha()
      .extend({ top, bottom, left, right, background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png({ compressionLevel: options.pngCompression })
      .tile({ size: TILE_SIZE, overlap: 0, layout: 'dz', depth: 'one', container: 'fs' })
      .toFile(`${scratch}.dz`);
    // dzsave names the deepest level's tiles {column}_{row}.png from the padded image's corner.
    let tiles = 0;
    for (const name of fs.readdirSync(deepestDir)) {
      const match = /^(\d+)_(\d+)\.png$/.exec(name);
      if (!match) continue;
      const x = Number(match[1]) + range.x[0];
      const y = Number(match[2]) + range.y[0];
      const target = path.join(outDir, String(layout.tileLevels), String(y));
      fs.mkdirSync(target, { recursive: true });
      fs.renameSync(path.join(deepestDir, name), path.join(target, `${y}_${x}.png`));
      tiles++;
    }
    fs.rmSync(`${scratch}_files`, { recursive: true, force: true });
    fs.rmSync(`${scratch}.dzi`, { force: true });
    // Parents in this thread: split over worker threads they were no faster (libvips' PNG encoding already keeps
    // both cores busy) and a third larger in memory (measured 2026-12-04, 8192²: 6.67 s either way, 215 → 306 MB).
    tiles += await writeParentLevels(outDir, layout.tileLevels, { pngCompression: options.pngCompression });
    options.onProgress?.(tiles, tiles);
    return { layout, tiles };
  } catch (error) {
    // Judged before the scratch files are removed: a full disk must still look full.
    const failure = readableImageError(image, error, outDir);
    fs.rmSync(`${scratch}_files`, { recursive: true, force: true });
    fs.rmSync(`${scratch}.dzi`, { force: true });
    throw failure;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

export interface ThumbnailOptions {
  readonly width: number;
  readonly height: number;
  readonly flipRows: boolean;
  readonly quality: number;
  readonly maxPixels: number;
}

/** toasty's thumbnail: the image centre-cropped to the thumbnail's aspect, as JPEG. */
export async function makeThumbnail(image: string, out: string, options: ThumbnailOptions): Promise<void> {
  const sharp = await loadSharp();
  try {
    const input = sharp(image, { limitInputPixels: options.maxPixels });
    await (options.flipRows ? input.flip() : input)
      .resize(options.width, options.height, { fit: 'cover', position: 'centre' })
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .jpeg({ quality: options.quality })
      .toFile(out);
  } catch (error) {
    throw readableImageError(image, error, path.dirname(out));
  }
}
