// A no-op build stats files and reads no bytes; crash-time records survive through the journal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BuildState } from '../src/cache/build-state.js';
import { defineRule } from '../src/graph/rule.js';
import { build } from '../src/run/build.js';
import type { NodeKey } from '../src/cache/node-key.js';

const copy = defineRule({
  name: 'copy',
  version: 1,
  forEach: { files: '{id}.txt' },
  inputs: (n) => ({ text: n.file! }),
  outputs: (n) => ({ out: `${n.item}.out` }),
  run: (ctx) => fs.copyFileSync(ctx.inputs['text']!, ctx.outputs['out']!),
});

test('a no-op build hashes no input file; a touched file is hashed once and reruns nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-noop-'));
  fs.mkdirSync(path.join(dir, 'incoming'));
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, 'incoming', `f${i}.txt`), `file ${i}`);
  // Give the files an mtime outside the racy window, as files that arrived a while ago have.
  const old = new Date(Date.now() - 60_000);
  for (let i = 0; i < 50; i++) fs.utimesSync(path.join(dir, 'incoming', `f${i}.txt`), old, old);
  const request = { config: { rules: [copy] }, projectDir: dir, cwd: dir, defaultRules: [], targets: ['all'] };
  const first = await build(request);
  assert.is(first.summary.ran.length, 50);
  assert.is(first.hashedFiles, 50);
  const second = await build(request);
  assert.is(second.summary.ran.length, 0);
  assert.is(second.hashedFiles, 0, 'no bytes read on a no-op');
  fs.utimesSync(path.join(dir, 'incoming', 'f7.txt'), new Date(Date.now() - 30_000), new Date(Date.now() - 30_000));
  const third = await build(request);
  assert.is(third.hashedFiles, 1);
  assert.is(third.summary.ran.length, 0);
  fs.rmSync(dir, { recursive: true });
});

test('records written during a run survive a crash before the state is saved', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-journal-'));
  const state = BuildState.load(dir);
  const record = { key: 'k1' as NodeKey, parts: { version: '1', params: '{}', tools: '{}', inputs: {}, upstream: '' }, outputs: [], builtAt: 'now' };
  state.record('copy:a', record);
  // No save(): as if the process died here.
  const reloaded = BuildState.load(dir);
  assert.equal(reloaded.get('copy:a'), { key: record.key, builtAt: record.builtAt, outputs: record.outputs });
  assert.equal(reloaded.partsOf('copy:a'), record.parts);
  // A torn last line (the crash hit mid-write) is ignored, the rest kept.
  fs.appendFileSync(path.join(dir, 'journal.jsonl'), '{"node":"copy:b","rec');
  assert.ok(BuildState.load(dir).get('copy:a'));
  reloaded.save(false);
  assert.not.ok(fs.existsSync(path.join(dir, 'journal.jsonl')), 'folded into state.json');
  assert.ok(BuildState.load(dir).get('copy:a'));
  fs.rmSync(dir, { recursive: true });
});

test.run();
