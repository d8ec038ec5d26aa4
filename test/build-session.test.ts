// A long-lived session replans from what changed: only the nodes a changed file reaches are looked at again,
// new and removed files change the graph, a failure is held until its inputs change, and an aggregate that only
// lost upstream nodes is not rerun when its rule says so.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defineRule, type Rule } from '../src/graph/rule.js';
import { ImgbuildError } from '../src/errors.js';
import { build } from '../src/run/build.js';
import { BuildSession, HELD_REASON } from '../src/run/build-session.js';

/** Copy rules over `{id}.txt` whose `check` counts how often it is asked (the plan's external lookups). */
function rules(counter: { checks: number; indexRuns: number }, options: { keepIndexOnRemoval?: boolean; failOn?: RegExp; environmentFailOn?: { pattern: RegExp; on: boolean } } = {}): Rule[] {
  const copy = defineRule({
    name: 'copy',
    version: 1,
    forEach: { files: '{id}.txt' },
    inputs: (n) => ({ text: n.file! }),
    outputs: (n) => ({ out: `${n.item}.out` }),
    check: () => {
      counter.checks++;
      return undefined;
    },
    run: (ctx) => {
      const text = fs.readFileSync(ctx.inputs['text']!, 'utf8');
      if (options.failOn?.test(text)) throw new ImgbuildError('config', `${ctx.id}: bad content`);
      if (options.environmentFailOn?.on && options.environmentFailOn.pattern.test(text)) throw new ImgbuildError('environment', `${ctx.id}: the repository did not answer`);
      fs.writeFileSync(ctx.outputs['out']!, text.toUpperCase());
    },
  });
  const index = defineRule({
    name: 'index',
    version: 1,
    aggregate: 'copy',
    ...(options.keepIndexOnRemoval ? { unaffectedByRemovedUpstream: true } : {}),
    outputs: () => ({ list: 'index.txt' }),
    run: (ctx) => {
      counter.indexRuns++;
      fs.writeFileSync(ctx.outputs['list']!, ctx.upstream('copy').map((u) => u.item).sort().join('\n'));
    },
  });
  return [copy, index];
}

function project(files: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-session-'));
  fs.mkdirSync(path.join(dir, 'incoming'));
  const old = new Date(Date.now() - 60_000);
  for (let i = 0; i < files; i++) {
    const file = path.join(dir, 'incoming', `f${i}.txt`);
    fs.writeFileSync(file, `file ${i}`);
    fs.utimesSync(file, old, old);
  }
  return dir;
}

const request = (dir: string, ruleSet: Rule[]) => ({ config: { rules: ruleSet }, projectDir: dir, cwd: dir, defaultRules: [], targets: ['all'] });

