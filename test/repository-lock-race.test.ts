// Conditional delete on a local folder is a true compare-and-swap: a deleteIfMatch whose version is stale must
// never take the current file away, not even for a moment — otherwise a racing createExclusive gets in and two
// publishers hold one lock (found by attacking the lock with racing processes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalRepository } from '../src/repo/local-repository.js';

test('a stale deleteIfMatch never lets a second exclusive create in', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-cas-'));
  try {
    const lock = 'a/.imgbuild-lock';
    let doubleHolders = 0;
    for (let round = 0; round < 300; round++) {
      // Separate instances, as separate processes would have.
      const [a, b, c, d] = [0, 1, 2, 3].map(() => new LocalRepository(dir));
      await a!.put(lock, Buffer.from(`old-${round}`), { contentType: 'application/json' });
      const old = (await a!.getVersioned(lock))!.etag;
      // A removes the old lock (legitimately); B and D race to create a new one; C tries the same stale removal.
      const [, created1, , created2] = await Promise.all([
        a!.deleteIfMatch(lock, old),
        (async () => { for (let i = 0; i < 50; i++) { if (await b!.createExclusive(lock, Buffer.from('B'))) return true; } return false; })(),
        (async () => { for (let i = 0; i < 50; i++) await c!.deleteIfMatch(lock, old); })(),
        (async () => { for (let i = 0; i < 50; i++) { if (await d!.createExclusive(lock, Buffer.from('D'))) return true; } return false; })(),
      ]);
      if (created1 && created2) doubleHolders++;
      await a!.delete(lock);
    }
    assert.is(doubleHolders, 0, `in ${doubleHolders} of 300 rounds two creators both got the lock`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
