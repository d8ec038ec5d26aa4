// An all-sky plate-carrée image → a TOAST pyramid `{level}/{y}/{y}_{x}.png`, levels 0…depth: the deepest
// level sampled from the image at each pixel centre, the levels above built from it by the unbiased
// downsampler (the same one as study pyramids).
// The four level-1 quadrants are built in worker threads (one per core), sharing the map's pixels.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { parentOf, tilePath, writeExactTile } from '../wwt/pyramid-downsample.js';
import { loadSharp, readableImageError } from '../wwt/sharp-loader.js';
import type { AllSkyProjection, RasterImage } from './plate-carree-sampler.js';
import { buildQuadrants, type QuadrantJob, type QuadrantResult } from './toast-quadrants.js';

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
  const loaded = await readRaster(image, options.maxPixels, options.flipRows ?? false);
  // The map's pixels in shared memory: every worker reads the same bytes.
  const shared = new Uint8Array(new SharedArrayBuffer(loaded.data.byteLength));
  shared.set(loaded.data);
  const raster: RasterImage = { data: shared, width: loaded.width, height: loaded.height, channels: loaded.channels };
  const total = ((4 ** (options.depth + 1) - 1) / 3) | 0;
  const leavesTotal = 4 ** options.depth;
  let leavesDone = 0;
  const progress = (): void => {
    leavesDone++;
    if (leavesDone % 64 === 0) options.onProgress?.(Math.round((leavesDone / leavesTotal) * total), total);
  };
  // The four level-1 quadrants, split over the cores (a worker each, at most four).
  const quadrants: Array<readonly [number, number]> = [[0, 0], [1, 0], [0, 1], [1, 1]];
  const workers = Math.max(1, Math.min(4, os.availableParallelism(), Number(process.env['IMGBUILD_TOAST_THREADS'] ?? 4)));
  const shares = Array.from({ length: workers }, (_v, i) => quadrants.filter((_q, k) => k % workers === i));
  const job = (share: ReadonlyArray<readonly [number, number]>): QuadrantJob => ({ raster, outDir, projection: options.projection, depth: options.depth, pngCompression: options.pngCompression, quadrants: share });
  const results = (await Promise.all(shares.map((share, i) => (i === 0 && workers === 1 ? buildQuadrants(job(share), progress) : inWorker(job(share), progress))))).flat();
  // Level 0 from the four level-1 tiles, exact.
  const ordered = quadrants.map(([x, y]) => results.find((r) => r.x === x && r.y === y)?.top ?? null);
  await writeExactTile(tilePath(outDir, 0, 0, 0), parentOf(ordered), { pngCompression: options.pngCompression });
  return { tiles: results.reduce((sum, r) => sum + r.written, 0) + 1 };
}

function inWorker(job: QuadrantJob, onTile: () => void): Promise<QuadrantResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./toast-worker.js', import.meta.url), { workerData: job });
    worker.on('message', (message: { type: 'tile' } | { type: 'done'; results: QuadrantResult[] } | { type: 'error'; message: string }) => {
      if (message.type === 'tile') onTile();
      else if (message.type === 'done') {
        resolve(message.results);
        void worker.terminate();
      } else {
        reject(new Error(message.message));
        void worker.terminate();
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the TOAST worker stopped (exit ${code})`));
    });
  });
}
