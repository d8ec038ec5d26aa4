// An all-sky plate-carrée image → a TOAST pyramid `{level}/{y}/{y}_{x}.png`, levels 0…depth: the deepest
// level sampled from the image at each pixel centre, the levels above built from it by the unbiased
// downsampler (the same one as study pyramids).
// The four level-1 quadrants are built in worker threads (one per core), sharing the map's pixels.
import { loadSharp, readableImageError } from '../wwt/sharp-loader.js';
import { runOnQuadrants } from '../wwt/pyramid-workers.js';
import type { AllSkyProjection, RasterImage } from './plate-carree-sampler.js';

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

/** The map's pixels in shared memory, every worker reading the same bytes (the decoded copy is let go). */
async function sharedRaster(image: string, maxPixels: number, flipRows: boolean): Promise<RasterImage> {
  const loaded = await readRaster(image, maxPixels, flipRows);
  const shared = new Uint8Array(new SharedArrayBuffer(loaded.data.byteLength));
  shared.set(loaded.data);
  return { data: shared, width: loaded.width, height: loaded.height, channels: loaded.channels };
}

export async function tileToast(image: string, outDir: string, options: ToastOptions): Promise<ToastResult> {
  if (!(Number.isInteger(options.depth) && options.depth >= 1)) throw new RangeError(`TOAST depth must be ≥ 1, got ${options.depth}`);
  const raster = await sharedRaster(image, options.maxPixels, options.flipRows ?? false);
  const total = ((4 ** (options.depth + 1) - 1) / 3) | 0;
  const leavesTotal = 4 ** options.depth;
  let leavesDone = 0;
  const progress = (): void => {
    leavesDone++;
    if (leavesDone % 64 === 0) options.onProgress?.(Math.round((leavesDone / leavesTotal) * total), total);
  };
  const tiles = await runOnQuadrants(
    (quadrants) => ({ raster, outDir, projection: options.projection, depth: options.depth, pngCompression: options.pngCompression, quadrants }),
    outDir,
    options.pngCompression,
    progress,
  );
  return { tiles };
}
