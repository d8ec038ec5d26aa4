// A lease on part of a repository, so two publishers cannot interleave the uploads of one data set (or two
// root indexes). The lock is an object created only if absent (O_EXCL locally, If-None-Match: * on Azure and
// S3) holding its owner (host, pid, process start time), a lease id and an expiry. The holder renews the lease
// while it works (a timer, conditional on the lease's version). Another publisher takes a lock over only if its
// holder is certainly dead (same host, pid gone, a zombie, or the pid reused) or its lease expired, and then only
// if it is still the same lease (a delete conditional on its version): two racers cannot both take it over.
// Release deletes only our own lease.
import crypto from 'node:crypto';
import { ImgbuildError } from '../errors.js';
import { isDead, type ProcessOwner, thisProcess } from '../process-owner.js';
import type { Repository } from './repository.js';

export class RepositoryLockError extends ImgbuildError {
  override readonly name = 'RepositoryLockError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('environment', message, options);
  }
}

export interface LockBody extends ProcessOwner {
  readonly lease: string;
  readonly expires: string;
}

export interface LockOptions {
  /** How long the lease lasts without renewal; the holder renews it every third of this while working. */
  readonly ttlMs?: number;
  /** How long to wait for a live lock held by someone else before giving up. */
  readonly waitMs?: number;
}

function parse(bytes: Buffer): LockBody | undefined {
  try {
    const body = JSON.parse(bytes.toString('utf8')) as Partial<LockBody>;
    return typeof body.expires === 'string' ? (body as LockBody) : undefined;
  } catch {
    return undefined;
  }
}

export async function withRepositoryLock<T>(repository: Repository, path: string, what: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const ttl = options.ttlMs ?? 15 * 60_000;
  const deadline = Date.now() + (options.waitMs ?? 0);
  const lease = crypto.randomUUID();
  const bodyOf = (): Buffer => Buffer.from(JSON.stringify({ ...thisProcess(), lease, expires: new Date(Date.now() + ttl).toISOString() } satisfies LockBody));
  let etag: string | undefined;
  for (let attempt = 0; etag === undefined; attempt++) {
    const body = bodyOf();
    if (await repository.createExclusive(path, body)) {
      const stored = await repository.getVersioned(path);
      if (stored?.body.equals(body)) {
        etag = stored.etag;
        break;
      }
      continue;
    }
    const held = await repository.getVersioned(path);
    if (held === undefined) continue; // released meanwhile
    const current = parse(held.body);
    if (current === undefined || Date.parse(current.expires) < Date.now() || (current.host !== undefined && isDead(current))) {
      // Expired, unreadable, or its holder is dead: take it over only if it is still that same lease.
      await repository.deleteIfMatch(path, held.etag);
      continue;
    }
    if (Date.now() >= deadline || attempt > 10_000) {
      const who = current.pid !== undefined ? `pid ${current.pid} on ${current.host}` : 'another process';
      throw new RepositoryLockError(`another publisher (${who}) is ${what} in ${repository.description} until ${current.expires}; try again when it has finished`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, 50 * 2 ** Math.min(attempt, 4))));
  }
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(async () => {
      if (etag === undefined) return;
      // Conditional on our version: a lease someone took over (after it expired) is not silently re-taken.
      etag = await repository.putIfMatch(path, bodyOf(), etag).catch(() => etag);
    });
  }, Math.max(1000, ttl / 3));
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await renewing.catch(() => undefined);
    if (etag !== undefined) await repository.deleteIfMatch(path, etag).catch(() => undefined);
  }
}
