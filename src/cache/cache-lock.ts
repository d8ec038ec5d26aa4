// One build at a time per cache folder: two runs interleaving their records and staging folders could
// record outputs the other one replaced. Acquisition is atomic: the complete lock (pid, host, start time,
// since when) is written to a temporary file and hard-linked to `lock` — link() fails with EEXIST if a lock
// exists, so no racer ever sees an empty or half-written lock. A lock whose process is gone (killed with -9,
// or its pid reused by another process) is moved aside with an atomic rename and the link is tried again;
// a lock is never removed without having been verified as dead (or as our own, on release).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ImgbuildError } from '../errors.js';
import { isDead, type ProcessOwner, thisProcess } from '../process-owner.js';

export class CacheLockError extends ImgbuildError {
  override readonly name = 'CacheLockError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('environment', message, options);
  }
}

interface CacheLockBody extends ProcessOwner {
  readonly since: string;
}

function readLock(lockPath: string): { body: CacheLockBody | undefined; ino: number } | undefined {
  try {
    const fd = fs.openSync(lockPath, 'r');
    try {
      const ino = fs.fstatSync(fd).ino;
      const text = fs.readFileSync(fd, 'utf8');
      try {
        const parsed = JSON.parse(text) as CacheLockBody | number;
        // An older imgbuild wrote the bare pid.
        const body = typeof parsed === 'number' ? { host: thisProcess().host, pid: parsed, started: null, since: '?' } : parsed;
        return { body, ino };
      } catch {
        return { body: undefined, ino };
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Take the lock; returns the function that releases it. */
export function acquireCacheLock(cacheDir: string): () => void {
  fs.mkdirSync(cacheDir, { recursive: true });
  const lockPath = path.join(cacheDir, 'lock');
  const me: CacheLockBody = { ...thisProcess(), since: new Date().toISOString() };
  const temporary = `${lockPath}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(temporary, lockPath);
        const ino = fs.statSync(temporary).ino;
        return () => {
          // Release only our own lock: the file at `lock` must still be the one we linked.
          if (readLock(lockPath)?.ino === ino) fs.rmSync(lockPath, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = readLock(lockPath);
      if (held === undefined) continue; // released meanwhile
      const owner = held.body;
      if (owner !== undefined && !isDead(owner)) {
        throw new CacheLockError(
          `another imgbuild (pid ${owner.pid} on ${owner.host}, since ${owner.since}) is building with ${cacheDir}; wait for it to finish` +
            (owner.host !== me.host ? ` (if that host is gone, delete ${lockPath})` : ''),
        );
      }
      // Dead (or unreadable, which a complete link never is): move exactly that file aside.
      const aside = `${lockPath}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
      try {
        fs.renameSync(lockPath, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      if (fs.statSync(aside).ino !== held.ino) {
        // Between our look and the rename another process replaced the dead lock with its live one: put it back.
        try {
          fs.linkSync(aside, lockPath);
        } catch {
          /* a third process got in; it holds the lock now */
        }
      }
      fs.rmSync(aside, { force: true });
    }
    throw new CacheLockError(`could not lock ${cacheDir}: other imgbuild processes keep taking it; try again`);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}
