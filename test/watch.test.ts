// The watcher, for real: chokidar on temporary folders, one build session, text rules. Files are taken once
// complete, bursts become one batch, failures are told once and retried on change, the environment's failures
// are retried with backoff, deletions keep what was published, and a restart redoes nothing.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WatchRig } from './helpers/watch-rig.js';

test('a single file is built in its own batch; a restarted watcher redoes nothing', async () => {
  const rig = new WatchRig();
  try {
    fs.writeFileSync(rig.file('a.txt'), 'alpha');
    await rig.start();
    assert.is(rig.counters.copies.get('a'), 1, 'the first pass builds what is there');
    fs.writeFileSync(rig.file('b.txt'), 'beta');
    const [batch] = await rig.batchesAfter(1);
    assert.equal([batch!.cause, batch!.files, batch!.ran, batch!.failed], ['changes', 1, 2, 0]);
    assert.is(fs.readFileSync(rig.work('b.out'), 'utf8'), 'BETA');
    await rig.stop();
    await rig.start();
    assert.equal(rig.batches()[0]!.ran, 0, 'nothing redone after a restart');
    assert.is(rig.counters.copies.get('b'), 1);
  } finally {
    await rig.remove();
  }
});

test('1,000 files dropped at once are one batch with one index run', async () => {
  const rig = new WatchRig();
  try {
    await rig.start({ quietMs: 800, maxWaitMs: 10_000 });
    const indexBefore = rig.counters.indexRuns;
    for (let i = 0; i < 1000; i++) fs.writeFileSync(rig.file(`f${i}.txt`), `file ${i}`);
    const batches = await rig.batchesAfter(1, 1, 60_000);
    // Give a straggler a chance to show up as a second batch before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.is(rig.batches().length, 2, `one batch for the burst: ${JSON.stringify(rig.batches())}`);
    assert.equal([batches[0]!.files, batches[0]!.ran], [1000, 1001]);
    assert.is(rig.counters.indexRuns - indexBefore, 1, 'one reindex for the whole burst');
    assert.is(fs.readFileSync(rig.work('index.txt'), 'utf8').split('\n').length, 1000);
  } finally {
    await rig.remove();
  }
});

test('an atomic save (temp file, then rename) is one change; .part/.crdownload/dot-files are ignored until renamed', async () => {
  const rig = new WatchRig();
  try {
    await rig.start();
    fs.writeFileSync(rig.file('.hidden.txt'), 'hidden');
    fs.writeFileSync(rig.file('big.txt.part'), 'downloading');
    fs.writeFileSync(rig.file('web.txt.crdownload'), 'downloading');
    fs.writeFileSync(rig.file('saved.txt.tmp'), 'saved atomically');
    fs.renameSync(rig.file('saved.txt.tmp'), rig.file('saved.txt'));
    const [batch] = await rig.batchesAfter(1);
    assert.equal([batch!.files, batch!.ran], [1, 2], 'one file changed, its copy and the index ran');
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.is(rig.batches().length, 2, 'nothing else was taken');
    assert.equal([...rig.counters.copies.keys()], ['saved']);
    fs.renameSync(rig.file('big.txt.part'), rig.file('big.txt'));
    await rig.batchesAfter(2);
    assert.is(fs.readFileSync(rig.work('big.out'), 'utf8'), 'DOWNLOADING');
  } finally {
    await rig.remove();
  }
});

