// One TOAST level-1 quadrant and everything under it: sampled from the map at the deepest level, parents made
// by the unbiased downsampler. Run in a worker thread (toast-worker.ts) so the four quadrants use every core;
// the map's pixels are shared with the workers, not copied.
import { type ExactTile, tilePath, tileWriter, writeSubtree } from '../wwt/pyramid-downsample.js';
import { sampleTile, type AllSkyProjection, type RasterImage } from './plate-carree-sampler.js';
import { pixelGrid, pixelGridScratch, TILE_SIZE, toastTile } from './toast-geometry.js';

export interface QuadrantJob {
  readonly raster: RasterImage;
  readonly outDir: string;
  readonly projection: AllSkyProjection;
  readonly depth: number;
  readonly pngCompression: number;
  /** Level-1 tiles (x, y) to build. */
  readonly quadrants: ReadonlyArray<readonly [number, number]>;
}

export interface QuadrantResult {
  readonly x: number;
  readonly y: number;
  readonly written: number;
  readonly top: ExactTile | null;
}

export async function buildQuadrants(job: QuadrantJob, onTile?: () => void): Promise<QuadrantResult[]> {
  // Two PNG writes in flight per worker keep libvips busy; more only holds more tiles in memory.
  const writer = await tileWriter(job.pngCompression, 2);
  let leaves = 0;
  // One vertex grid for every leaf of this worker (1.6 MB that would otherwise be garbage per tile).
  const scratch = pixelGridScratch();
  const leaf = async (x: number, y: number): Promise<Uint8Array> => {
    const rgba = Buffer.alloc(TILE_SIZE * TILE_SIZE * 4);
    sampleTile(job.raster, job.projection, pixelGrid(toastTile(job.depth, x, y), scratch), TILE_SIZE, rgba);
    leaves++;
    onTile?.();
    await writer.write(tilePath(job.outDir, job.depth, x, y), rgba);
    return rgba;
  };
  const results: QuadrantResult[] = [];
  for (const [x, y] of job.quadrants) {
    // The leaves are written here, the parents by writeSubtree: a quadrant's count is both.
    const before = leaves;
    const { written, top } = await writeSubtree(job.outDir, job.depth, { pngCompression: job.pngCompression }, leaf, 1, x, y);
    results.push({ x, y, written: written + leaves - before, top });
  }
  await writer.drain();
  return results;
}
