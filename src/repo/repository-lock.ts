// A lease on part of a repository, so two publishers cannot interleave the uploads of one data set (or two
// root indexes). The lock is an object created only if absent (O_EXCL locally, If-None-Match: * on Azure and
// S3), holding its owner and an expiry; a lock past its expiry was left by a publisher that died and is broken.
import { ImgbuildError } from '../errors.js';
import crypto from 'node:crypto';
import os from 'node:os';
import type { Repository } from './repository.js';

export class RepositoryLockError extends ImgbuildError {
  override readonly name = 'RepositoryLockError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('environment', message, options);
  }
}

interface LockBody {
  owner: string;
  expires: string;
}

export interface LockOptions {
  /** How long the lease lasts; the holder must finish (or renew) within it. */
  readonly ttlMs?: number;
  /** How long to wait for a live lock held by someone else before giving up. */
  readonly waitMs?: number;
}

export async function withRepositoryLock<T>(repository: Repository, path: string, what: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const ttl = options.ttlMs ?? 15 * 60_000;
  const deadline = Date.now() + (options.waitMs ?? 0);
  const owner = `${os.hostname()}:${process.pid}:${crypto.randomUUID()}`;
  for (let attempt = 0; ; attempt++) {
    const body: LockBody = { owner, expires: new Date(Date.now() + ttl).toISOString() };
    if (await repository.createExclusive(path, Buffer.from(JSON.stringify(body)))) break;
    const held = await repository.get(path);
    let current: LockBody | undefined;
    try {
      current = held ? (JSON.parse(held.toString('utf8')) as LockBody) : undefined;
    } catch {
      current = undefined;
    }
    if (current === undefined || Date.parse(current.expires) < Date.now()) {
      await repository.delete(path); // expired, unreadable or gone: take it over on the next attempt
      continue;
    }
    if (Date.now() >= deadline) {
      throw new RepositoryLockError(`another publisher (${current.owner}) is ${what} until ${current.expires}; try again when it has finished`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, 50 * 2 ** Math.min(attempt, 4))));
  }
  try {
    return await work();
  } finally {
    await repository.delete(path).catch(() => undefined);
  }
}
