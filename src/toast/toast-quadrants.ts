// One TOAST level-1 quadrant and everything under it: sampled from the map at the deepest level, parents made
// by the unbiased downsampler. Run in a worker thread (toast-worker.ts) so the four quadrants use every core;
// the map's pixels are shared with the workers, not copied.
import fs from 'node:fs';
import path from 'node:path';
import { type ExactTile, tilePath, writeSubtree } from '../wwt/pyramid-downsample.js';
import { loadSharp } from '../wwt/sharp-loader.js';
import { sampleTile, type AllSkyProjection, type RasterImage } from './plate-carree-sampler.js';
import { pixelCentres, TILE_SIZE, toastTile } from './toast-geometry.js';

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
  const sharp = await loadSharp();
  const pending = new Set<Promise<void>>();
  let leaves = 0;
  const leaf = async (x: number, y: number): Promise<Uint8Array> => {
    const rgba = Buffer.alloc(TILE_SIZE * TILE_SIZE * 4);
    sampleTile(job.raster, job.projection, pixelCentres(toastTile(job.depth, x, y)), TILE_SIZE, rgba);
    const file = tilePath(job.outDir, job.depth, x, y);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const write: Promise<void> = sharp(rgba, { raw: { width: TILE_SIZE, height: TILE_SIZE, channels: 4 } })
      .png({ compressionLevel: job.pngCompression })
      .toFile(file)
      .then(() => {
        pending.delete(write);
      });
    pending.add(write);
    leaves++;
    onTile?.();
    // Two PNG writes in flight per worker keep libvips busy; more only holds more tiles in memory.
    if (pending.size >= 2) await Promise.race(pending);
    return rgba;
  };
  const results: QuadrantResult[] = [];
  for (const [x, y] of job.quadrants) {
    const { written, top } = await writeSubtree(job.outDir, job.depth, { pngCompression: job.pngCompression }, leaf, 1, x, y);
    results.push({ x, y, written, top });
  }
  await Promise.all(pending);
  // The leaves were written here, not by writeSubtree: count them with the parents.
  const total = results.reduce((sum, r) => sum + r.written, 0) + leaves;
  return results.map((r, i) => (i === 0 ? { ...r, written: total } : { ...r, written: 0 }));
}
