// The no-op snapshot (src/cache/fresh-snapshot.ts) may answer only what the full plan would answer. Every
// test changes one thing a plan depends on and checks two things: the snapshot did not answer, and the
// plan printed equals the plan made from the same cache with the snapshot removed (the oracle).
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ageFiles as age, ids, TempProject } from './helpers/project.js';
import { TEXT_PIPELINE } from './helpers/text-pipeline.js';

const FROM_SNAPSHOT = 'since the last no-op';

function snapshots(project: TempProject): string[] {
  return fs.existsSync(project.path('cache')) ? fs.readdirSync(project.path('cache')).filter((n) => n.startsWith('fresh-')) : [];
}

/** Built, aged, and one no-op later: the next no-op is answered by the snapshot. */
function builtProject(config = TEXT_PIPELINE()): TempProject {
  const project = new TempProject('imgbuild-snapshot-');
  project.write('pipeline.config.ts', config);
  for (const id of ['a', 'b', 'c']) project.write(`incoming/${id}.txt`, `text ${id}`);
  assert.is(project.cli(['all']).code, 0);
  for (const folder of ['incoming', 'work']) age(project.path(folder));
  const settle = project.cli(['all', '-v']);
  assert.is(settle.code, 0, settle.stderr);
  assert.not.match(settle.stdout, FROM_SNAPSHOT);
  assert.is(snapshots(project).length, 1, 'a no-op over settled files is remembered');
  const hit = project.cli(['all', '-v']);
  assert.match(hit.stdout, `nothing to do, 7 nodes up to date (no file changed ${FROM_SNAPSHOT})`);
  return project;
}

/** One input, built, with every file aged out of the racy window. */
function agedProject(config: string): TempProject {
  const project = new TempProject('imgbuild-snapshot-');
  project.write('pipeline.config.ts', config);
  project.write('incoming/a.txt', 'a');
  project.cli(['all']);
  age(project.path('incoming'));
  age(project.path('work'));
  return project;
}

/** The dry-run plan, and the plan the full planner makes from a copy of the cache without snapshots. */
function plans(project: TempProject, args: string[] = ['all']): { plan: unknown; oracle: unknown; fromSnapshot: boolean } {
  const oracleCache = project.path('oracle-cache');
  fs.rmSync(oracleCache, { recursive: true, force: true });
  fs.cpSync(project.path('cache'), oracleCache, { recursive: true, filter: (source) => !path.basename(source).startsWith('fresh-') });
  const plan = project.json([...args, '--dry-run']).report;
  const oracle = project.json([...args, '--dry-run', '--cache', 'oracle-cache']).report;
  fs.rmSync(oracleCache, { recursive: true, force: true });
  const verbose = project.cli([...args, '--dry-run', '-v']).stdout;
  return { plan, oracle, fromSnapshot: verbose.includes(FROM_SNAPSHOT) };
}

const snapshot = suite('no-op snapshot');

snapshot('a remembered no-op reports exactly what the full plan reports, in text and JSON', () => {
  const project = builtProject();
  const { plan, oracle, fromSnapshot } = plans(project);
  assert.ok(fromSnapshot);
  assert.equal(plan, oracle);
  assert.equal(plan, { run: [], fresh: 7, skipped: [] });
  const real = project.json(['all']).report;
  assert.equal(real, { ran: [], skipped: [], failed: [], blocked: [], fresh: 7, warnings: [] });
  project.remove();
});

const changes: Array<[string, (project: TempProject) => void, string[], string[]?]> = [
  ['an input rewritten', (p) => p.write('incoming/a.txt', 'text A'), ['count:a', 'summary', 'upper:a']],
  ['an input rewritten with the same size and a restored mtime but a new inode', (p) => {
    // Folder mtime restored too: only the file's inode can tell.
    const file = p.path('incoming/a.txt');
    const stat = fs.statSync(file);
    const folder = fs.statSync(p.path('incoming'));
    fs.writeFileSync(p.path('a.txt.new'), 'text z');
    fs.renameSync(p.path('a.txt.new'), file);
    fs.utimesSync(file, stat.atime, stat.mtime);
    fs.utimesSync(p.path('incoming'), folder.atime, folder.mtime);
  }, ['count:a', 'summary', 'upper:a']],
  ['a new input', (p) => p.write('incoming/d.txt', 'text d'), ['count:d', 'summary', 'upper:d']],
  ['an input removed', (p) => fs.rmSync(p.path('incoming/b.txt')), ['summary']],
  ['an output removed', (p) => fs.rmSync(p.path('work/c/count.txt')), ['count:c']],
  ['an output edited in place', (p) => fs.writeFileSync(p.path('work/b/upper.txt'), 'edited by hand, longer'), ['upper:b']],
  ['a parameter changed in the config', (p) => p.write('pipeline.config.ts', TEXT_PIPELINE({ suffix: '?' })), ['count:a', 'count:b', 'count:c', 'summary', 'upper:a', 'upper:b', 'upper:c']],
  ['a rule version changed', (p) => p.write('pipeline.config.ts', TEXT_PIPELINE({ upperVersion: 2 })), ['count:a', 'count:b', 'count:c', 'summary', 'upper:a', 'upper:b', 'upper:c']],
  ['the state file removed', (p) => fs.rmSync(p.path('cache', 'state.json')), ['count:a', 'count:b', 'count:c', 'summary', 'upper:a', 'upper:b', 'upper:c']],
];

