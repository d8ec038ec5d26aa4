// The hash memo's racy-clean rule (src/cache/file-hasher.ts): a file written within the clock's reach of the
// moment it was hashed is hashed again next time, so a same-size rewrite with an unchanged mtime is seen.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileHasher, type FileMemoEntry, sha256 } from '../src/cache/file-hasher.js';
import { withProject } from './helpers/rig.js';

test('a same-size rewrite in the same mtime tick is hashed again (racy-clean)', () =>
  withProject('imgbuild-memo-', (p) => {
    const file = p.path('a.txt');
    p.write('a.txt', 'alpha');
    // A whole-second mtime (now), so that putting it back after the rewrite is exact.
    const tick = Math.floor(Date.now() / 1000);
    fs.utimesSync(file, tick, tick);
    const memo: Record<string, FileMemoEntry> = {};
    assert.is(new FileHasher(memo).hash(file), sha256('alpha'));
    // Same size, same inode, and the mtime put back: only the racy mark can tell the memo to look again.
    fs.writeFileSync(file, 'omega');
    fs.utimesSync(file, tick, tick);
    const stat = fs.statSync(file);
    assert.equal([stat.size, stat.mtimeMs, stat.ino], [memo[file]![0], memo[file]![1], memo[file]![2]], 'the stat really is identical');
    const again = new FileHasher(memo);
    assert.is(again.hash(file), sha256('omega'));
    assert.is(again.hashedFiles, 1);
  }));

test('a file outside the racy window is answered from the memo without reading it', () =>
  withProject('imgbuild-memo-', (p) => {
    const file = p.path('a.txt');
    p.write('a.txt', 'alpha');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const memo: Record<string, FileMemoEntry> = {};
    new FileHasher(memo).hash(file);
    assert.is(memo[file]![4], 0, 'not racy');
    const again = new FileHasher(memo);
    assert.is(again.hash(file), sha256('alpha'));
    assert.is(again.hashedFiles, 0);
  }));

test.run();
