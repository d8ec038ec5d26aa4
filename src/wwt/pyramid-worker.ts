// Worker thread entry for pyramid work split by level-1 quadrant (both cores busy): a TOAST map's quadrants
// sampled and downsampled (src/toast/toast-quadrants.ts), or a study's parent levels made from its deepest tiles
// on disk. Posts back each quadrant's top tile in full precision, so level 0 is made from exact values too.
import { parentPort, workerData } from 'node:worker_threads';
import { buildQuadrants, type QuadrantJob, type QuadrantResult } from '../toast/toast-quadrants.js';
import { writeSubtree } from './pyramid-downsample.js';

export type PyramidJob =
  | ({ readonly kind: 'toast' } & QuadrantJob)
  | { readonly kind: 'parents'; readonly root: string; readonly deepest: number; readonly pngCompression: number; readonly quadrants: ReadonlyArray<readonly [number, number]> };

export async function runPyramidJob(job: PyramidJob, onTile?: () => void): Promise<QuadrantResult[]> {
  if (job.kind === 'toast') return buildQuadrants(job, onTile);
  const results: QuadrantResult[] = [];
  for (const [x, y] of job.quadrants) {
    const { written, top } = await writeSubtree(job.root, job.deepest, { pngCompression: job.pngCompression }, undefined, 1, x, y);
    results.push({ x, y, written, top });
  }
  return results;
}

if (parentPort !== null && (workerData as PyramidJob | undefined)?.kind !== undefined) {
  const port = parentPort;
  runPyramidJob(workerData as PyramidJob, () => port.postMessage({ type: 'tile' })).then(
    (results) => {
      const transfer = results.flatMap((r) => (r.top ? [r.top.premultiplied.buffer, r.top.alpha.buffer] : [])) as ArrayBuffer[];
      port.postMessage({ type: 'done', results }, transfer);
    },
    (error: unknown) => port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
}
