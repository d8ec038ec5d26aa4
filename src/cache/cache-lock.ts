// One build at a time per cache folder: two runs interleaving their records and staging folders could
// record outputs the other one replaced. The lock file holds the owner's pid; a lock whose process is gone
// (killed with -9) is taken over.
import { ImgbuildError } from '../errors.js';
import fs from 'node:fs';
import path from 'node:path';

export class CacheLockError extends ImgbuildError {
  override readonly name = 'CacheLockError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('environment', message, options);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock; returns the function that releases it. */
export function acquireCacheLock(cacheDir: string): () => void {
  fs.mkdirSync(cacheDir, { recursive: true });
  const lockPath = path.join(cacheDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new CacheLockError(`another imgbuild (pid ${owner}) is building with ${cacheDir}; wait for it to finish`);
      }
      fs.rmSync(lockPath, { force: true }); // left by a process that no longer exists
    }
  }
  throw new CacheLockError(`could not lock ${cacheDir}`);
}
