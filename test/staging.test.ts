// Staged outputs replace old ones without leaving anything beside them, even when a folder output is swapped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeOutput } from '../src/graph/build-graph.js';
import { clearStaging, commitStaging, createStaging, describeStagedOutputs } from '../src/run/staging.js';
import { listFiles } from './helpers/project.js';

test('a folder output is swapped whole: old files gone, new ones in place, nothing beside it', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-staging-'));
  const outputs: NodeOutput[] = [
    { name: 'tiles', path: path.join(work, 'm31', 'tiles'), relative: 'm31/tiles', folder: true },
    { name: 'thumb', path: path.join(work, 'm31', 'thumb.jpg'), relative: 'm31/thumb.jpg', folder: false },
  ];
  fs.mkdirSync(path.join(work, 'm31', 'tiles', '0', '0'), { recursive: true });
  fs.writeFileSync(path.join(work, 'm31', 'tiles', '0', '0', 'old.png'), 'old');
  fs.writeFileSync(path.join(work, 'm31', 'thumb.jpg'), 'old thumb');

  const staging = createStaging(work, 'tiles:m31', outputs);
  fs.mkdirSync(path.join(staging.paths['tiles']!, '1', '0'), { recursive: true });
  fs.writeFileSync(path.join(staging.paths['tiles']!, '1', '0', '0_0.png'), 'new');
  fs.writeFileSync(staging.paths['thumb']!, 'new thumb');
  const records = describeStagedOutputs(staging, outputs);
  assert.equal(records.map((r) => [r[0], r[1], r[2]]), [['tiles', '1/0/0_0.png', 3], ['thumb', '', 9]]);
  commitStaging(staging, outputs);

  assert.equal(listFiles(work), ['m31/thumb.jpg', 'm31/tiles/1/0/0_0.png']);
  assert.is(fs.readFileSync(path.join(work, 'm31', 'thumb.jpg'), 'utf8'), 'new thumb');
  assert.equal(fs.readdirSync(path.join(work, 'm31')).sort(), ['thumb.jpg', 'tiles']);
  clearStaging(work);
  assert.not.ok(fs.existsSync(path.join(work, '.staging')));
  fs.rmSync(work, { recursive: true });
});

test('a swap that fails half-way (as a crash would) leaves nothing that the next run does not clear', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-staging-'));
  const outputs: NodeOutput[] = [{ name: 'tiles', path: path.join(work, 'm31', 'tiles'), relative: 'm31/tiles', folder: true }];
  fs.mkdirSync(path.join(work, 'm31', 'tiles'), { recursive: true });
  fs.writeFileSync(path.join(work, 'm31', 'tiles', 'old.png'), 'old');
  const staging = createStaging(work, 'tiles:m31', outputs);
  // The staged folder vanishes between the two renames of the swap: the second one fails.
  fs.rmSync(staging.paths['tiles']!, { recursive: true });
  assert.throws(() => commitStaging(staging, outputs));
  clearStaging(work); // what the next run does first
  assert.equal(listFiles(work), [], 'no tiles.old-* beside the output');
  assert.equal(fs.readdirSync(path.join(work, 'm31')), []);
  fs.rmSync(work, { recursive: true });
});

test('a rule that did not write an output, or wrote a file for a folder, is told so', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-staging-'));
  const outputs: NodeOutput[] = [{ name: 'tiles', path: path.join(work, 'a', 'tiles'), relative: 'a/tiles', folder: true }];
  const staging = createStaging(work, 'tiles:a', outputs);
  fs.rmSync(staging.paths['tiles']!, { recursive: true });
  assert.throws(() => describeStagedOutputs(staging, outputs), /did not write its output tiles \(a\/tiles\)/);
  fs.writeFileSync(staging.paths['tiles']!, 'a file');
  assert.throws(() => describeStagedOutputs(staging, outputs), /should be a folder/);
  fs.rmSync(work, { recursive: true });
});

test.run();
