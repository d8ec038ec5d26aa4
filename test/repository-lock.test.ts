// Repository locks tell the truth: a holder on this host whose process is gone is taken over at once, a live
// holder is refused (the message names it), an expired lease is taken over, and a release deletes only its own
// lease. On a local folder; the conditional operations the lock relies on are in the contract suite.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { processStartTime } from '../src/process-owner.js';
import { LocalRepository } from '../src/repo/local-repository.js';
import { withRepositoryLock } from '../src/repo/repository-lock.js';

const future = (): string => new Date(Date.now() + 3_600_000).toISOString();

function withRepo(body: (repo: LocalRepository, dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-rlock-'));
    try {
      await body(new LocalRepository(dir), dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'a lock whose holder on this host is dead is taken over at once, not after its expiry',
  withRepo(async (repo) => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await repo.put('.imgbuild-index-lock', Buffer.from(JSON.stringify({ host: os.hostname(), pid: dead, started: 1, lease: 'x', expires: future() })), { contentType: 'application/json' });
    const started = Date.now();
    const result = await withRepositoryLock(repo, '.imgbuild-index-lock', 'rebuilding the root index', async () => 'ran', { waitMs: 0 });
    assert.is(result, 'ran');
    assert.ok(Date.now() - started < 5000);
    assert.is(await repo.get('.imgbuild-index-lock'), undefined, 'released');
  }),
);

test(
  'a live holder is refused, and the refusal names it; an expired lease is taken over',
  withRepo(async (repo) => {
    const live = Buffer.from(JSON.stringify({ host: os.hostname(), pid: process.pid, started: processStartTime(process.pid), lease: 'live', expires: future() }));
    await repo.put('a/.imgbuild-lock', live, { contentType: 'application/json' });
    let ran = false;
    try {
      await withRepositoryLock(repo, 'a/.imgbuild-lock', 'publishing a', async () => (ran = true), { waitMs: 200 });
      assert.unreachable('must refuse');
    } catch (error) {
      assert.match((error as Error).message, new RegExp(`another publisher \\(pid ${process.pid} on ${os.hostname()}\\) is publishing a in local folder`));
    }
    assert.not.ok(ran);
    assert.ok((await repo.get('a/.imgbuild-lock'))!.equals(live), 'the holder keeps its lock');
    const expired = Buffer.from(JSON.stringify({ host: 'elsewhere', pid: 1, started: 1, lease: 'old', expires: new Date(Date.now() - 1000).toISOString() }));
    await repo.put('a/.imgbuild-lock', expired, { contentType: 'application/json' });
    assert.is(await withRepositoryLock(repo, 'a/.imgbuild-lock', 'publishing a', async () => 'took over'), 'took over');
  }),
);

test(
  'a release deletes only its own lease; the lease is renewed while working',
  withRepo(async (repo) => {
    let seen: { expires: string; lease: string } | undefined;
    await withRepositoryLock(
      repo,
      'b/.imgbuild-lock',
      'publishing b',
      async () => {
        const first = JSON.parse((await repo.get('b/.imgbuild-lock'))!.toString()) as { expires: string; lease: string };
        await new Promise((r) => setTimeout(r, 2500));
        seen = JSON.parse((await repo.get('b/.imgbuild-lock'))!.toString()) as { expires: string; lease: string };
        assert.is(seen.lease, first.lease);
        assert.ok(seen.expires > first.expires, 'renewed');
        // Someone took the lock over meanwhile (say our lease had expired): our release must leave theirs alone.
        await repo.put('b/.imgbuild-lock', Buffer.from('{"lease":"theirs","expires":"2999-01-01T00:00:00Z"}'), { contentType: 'application/json' });
      },
      { ttlMs: 3000 },
    );
    assert.is((await repo.get('b/.imgbuild-lock'))?.toString(), '{"lease":"theirs","expires":"2999-01-01T00:00:00Z"}');
  }),
);

test.run();
