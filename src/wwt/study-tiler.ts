// Tile one image into a WWT study pyramid with libvips' dzsave (through sharp), streaming: libvips pulls the
// image through in strips, so a 16k × 16k input is never decoded whole (unless it must be flipped).
//
// libvips' google layout with `centre` places the image exactly as toasty does (floor() padding on a
// power-of-two canvas, GUIDE §1). We give it a transparent background on an RGBA image and let it skip tiles
// that are entirely background, so only tiles that overlap the image are written; then rename `{z}/{y}/{x}.png`
// to toasty's `{level}/{y}/{y}_{x}.png`. libvips writes only the deepest level (`depth: 'one'`): its parent
// levels average rounded 8-bit children and drift, so pyramid-downsample.ts builds the parents, unbiased.
import fs from 'node:fs';
import path from 'node:path';
import { loadSharp, readableImageError } from './sharp-loader.js';
import { writeParentLevels } from './pyramid-downsample.js';
import { studyLayout, type StudyLayout } from './study-layout.js';

export interface TileOptions {
  /** Reverse the rows before tiling (an image stored mirrored with respect to the sky). */
  readonly flipRows: boolean;
  /** zlib level for the PNG tiles, 0–9. */
  readonly pngCompression: number;
  /** Refuse images with more pixels than this (decompression bombs). */
  readonly maxPixels: number;
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
  let layout: StudyLayout;
  try {
    const meta = await sharp(image, { limitInputPixels: options.maxPixels }).metadata();
    layout = studyLayout(meta.width ?? 0, meta.height ?? 0);
    const input = sharp(image, {
      limitInputPixels: options.maxPixels,
      // Sequential access lets libvips stream; a vertical flip needs the bottom row first.
      sequentialRead: !options.flipRows,
    });
    let pipeline = options.flipRows ? input.flip() : input;
    // dzsave centres only on the full pyramid; for its deepest level alone we place the image on the
    // power-of-two canvas ourselves (GUIDE §1), with transparent padding that its blank-skipping leaves out.
    pipeline = pipeline
      .toColourspace('srgb')
      .ensureAlpha()
      .extend({
        left: layout.x0,
        top: layout.y0,
        right: layout.side - layout.width - layout.x0,
        bottom: layout.side - layout.height - layout.y0,
        background: { r: 0, g: 0, b: 0, alpha: 0 },
      });
    await pipeline
      .png({ compressionLevel: options.pngCompression })
      .tile({
        size: 256,
        overlap: 0,
        layout: 'google',
        container: 'fs',
        background: { r: 0, g: 0, b: 0, alpha: 0 },
        skipBlanks: 0,
        depth: 'one',
      })
      .toFile(`${scratch}.dz`);
  } catch (error) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw readableImageError(image, error);
  }
  let tiles = 0;
  // With depth 'one', libvips names its only level 0; it is our deepest level.
  const levelDir = path.join(scratch, '0');
  if (!fs.existsSync(levelDir)) throw new Error(`libvips wrote no tiles for level ${layout.tileLevels}`);
  for (const y of fs.readdirSync(levelDir)) {
    const target = path.join(outDir, String(layout.tileLevels), y);
    fs.mkdirSync(target, { recursive: true });
    for (const file of fs.readdirSync(path.join(levelDir, y))) {
      fs.renameSync(path.join(levelDir, y, file), path.join(target, `${y}_${file}`));
      tiles++;
    }
  }
  tiles += await writeParentLevels(outDir, layout.tileLevels, { pngCompression: options.pngCompression });
  fs.rmSync(scratch, { recursive: true, force: true });
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
    throw readableImageError(image, error);
  }
}