test('a file still being written is taken once, complete, after it stops growing', async () => {
  const rig = new WatchRig();
  try {
    await rig.start({ quietMs: 400 });
    const fd = fs.openSync(rig.file('growing.txt'), 'w');
    let expected = '';
    for (let i = 0; i < 12; i++) {
      const chunk = `chunk ${i};`;
      fs.writeSync(fd, chunk);
      expected += chunk;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    fs.closeSync(fd);
    const [batch] = await rig.batchesAfter(1);
    assert.is(batch!.ran, 2);
    assert.is(rig.counters.copies.get('growing'), 1, 'built once, not once per write');
    assert.is(fs.readFileSync(rig.work('growing.out'), 'utf8'), expected.toUpperCase(), 'from the whole file');
  } finally {
    await rig.remove();
  }
});

test('a deletion is noticed, what was built stays, and the index is not rebuilt for nothing', async () => {
  const rig = new WatchRig();
  try {
    fs.writeFileSync(rig.file('keep.txt'), 'keep');
    fs.writeFileSync(rig.file('gone.txt'), 'gone');
    await rig.start();
    const indexRuns = rig.counters.indexRuns;
    fs.rmSync(rig.file('gone.txt'));
    await rig.until(() => rig.events.some((e) => e.type === 'removed'), 10_000, 'the removal');
    const removed = rig.events.find((e) => e.type === 'removed');
    assert.equal(removed, { type: 'removed', files: [rig.file('gone.txt')] });
    const [batch] = await rig.batchesAfter(1);
    assert.equal([batch!.ran, batch!.failed], [0, 0]);
    assert.is(rig.counters.indexRuns, indexRuns, 'the index was not rebuilt');
    assert.ok(fs.existsSync(rig.work('gone.out')), 'its output stays');
  } finally {
    await rig.remove();
  }
});

test('a corrupt file amid good ones is told once, held while unchanged, and built once fixed', async () => {
  const rig = new WatchRig();
  try {
    await rig.start();
    fs.writeFileSync(rig.file('good1.txt'), 'good');
    fs.writeFileSync(rig.file('bad.txt'), 'corrupt bytes');
    fs.writeFileSync(rig.file('good2.txt'), 'good');
    const [first] = await rig.batchesAfter(1);
    assert.equal([first!.ran, first!.failed], [3, 1], 'both good files and the index ran; the bad one failed');
    fs.writeFileSync(rig.file('good3.txt'), 'good');
    const [second] = await rig.batchesAfter(2);
    assert.equal([second!.ran, second!.failed, second!.held], [2, 0, 1], 'the bad file is not tried again while unchanged');
    assert.is(rig.counters.copies.get('bad'), 1);
    assert.is(rig.buildEvents.filter((e) => e.type === 'node-failed').length, 1, 'told once');
    fs.writeFileSync(rig.file('bad.txt'), 'now fine');
    const [third] = await rig.batchesAfter(3);
    assert.equal([third!.ran, third!.failed, third!.held], [2, 0, 0]);
    assert.is(fs.readFileSync(rig.work('bad.out'), 'utf8'), 'NOW FINE');
  } finally {
    await rig.remove();
  }
});

test('a repository that goes away is retried with backoff until it answers', async () => {
  const rig = new WatchRig();
  try {
    await rig.start();
    rig.counters.environmentDown = true;
    fs.writeFileSync(rig.file('x.txt'), 'x');
    await rig.until(() => rig.events.filter((e) => e.type === 'retry-later').length >= 2, 15_000, 'two retries');
    const delays = rig.events.flatMap((e) => (e.type === 'retry-later' ? [e.inMs] : []));
    assert.ok(delays[1]! > delays[0]!, `backoff grows: ${delays.join(', ')}`);
    rig.counters.environmentDown = false;
    await rig.until(() => fs.existsSync(rig.work('x.out')), 15_000, 'the retry that succeeds');
    const last = rig.batches().at(-1)!;
    assert.equal([last.cause, last.failed], ['retry', 0]);
  } finally {
    await rig.remove();
  }
});

test('stopping in the middle of a batch lets running nodes finish and leaves no partial output', async () => {
  const rig = new WatchRig();
  try {
    await rig.start();
    rig.counters.copyMs = 300;
    for (let i = 0; i < 8; i++) fs.writeFileSync(rig.file(`s${i}.txt`), `slow ${i}`);
    await rig.until(() => rig.buildEvents.some((e) => e.type === 'node-start' && e.node.rule === 'copy'), 10_000, 'the batch to start');
    await rig.stop();
    const done = rig.buildEvents.filter((e) => e.type === 'node-done' && e.node.rule === 'copy').map((e) => (e as { node: { item: string } }).node.item);
    assert.ok(done.length >= 1 && done.length < 8, `some, not all, finished: ${done.length}`);
    for (let i = 0; i < 8; i++) {
      const out = rig.work(`s${i}.out`);
      if (done.includes(`s${i}`)) assert.is(fs.readFileSync(out, 'utf8'), `SLOW ${i}`);
      else assert.not.ok(fs.existsSync(out), `no partial output for s${i}`);
    }
    const staging = rig.work('.staging');
    assert.ok(!fs.existsSync(staging) || fs.readdirSync(staging).length === 0, 'no staging left');
    // The next watcher finishes the rest and nothing more.
    rig.counters.copyMs = 0;
    const before = new Map(rig.counters.copies);
    await rig.start();
    for (const item of done) assert.is(rig.counters.copies.get(item), before.get(item), `${item} not redone`);
    for (let i = 0; i < 8; i++) assert.ok(fs.existsSync(rig.work(`s${i}.out`)));
  } finally {
    await rig.remove();
  }
});

test('a file no rule takes is told once, not in every batch', async () => {
  const rig = new WatchRig();
  try {
    await rig.start();
    fs.writeFileSync(rig.file('notes.doc'), 'not an input');
    await rig.batchesAfter(1);
    const toldNow = (): number => rig.buildEvents.filter((e) => e.type === 'node-log' && e.level === 'warn' && e.message.includes('notes.doc')).length;
    assert.is(toldNow(), 1, 'told in the batch it arrived in');
    fs.writeFileSync(rig.file('a.txt'), 'a');
    await rig.batchesAfter(2);
    const told = rig.buildEvents.filter((e) => e.type === 'node-log' && e.level === 'warn' && e.message.includes('notes.doc'));
    assert.is(told.length, 1, 'told once');
    assert.match((told[0] as { message: string }).message, 'no rule takes');
  } finally {
    await rig.remove();
  }
});

test.run();