test('a replan after one rewritten file hashes that file alone and asks no other node again', async () => {
  const dir = project(200);
  const counter = { checks: 0, indexRuns: 0 };
  const session = await BuildSession.open(request(dir, rules(counter)));
  try {
    const first = await session.runOnce();
    assert.is(first.summary.ran.length, 201);
    const changed = path.join(dir, 'incoming', 'f7.txt');
    fs.writeFileSync(changed, 'rewritten');
    counter.checks = 0;
    const second = await session.runOnce({ changed: [changed] });
    assert.equal(second.summary.ran.map((r) => r.id).sort(), ['copy:f7', 'index']);
    assert.is(second.hashedFiles, 1, 'one input read');
    assert.is(second.summary.fresh, 199);
    assert.is(counter.checks, 0, 'no fresh node was checked again (copy:f7 is stale and not checked)');
    assert.is(fs.readFileSync(path.join(dir, 'work', 'f7.out'), 'utf8'), 'REWRITTEN');
    // Nothing changed: nothing runs, nothing is read.
    const third = await session.runOnce({ changed: [] });
    assert.is(third.summary.ran.length, 0);
    assert.is(third.hashedFiles, 0);
  } finally {
    session.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test('a new file adds its nodes, and a full replan (no hints) finds a change made without one', async () => {
  const dir = project(5);
  const counter = { checks: 0, indexRuns: 0 };
  const session = await BuildSession.open(request(dir, rules(counter)));
  try {
    await session.runOnce();
    const added = path.join(dir, 'incoming', 'new.txt');
    fs.writeFileSync(added, 'new');
    const second = await session.runOnce({ changed: [added] });
    assert.equal(second.summary.ran.map((r) => r.id).sort(), ['copy:new', 'index']);
    assert.is(fs.readFileSync(path.join(dir, 'work', 'index.txt'), 'utf8').split('\n').length, 6);
    // Changed behind the session's back (no hint): a replan with no hints looks at everything.
    const silent = path.join(dir, 'incoming', 'f2.txt');
    fs.writeFileSync(silent, 'silently changed, longer');
    assert.is((await session.runOnce({ changed: [] })).summary.ran.length, 0, 'hints are trusted');
    assert.equal((await session.runOnce()).summary.ran.map((r) => r.id).sort(), ['copy:f2', 'index']);
  } finally {
    session.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test('a removed input drops its nodes; an aggregate that only lost upstream nodes is re-keyed, not rerun, when its rule says so', async () => {
  for (const keep of [true, false]) {
    const dir = project(4);
    const counter = { checks: 0, indexRuns: 0 };
    const ruleSet = rules(counter, { keepIndexOnRemoval: keep });
    const session = await BuildSession.open(request(dir, ruleSet));
    try {
      await session.runOnce();
      assert.is(counter.indexRuns, 1);
      const removed = path.join(dir, 'incoming', 'f1.txt');
      fs.rmSync(removed);
      const after = await session.runOnce({ changed: [removed] });
      assert.is(after.summary.failed.length, 0);
      assert.is(counter.indexRuns, keep ? 1 : 2, keep ? 'not rebuilt for nothing' : 'a rule that did not say so reruns');
      assert.is(after.summary.fresh, keep ? 4 : 3, 'three copies remain (and the index, when kept)');
    } finally {
      session.close();
    }
    try {
      // The re-keyed record is true for a one-shot build too: nothing to do.
      const again = await build(request(dir, ruleSet));
      assert.is(again.summary.ran.length, 0);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  }
});

test('a node that failed on its inputs is held until they change; a failure of the environment is retried', async () => {
  const dir = project(3);
  const counter = { checks: 0, indexRuns: 0 };
  const environment = { pattern: /flaky/, on: true };
  const session = await BuildSession.open(request(dir, rules(counter, { failOn: /corrupt/, environmentFailOn: environment })));
  try {
    await session.runOnce({ holdFailures: true, keepGoing: true });
    const bad = path.join(dir, 'incoming', 'bad.txt');
    const flaky = path.join(dir, 'incoming', 'flaky.txt');
    fs.writeFileSync(bad, 'corrupt');
    fs.writeFileSync(flaky, 'flaky');
    const first = await session.runOnce({ changed: [bad, flaky], holdFailures: true, keepGoing: true });
    assert.equal(first.summary.failed.map((f) => [f.id, f.environment ?? false]).sort(), [
      ['copy:bad', false],
      ['copy:flaky', true],
    ]);
    const other = path.join(dir, 'incoming', 'f0.txt');
    fs.writeFileSync(other, 'changed');
    const second = await session.runOnce({ changed: [other], holdFailures: true, keepGoing: true });
    assert.ok(second.summary.skipped.some((s) => s.id === 'copy:bad' && s.why === HELD_REASON), 'held, not rerun');
    assert.equal(second.summary.failed.map((f) => f.id), ['copy:flaky'], 'the environment failure is tried again');
    environment.on = false;
    fs.writeFileSync(bad, 'fixed');
    const third = await session.runOnce({ changed: [bad], holdFailures: true, keepGoing: true });
    assert.equal(third.summary.ran.map((r) => r.id).sort(), ['copy:bad', 'copy:flaky', 'index']);
    assert.is(third.summary.failed.length, 0);
  } finally {
    session.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test('an aggregate over a held node is not rerun in later batches (it covers what it covered when the node failed)', async () => {
  const dir = project(3);
  const counter = { checks: 0, indexRuns: 0 };
  const session = await BuildSession.open(request(dir, rules(counter, { failOn: /corrupt/ })));
  try {
    await session.runOnce({ holdFailures: true, keepGoing: true });
    const bad = path.join(dir, 'incoming', 'bad.txt');
    fs.writeFileSync(bad, 'corrupt');
    await session.runOnce({ changed: [bad], holdFailures: true, keepGoing: true });
    const runs = counter.indexRuns;
    const again = await session.runOnce({ changed: [bad], holdFailures: true, keepGoing: true });
    assert.equal(again.summary.ran.map((r) => r.id), [], 'nothing reruns while the bad file is unchanged');
    assert.is(counter.indexRuns, runs, 'the index is not rebuilt for a held file');
  } finally {
    session.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test('a session holds the cache lock for its lifetime and lets go on close', async () => {
  const dir = project(2);
  const counter = { checks: 0, indexRuns: 0 };
  const session = await BuildSession.open(request(dir, rules(counter)));
  try {
    await session.runOnce();
    let error: unknown;
    try {
      await build(request(dir, rules(counter)));
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ImgbuildError, 'a second build on the same cache is refused while the session is open');
  } finally {
    session.close();
  }
  try {
    fs.writeFileSync(path.join(dir, 'incoming', 'f0.txt'), 'new content');
    assert.is((await build(request(dir, rules(counter)))).summary.ran.length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test.run();
