// Sharded plans: --shard I/N deals items to N machines by a hash of their id, leaving the aggregates (the root
// index) to a final unsharded run; --shard auto reads the array-job environment of SLURM, AWS Batch or Kubernetes.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ids, REPO_ROOT, TempProject } from './helpers/project.js';
import { TEXT_PIPELINE } from './helpers/text-pipeline.js';
import { resolveShard } from '../src/remote/shard-environment.js';
import { shardOf } from '../src/remote/shard.js';
import { assertSameRepository } from './helpers/repo-compare.js';

const test = suite('shards');

test('--shard auto: SLURM, AWS Batch and Kubernetes array environments, and what each lacks', () => {
  assert.equal(resolveShard('auto', undefined, { SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_COUNT: '4' }), { index: 3, count: 4, source: 'SLURM array job 77, task 5' });
  assert.equal(resolveShard('auto', '10', { AWS_BATCH_JOB_ARRAY_INDEX: '0' }), { index: 1, count: 10, source: 'AWS Batch array index 0' });
  assert.equal(resolveShard('auto', undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '9', AWS_BATCH_JOB_ARRAY_SIZE: '10' }).index, 10);
  assert.equal(resolveShard('auto', '3', { JOB_COMPLETION_INDEX: '2' }), { index: 3, count: 3, source: 'Kubernetes Indexed Job completion index 2' });
  assert.equal(resolveShard('2/8', undefined, {}), { index: 2, count: 8, source: '--shard' });
  assert.throws(() => resolveShard('auto', undefined, { JOB_COMPLETION_INDEX: '2' }), /give --shard-count N/);
  assert.throws(() => resolveShard('auto', undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '2' }), /give --shard-count N/);
  assert.throws(() => resolveShard('auto', undefined, {}), /found no array job/);
  assert.throws(() => resolveShard('auto', '2', { JOB_COMPLETION_INDEX: '2' }), /3\/2 .* is not a shard/);
  assert.throws(() => resolveShard('0/3', undefined, {}), /is not a shard: I must be 1…N/);
  assert.throws(() => resolveShard('1-3', undefined, {}), /--shard takes I\/N/);
  // --array=10-30:10: tasks 10, 20, 30 are shards 1, 2, 3.
  assert.equal(resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '30', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '10', SLURM_ARRAY_TASK_COUNT: '3' }).index, 3);
  assert.throws(() => resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '25', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '10', SLURM_ARRAY_TASK_COUNT: '3' }), /not on the array's grid/);
  assert.throws(() => resolveShard('auto', '5', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' }), /--shard-count 5 disagrees with SLURM_ARRAY_TASK_COUNT=4/);
  assert.throws(() => resolveShard('1/99999999999999999999', undefined, {}), /is more than 1,000,000/);
});

function textProject(n: number): TempProject {
  const p = new TempProject('imgbuild-shard-');
  p.write('pipeline.config.ts', TEXT_PIPELINE());
  for (let i = 0; i < n; i++) p.write(`incoming/item-${i}.txt`, `text ${i}`);
  return p;
}

test("the shards' plans are disjoint per item, and with the deferred aggregates make the unsharded plan", () => {
  const p = textProject(20);
  try {
    const whole = p.json(['all', '--dry-run']);
    const union: string[] = [];
    const counts: number[] = [];
    for (let i = 1; i <= 4; i++) {
      const part = p.json(['all', '--dry-run', '--shard', `${i}/4`]);
      const shard = (part.report as { shard?: { index: number; count: number; deferred: string[] } }).shard!;
      assert.equal(shard.deferred, ['summary'], 'the aggregate waits for the final run');
      assert.is(shard.index, i);
      const run = ids(part.report.run);
      for (const id of run) assert.is(shardOf(id.split(':')[1]!, 4), i, `${id} belongs to shard ${i}`);
      counts.push(run.length);
      union.push(...run);
    }
    assert.is(new Set(union).size, union.length, 'no node is in two shards');
    assert.equal([...union, 'summary'].sort(), ids(whole.report.run));
    assert.ok(counts.every((c) => c > 0), `every shard has work (${counts})`);
    const note = p.cli(['all', '--dry-run', '--shard', '2/4']);
    assert.match(note.stderr, /shard 2\/4 \(--shard\): \d+ items; 1 node that gathers every item \(summary\) left to a final run without --shard/);
  } finally {
    p.remove();
  }
});

