// Foreign vs ours: only a data set with an index.wtml and none of imgbuild's traces counts as toasty-made, so a
// publish killed between index.wtml and its manifest is resumed, never skipped forever. And the temporary files
// a killed run left in a local repository are removed by the next publish (a live writer's are kept).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repositorySkip } from '../rules/repository-skips.js';
import type { CheckContext } from '../src/graph/rule.js';
import { LocalRepository } from '../src/repo/local-repository.js';
import { publishDataSet } from '../src/repo/publish-data-set.js';

function withDir(body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-traces-'));
    try {
      await body(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'index.wtml alone is toasty-made; with any trace of ours (manifest, progress record, lock, temporary file) it is not',
  withDir(async (dir) => {
    const repo = new LocalRepository(path.join(dir, 'repo'));
    const ctx = { repository: repo, item: 'a' } as unknown as CheckContext;
    await repo.put('a/index.wtml', Buffer.from('<Folder/>'), { contentType: 'text/xml' });
    assert.match((await repositorySkip(ctx)) ?? '', /already published by another tool/);
    for (const trace of ['imgbuild.json', 'imgbuild.partial.json', '.imgbuild-lock', 'index_rel.wtml.imgbuild-4242-7.tmp']) {
      fs.writeFileSync(path.join(dir, 'repo', 'a', trace), '{}');
      assert.is(await repositorySkip(ctx), undefined, `${trace} marks the data set as ours`);
      fs.rmSync(path.join(dir, 'repo', 'a', trace));
    }
  }),
);

test(
  "a killed run's temporary files are removed by the next publish; a live writer's are kept",
  withDir(async (dir) => {
    const repo = new LocalRepository(path.join(dir, 'repo'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const live = process.ppid; // the test runner's parent: alive while we run
    const leftovers = [`a/1/0/0_0.png.imgbuild-${dead}-3.tmp`, `a/index.wtml.imgbuild-${dead}-9.tmp`];
    const kept = `a/0/0/0_0.png.imgbuild-${live}-1.tmp`;
    for (const f of [...leftovers, kept]) {
      fs.mkdirSync(path.dirname(path.join(dir, 'repo', f)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'repo', f), 'half');
    }
    const source = path.join(dir, 'tile.png');
    fs.writeFileSync(source, 'tile');
    const sha256 = crypto.createHash('sha256').update('tile').digest('hex');
    await publishDataSet(repo, 'a', 'k', [{ path: '0/0/0_0.png', source, size: 4, sha256 }]);
    for (const f of leftovers) assert.not.ok(fs.existsSync(path.join(dir, 'repo', f)), `${f} removed`);
    assert.ok(fs.existsSync(path.join(dir, 'repo', kept)), 'a live process keeps its temporary file');
    assert.not.ok(fs.existsSync(path.join(dir, 'repo', 'a', '1')), 'and the emptied folder goes too');
  }),
);

test.run();
