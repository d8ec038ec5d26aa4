// Two publishers of one data set at the same moment, in one process so that their uploads really overlap
// (each upload takes a few milliseconds): the data set lock makes one wait, so the result is one whole version
// that matches its manifest byte for byte, never a mixture of the two.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readManifest } from '../src/repo/data-set-manifest.js';
import { LocalRepository } from '../src/repo/local-repository.js';
import { type FileToPublish, publishDataSet } from '../src/repo/publish-data-set.js';
import type { PutOptions } from '../src/repo/repository.js';

/** A local folder whose uploads take a little while, as a remote one's do. */
class SlowRepository extends LocalRepository {
  override async putFile(relative: string, file: string, options: PutOptions): Promise<void> {
    await new Promise((r) => setTimeout(r, 1 + Math.random() * 4));
    await super.putFile(relative, file, options);
  }
}

function version(dir: string, name: string): FileToPublish[] {
  const files: FileToPublish[] = [];
  for (let i = 0; i < 40; i++) {
    const p = `2/${i % 4}/${i % 4}_${Math.floor(i / 4)}.png`;
    const content = `${name} tile ${i}`;
    const source = path.join(dir, name, `${i}.png`);
    fs.mkdirSync(path.dirname(source), { recursive: true });
    fs.writeFileSync(source, content);
    files.push({ path: p, source, size: content.length, sha256: crypto.createHash('sha256').update(content).digest('hex') });
  }
  return files;
}

test('two publishers of one data set at once: the result is one whole version, matching its manifest', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-publock-'));
  try {
    const repo = new SlowRepository(path.join(dir, 'repo'));
    for (let trial = 0; trial < 5; trial++) {
      const id = `d${trial}`;
      await Promise.all([publishDataSet(repo, id, 'A', version(dir, `A${trial}`)), publishDataSet(repo, id, 'B', version(dir, `B${trial}`))]);
      const manifest = await readManifest(repo, id);
      assert.ok(manifest);
      for (const f of manifest.files) {
        const bytes = (await repo.get(`${id}/${f.path}`))!;
        assert.is(crypto.createHash('sha256').update(bytes).digest('hex'), f.sha256, `trial ${trial}: ${f.path} is of version ${manifest.key}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