test('shards built on separate machines, then reindex: the repository of one unsharded build; a failing shard says so', async () => {
  const names = ['m31', 'm42', 'm45', 'ngc1', 'ngc2', 'ngc3'];
  const single = new TempProject('imgbuild-shard-single-');
  const sharded = new TempProject('imgbuild-shard-many-');
  try {
    for (const p of [single, sharded]) {
      for (const name of names) p.write(`incoming/${name}.jpg`, fs.readFileSync(path.join(REPO_ROOT, 'example/incoming/orion-vst.jpg')));
    }
    const common = ['--publish-url-prefix', 'https://data.example.org/wwt/'];
    assert.is(single.cli(['all', ...common]).code, 0);
    sharded.write('incoming/broken.jpg', 'not a JPEG at all');
    const badShard = shardOf('broken', 3);
    for (let i = 1; i <= 3; i++) {
      const run = sharded.cli(['all', '--shard', `${i}/3`, '--work', `work-${i}`, '--cache', `cache-${i}`, '--local', 'repo', ...common]);
      if (i === badShard) {
        assert.is(run.code, 1, 'the shard holding the broken file fails');
        assert.match(run.stderr, /broken\.jpg/);
      } else assert.is(run.code, 0, run.stderr);
    }
    assert.not.ok(fs.existsSync(sharded.path('repo', 'index.wtml')), 'no shard wrote the root index');
    // The broken file is taken away and its shard run again (its other items were not built: the build stopped).
    fs.rmSync(sharded.path('incoming', 'broken.jpg'));
    const rerun = sharded.cli(['all', '--shard', `${badShard}/3`, '--work', `work-${badShard}`, '--cache', `cache-${badShard}`, '--local', 'repo', ...common]);
    assert.is(rerun.code, 0, rerun.stderr);
    const reindex = sharded.cli(['reindex', '--local', 'repo', ...common]);
    assert.is(reindex.code, 0, reindex.stderr);
    assertSameRepository(single.path('repo'), sharded.path('repo'));
    // The project's own unsharded build afterwards (its work folder empty) finds every data set published as it
    // would publish it: nothing is rewritten, the publish times and the root index stay as they are.
    const before = new Map(names.map((n) => [n, fs.readFileSync(sharded.path('repo', n, 'imgbuild.json'), 'utf8')]));
    const indexBefore = fs.readFileSync(sharded.path('repo', 'index.wtml'), 'utf8');
    const after = sharded.cli(['all', '--local', 'repo', ...common]);
    assert.is(after.code, 0, after.stderr);
    for (const n of names) assert.is(fs.readFileSync(sharded.path('repo', n, 'imgbuild.json'), 'utf8'), before.get(n), `${n} was not published again`);
    assert.is(fs.readFileSync(sharded.path('repo', 'index.wtml'), 'utf8'), indexBefore);
  } finally {
    single.remove();
    sharded.remove();
  }
});

test('--shard is refused where it means nothing', () => {
  const p = textProject(2);
  try {
    assert.match(p.cli(['watch', '--shard', '1/2']).stderr, /--shard is for one build of a part/);
    assert.match(p.cli(['all', '--shard', '1/2', '--shard-count', '2']).stderr, /--shard-count goes with --shard auto/);
    const noEnv = p.cli(['all', '--shard', 'auto'], { SLURM_ARRAY_TASK_ID: '', AWS_BATCH_JOB_ARRAY_INDEX: '', JOB_COMPLETION_INDEX: '' });
    assert.is(noEnv.code, 2);
  } finally {
    p.remove();
  }
});

test.run();
