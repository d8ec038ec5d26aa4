// Tile one image into a WWT study pyramid with libvips' dzsave (through sharp), streaming: libvips pulls the
// image through in strips, so a 16k × 16k input is never decoded whole (unless it must be flipped).
//
// libvips' google layout with `centre` places the image exactly as toasty does (floor() padding on a
// power-of-two canvas, GUIDE §1) and averages 2×2 blocks for each parent level. We give it a transparent
// background on an RGBA image and let it skip tiles that are entirely background, so only tiles that overlap
// the image are written; then rename `{z}/{y}/{x}.png` to toasty's `{level}/{y}/{y}_{x}.png`.
import fs from 'node:fs';
import path from 'node:path';
import { loadSharp, readableImageError } from './sharp-loader.js';
import { studyLayout, type StudyLayout, tileRange } from './study-layout.js';

export interface TileOptions {
  /** Reverse the rows before tiling (an image stored mirrored with respect to the sky). */
  readonly flipRows: boolean;
  /** zlib level for the PNG tiles, 0–9. */
  readonly pngCompression: number;
  /** Refuse images with more pixels than this (decompression bombs). */
  readonly maxPixels: number;
  /**
   * Told now and then (at most every PROGRESS_MS) how many tiles are written out of how many overlap the
   * image (an upper bound: libvips skips fully transparent tiles), so a long tiling step shows it moves.
   */
  readonly onProgress?: (written: number, total: number) => void;
}

const PROGRESS_MS = 250;

/** The tiles a pyramid of this image has at most: those overlapping the image, on every level. */
function expectedTiles(layout: StudyLayout): number {
  let total = 0;
  for (let level = 0; level <= layout.tileLevels; level++) {
    const range = tileRange(layout, level);
    total += (range.x[1] - range.x[0] + 1) * (range.y[1] - range.y[0] + 1);
  }
  return total;
}

/** Tiles dzsave has written so far under `scratch` ({z}/{y}/{x}.png); one readdir per row folder. */
function countWritten(scratch: string): number {
  let count = 0;
  try {
    for (const level of fs.readdirSync(scratch)) {
      const levelDir = path.join(scratch, level);
      if (!/^\d+$/.test(level)) continue;
      for (const y of fs.readdirSync(levelDir)) count += fs.readdirSync(path.join(levelDir, y)).length;
    }
  } catch {
    // dzsave is creating folders as we look; the next tick counts them.
  }
  return count;
}

/** Files dzsave writes beside the tiles (its metadata, google layout's blank tile). */
const LIBVIPS_EXTRAS = ['vips-properties.xml', 'blank.png'];

export interface TileResult {
  readonly layout: StudyLayout;
  readonly tiles: number;
}

export async function tileStudy(image: string, outDir: string, options: TileOptions): Promise<TileResult> {
  const sharp = await loadSharp();
  const scratch = path.join(outDir, '.dz');
  let width: number;
  let height: number;
  let ticker: NodeJS.Timeout | undefined;
  let total = 0;
  try {
    if (options.onProgress) {
      const onProgress = options.onProgress;
      const header = await sharp(image, { limitInputPixels: options.maxPixels }).metadata();
      if (header.width && header.height) total = expectedTiles(studyLayout(header.width, header.height));
      ticker = setInterval(() => onProgress(Math.min(countWritten(scratch), total), total), PROGRESS_MS);
    }
    const input = sharp(image, {
      limitInputPixels: options.maxPixels,
      // Sequential access lets libvips stream; a vertical flip needs the bottom row first.
      sequentialRead: !options.flipRows,
    });
    let pipeline = options.flipRows ? input.flip() : input;
    pipeline = pipeline.toColourspace('srgb').ensureAlpha();
    const info = await pipeline
      .png({ compressionLevel: options.pngCompression })
      .tile({
        size: 256,
        overlap: 0,
        layout: 'google',
        centre: true,
        container: 'fs',
        background: { r: 0, g: 0, b: 0, alpha: 0 },
        skipBlanks: 0,
      })
      .toFile(`${scratch}.dz`);
    width = info.width;
    height = info.height;
  } catch (error) {
    // Judged before the scratch folder is removed: a full disk must still look full.
    const failure = readableImageError(image, error, path.dirname(scratch));
    fs.rmSync(scratch, { recursive: true, force: true });
    throw failure;
  } finally {
    if (ticker) clearInterval(ticker);
  }
  const layout = studyLayout(width, height);
  let tiles = 0;
  for (let level = 0; level <= layout.tileLevels; level++) {
    const levelDir = path.join(scratch, String(level));
    if (!fs.existsSync(levelDir)) throw new Error(`libvips wrote no tiles for level ${level}`);
    for (const y of fs.readdirSync(levelDir)) {
      const target = path.join(outDir, String(level), y);
      fs.mkdirSync(target, { recursive: true });
      for (const file of fs.readdirSync(path.join(levelDir, y))) {
        fs.renameSync(path.join(levelDir, y, file), path.join(target, `${y}_${file}`));
        tiles++;
      }
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  options.onProgress?.(tiles, tiles);
  // dzsave's own bookkeeping files are not part of a WWT data set.
  for (const extra of LIBVIPS_EXTRAS) fs.rmSync(path.join(outDir, extra), { force: true });
  return { layout, tiles };
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
