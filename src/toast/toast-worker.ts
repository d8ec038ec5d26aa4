// Worker thread entry: builds the TOAST quadrants it is given (toast-quadrants.ts) and posts back their top
// tiles in full precision, and a message per deepest tile for progress.
import { parentPort, workerData } from 'node:worker_threads';
import { buildQuadrants, type QuadrantJob } from './toast-quadrants.js';

const job = workerData as QuadrantJob;
buildQuadrants(job, () => parentPort!.postMessage({ type: 'tile' })).then(
  (results) => {
    const transfer = results.flatMap((r) => (r.top ? [r.top.premultiplied.buffer, r.top.alpha.buffer] : [])) as ArrayBuffer[];
    parentPort!.postMessage({ type: 'done', results }, transfer);
  },
  (error: unknown) => parentPort!.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
);