for (const [what, change, expected] of changes) {
  snapshot(`not trusted after ${what}`, () => {
    const project = builtProject();
    change(project);
    const { plan, oracle, fromSnapshot } = plans(project);
    assert.not.ok(fromSnapshot, 'the snapshot must not answer');
    assert.equal(plan, oracle, 'the plan equals the full plan');
    assert.equal(ids((plan as { run: never[] }).run), expected);
    project.remove();
  });
}

snapshot('a cosmetic config change, a hidden file and an in-progress download are still no-ops, planned in full', () => {
  const project = builtProject();
  project.write('pipeline.config.ts', TEXT_PIPELINE({ comment: 'reworded comment' }));
  project.write('incoming/.DS_Store', 'finder');
  project.write('incoming/e.txt.part', 'half a download');
  const { plan, oracle, fromSnapshot } = plans(project);
  assert.not.ok(fromSnapshot);
  assert.equal(plan, oracle);
  assert.equal(plan, { run: [], fresh: 7, skipped: [] });
  project.remove();
});

snapshot('other flags or targets are another scope, answered by the full plan', () => {
  const project = builtProject();
  assert.not.match(project.cli(['all', '-v', '--publish-url-prefix', 'https://example.org/']).stdout, FROM_SNAPSHOT);
  const upper = project.cli(['upper', '-v']);
  assert.match(upper.stdout, 'nothing to do, 3 nodes up to date');
  assert.not.match(upper.stdout, FROM_SNAPSHOT);
  assert.match(project.cli(['upper', '-v']).stdout, `3 nodes up to date (no file changed ${FROM_SNAPSHOT})`, 'remembered per target');
  assert.match(project.cli(['all', '-v']).stdout, FROM_SNAPSHOT, 'and the first scope is still remembered');
  project.remove();
});

snapshot('an optional input (a sidecar) appearing is noticed', () => {
  const config = `
import fs from 'node:fs';
import { defineConfig, defineRule, optionalInput } from 'imgbuild';
export default defineConfig({ rules: [defineRule({
  name: 'note', version: 1, forEach: { files: '{id}.txt' },
  inputs: (n) => ({ text: n.file!, note: optionalInput(n.file!.replace(/\\.txt$/, '.note')) }),
  outputs: (n) => ({ out: n.item + '.out' }),
  run: (ctx) => fs.writeFileSync(ctx.outputs['out']!, fs.existsSync(ctx.inputs['note']!) ? 'noted' : 'plain'),
})] });
`;
  const project = agedProject(config);
  project.cli(['all']);
  assert.match(project.cli(['all', '-v']).stdout, FROM_SNAPSHOT);
  // The folder's mtime is put back, so only the stamp of the absent sidecar can tell.
  const folder = fs.statSync(project.path('incoming'));
  project.write('incoming/a.note', 'a note');
  fs.utimesSync(project.path('incoming'), folder.atime, folder.mtime);
  const { plan, oracle, fromSnapshot } = plans(project);
  assert.not.ok(fromSnapshot);
  assert.equal(plan, oracle);
  assert.equal(ids((plan as { run: never[] }).run), ['note:a']);
  project.remove();
});

snapshot('a no-op that asked the repository (a rule with check) is never remembered', () => {
  const config = TEXT_PIPELINE().replace("name: 'summary',", "name: 'summary', check: async () => undefined,");
  const project = agedProject(config);
  for (let i = 0; i < 2; i++) assert.not.match(project.cli(['all', '-v']).stdout, FROM_SNAPSHOT);
  assert.equal(snapshots(project), []);
  project.remove();
});

snapshot('a fresh build is not remembered until its files leave the racy window; a real build drops snapshots', () => {
  const project = new TempProject('imgbuild-snapshot-');
  project.write('pipeline.config.ts', TEXT_PIPELINE());
  project.write('incoming/a.txt', 'a');
  project.cli(['all']);
  project.cli(['all']);
  assert.equal(snapshots(project), [], 'outputs written a moment ago could still be rewritten in the same clock tick');
  age(project.path('incoming'));
  age(project.path('work'));
  project.cli(['all']);
  assert.is(snapshots(project).length, 1);
  project.write('incoming/b.txt', 'b');
  assert.equal(ids(project.json(['all']).report.ran), ['count:b', 'summary', 'upper:b']);
  assert.equal(snapshots(project), []);
  project.remove();
});

snapshot('a damaged snapshot is ignored, not trusted and not fatal', () => {
  const project = builtProject();
  const [name] = snapshots(project);
  fs.writeFileSync(project.path('cache', name!), '{"format":1,"scope":');
  const run = project.cli(['all', '-v']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, 'nothing to do, 7 nodes up to date');
  assert.not.match(run.stdout, FROM_SNAPSHOT);
  project.remove();
});

snapshot.run();
