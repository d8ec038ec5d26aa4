// Worker thread entry for a TOAST map's level-1 quadrants (src/toast/toast-quadrants.ts), so both cores sample
// and downsample. Posts back each quadrant's top tile in full precision, so level 0 is made from exact values too,
// and a message per deepest tile for progress.
import { parentPort, workerData } from 'node:worker_threads';
import { buildQuadrants, type QuadrantJob } from '../toast/toast-quadrants.js';

if (parentPort !== null && (workerData as QuadrantJob | undefined)?.raster !== undefined) {
  const port = parentPort;
  buildQuadrants(workerData as QuadrantJob, () => port.postMessage({ type: 'tile' })).then(
    (results) => {
      const transfer = results.flatMap((r) => (r.top ? [r.top.premultiplied.buffer, r.top.alpha.buffer] : [])) as ArrayBuffer[];
      port.postMessage({ type: 'done', results }, transfer);
    },
    (error: unknown) => port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
}
