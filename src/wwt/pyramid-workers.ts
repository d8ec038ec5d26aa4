// Running a TOAST map's quadrants (pyramid-worker.ts) on every core: the four level-1 quadrants shared among up to
// `IMGBUILD_PYRAMID_THREADS` worker threads (default: the number of cores, at most four), then level 0 made
// here from the quadrants' exact top tiles.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { buildQuadrants, type QuadrantJob, type QuadrantResult } from '../toast/toast-quadrants.js';
import { parentOf, tilePath, writeExactTile } from './pyramid-downsample.js';

/** Where the worker's code is: beside this module, in dist/src/wwt or in the bundle alike. */
const WORKER = new URL('./pyramid-worker.js', import.meta.url);

const QUADRANTS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
];

function threads(): number {
  const wanted = Number(process.env['IMGBUILD_PYRAMID_THREADS'] ?? process.env['IMGBUILD_TOAST_THREADS'] ?? 4);
  return Math.max(1, Math.min(4, os.availableParallelism(), Number.isInteger(wanted) && wanted > 0 ? wanted : 4));
}

/**
 * Run `job` (without its quadrants) over the four quadrants on the available cores, then write level 0 under
 * `root` from their tops (when any quadrant has tiles). Returns how many tiles were written, level 0 included.
 */
export async function runOnQuadrants(job: (quadrants: ReadonlyArray<readonly [number, number]>) => QuadrantJob, root: string, pngCompression: number, onTile?: () => void): Promise<number> {
  const count = threads();
  const shares = Array.from({ length: count }, (_v, i) => QUADRANTS.filter((_q, k) => k % count === i));
  const results = (await Promise.all(shares.map((share) => (count === 1 ? buildQuadrants(job(share), onTile) : inWorker(job(share), onTile))))).flat();
  const tops = QUADRANTS.map(([x, y]) => results.find((r) => r.x === x && r.y === y)?.top ?? null);
  const written = results.reduce((sum, r) => sum + r.written, 0);
  if (tops.every((t) => t === null)) return written;
  await writeExactTile(tilePath(root, 0, 0, 0), parentOf(tops), { pngCompression });
  return written + 1;
}

function inWorker(job: QuadrantJob, onTile?: () => void): Promise<QuadrantResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    let settled = false;
    worker.on('message', (message: { type: 'tile' } | { type: 'done'; results: QuadrantResult[] } | { type: 'error'; message: string }) => {
      if (message.type === 'tile') onTile?.();
      else {
        settled = true;
        if (message.type === 'done') resolve(message.results);
        else reject(new Error(message.message));
        void worker.terminate();
      }
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`a pyramid worker stopped (exit ${code})`));
    });
  });
}
