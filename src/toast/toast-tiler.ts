// An all-sky plate-carrée image → a TOAST pyramid `{level}/{y}/{y}_{x}.png`, levels 0…depth: the deepest
// level sampled from the image at each pixel centre, the levels above built from it by the unbiased
// downsampler (the same one as study pyramids).
import fs from 'node:fs';
import path from 'node:path';
import { writeParentLevels, tilePath } from '../wwt/pyramid-downsample.js';
import { loadSharp, readableImageError } from '../wwt/sharp-loader.js';
import { sampleTile, type AllSkyProjection, type RasterImage } from './plate-carree-sampler.js';
import { pixelCentres, TILE_SIZE, toastTile } from './toast-geometry.js';

export interface ToastOptions {
  readonly projection: AllSkyProjection;
  /** Deepest level, ≥ 1. */
  readonly depth: number;
  readonly pngCompression: number;
  readonly maxPixels: number;
  /** The map is stored bottom row first (a FITS map): flipped before sampling. */
  readonly flipRows?: boolean;
  readonly onProgress?: (written: number, total: number) => void;
}

export interface ToastResult {
  readonly tiles: number;
}

export async function readRaster(image: string, maxPixels: number, flipRows = false): Promise<RasterImage> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(image, { limitInputPixels: maxPixels })
      .flip(flipRows)
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw readableImageError(image, error);
  }
}

export async function tileToast(image: string, outDir: string, options: ToastOptions): Promise<ToastResult> {
  if (!(Number.isInteger(options.depth) && options.depth >= 1)) throw new RangeError(`TOAST depth must be ≥ 1, got ${options.depth}`);
  const sharp = await loadSharp();
  const raster = await readRaster(image, options.maxPixels, options.flipRows ?? false);
  const total = ((4 ** (options.depth + 1) - 1) / 3) | 0;
  let tiles = 0;
  const pending = new Set<Promise<void>>();
  // The downsampler walks the quadtree depth-first and asks for each deepest tile once; we sample it, hand
  // it over in memory (no PNG decode) and write its PNG on libvips' threads meanwhile.
  const leaf = async (x: number, y: number): Promise<Uint8Array> => {
    const rgba = Buffer.alloc(TILE_SIZE * TILE_SIZE * 4);
    sampleTile(raster, options.projection, pixelCentres(toastTile(options.depth, x, y)), TILE_SIZE, rgba);
    const file = tilePath(outDir, options.depth, x, y);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const job: Promise<void> = sharp(rgba, { raw: { width: TILE_SIZE, height: TILE_SIZE, channels: 4 } })
      .png({ compressionLevel: options.pngCompression })
      .toFile(file)
      .then(() => {
        pending.delete(job);
      });
    pending.add(job);
    tiles++;
    if (tiles % 64 === 0) options.onProgress?.(tiles, total);
    if (pending.size >= 4) await Promise.race(pending);
    return rgba;
  };
  const parents = await writeParentLevels(outDir, options.depth, { pngCompression: options.pngCompression }, leaf);
  tiles += parents; // not `tiles += await …`: that would read `tiles` before the leaves counted themselves
  await Promise.all(pending);
  return { tiles };
}
