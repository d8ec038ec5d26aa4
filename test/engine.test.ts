// The build graph through the real CLI: staleness, explanations, dry run = real run, failures, crashes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ids, REPO_ROOT, TempProject } from './helpers/project.js';
import { TEXT_PIPELINE } from './helpers/text-pipeline.js';

function textProject(files: Record<string, string>, options: Parameters<typeof TEXT_PIPELINE>[0] = {}): TempProject {
  const project = new TempProject();
  project.write('pipeline.config.ts', TEXT_PIPELINE(options));
  for (const [name, text] of Object.entries(files)) project.write(`incoming/${name}`, text);
  return project;
}

test('first build runs everything; the second does nothing and says so', () => {
  const p = textProject({ 'a.txt': 'alpha', 'b.txt': 'beta' });
  const first = p.json(['all']);
  assert.is(first.code, 0, first.stderr);
  assert.equal(ids(first.report.ran), ['count:a', 'count:b', 'summary', 'upper:a', 'upper:b']);
  assert.is(fs.readFileSync(p.path('work/a/upper.txt'), 'utf8'), 'ALPHA!');
  assert.is(fs.readFileSync(p.path('work/summary.txt'), 'utf8'), 'a 6\nb 5\n');
  const dry = p.json(['all', '--dry-run']);
  assert.equal(dry.report.run, []);
  assert.is(dry.report.fresh, 5);
  const second = p.cli(['all']);
  assert.is(second.code, 0);
  assert.match(second.stdout, /nothing to do, 5 nodes up to date/);
  p.remove();
});

test('one changed input reruns only its chain and the aggregate, and says why', () => {
  const p = textProject({ 'a.txt': 'alpha', 'b.txt': 'beta', 'c.txt': 'gamma' });
  p.json(['all']);
  p.write('incoming/b.txt', 'BETA, changed');
  const dry = p.json(['all', '--dry-run']).report;
  assert.equal(ids(dry.run), ['count:b', 'summary', 'upper:b']);
  const why = Object.fromEntries(dry.run!.map((r) => [r.id, r.why]));
  assert.is(why['upper:b'], 'input changed: text (incoming/b.txt)');
  assert.is(why['count:b'], 'upstream changed: upper:b');
  assert.is(dry.run!.find((r) => r.id === 'upper:b')!.reason, 'input-changed');
  const real = p.json(['all']).report;
  assert.equal(ids(real.ran), ids(dry.run));
  p.remove();
});

test('touching a file without changing it reruns nothing', () => {
  const p = textProject({ 'a.txt': 'alpha' });
  p.json(['all']);
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(p.path('incoming/a.txt'), later, later);
  assert.equal(p.json(['all']).report.ran, []);
  p.remove();
});

test('a changed rule parameter reruns that rule and what depends on it, with the parameter named', () => {
  const p = textProject({ 'a.txt': 'alpha', 'b.txt': 'beta' });
  p.json(['all']);
  p.write('pipeline.config.ts', TEXT_PIPELINE({ suffix: '?' }));
  const dry = p.json(['all', '--dry-run']).report;
  assert.equal(ids(dry.run), ['count:a', 'count:b', 'summary', 'upper:a', 'upper:b']);
  assert.is(dry.run!.find((r) => r.id === 'upper:a')!.why, 'parameter changed: suffix');
  assert.equal(ids(p.json(['all']).report.ran), ids(dry.run));
  assert.is(fs.readFileSync(p.path('work/a/upper.txt'), 'utf8'), 'ALPHA?');
  p.remove();
});

test('a cosmetic config edit reruns nothing; a rule version bump reruns that rule', () => {
  const p = textProject({ 'a.txt': 'alpha' });
  p.json(['all']);
  p.write('pipeline.config.ts', TEXT_PIPELINE({ comment: 'reworded comment, same rules' }));
  assert.equal(p.json(['all', '--dry-run']).report.run, []);
  p.write('pipeline.config.ts', TEXT_PIPELINE({ upperVersion: 2 }));
  const dry = p.json(['all', '--dry-run']).report;
  assert.is(dry.run!.find((r) => r.id === 'upper:a')!.why, 'rule version changed (1 → 2)');
  p.remove();
});

test('deleted or edited outputs are rebuilt, with the file named', () => {
  const p = textProject({ 'a.txt': 'alpha', 'b.txt': 'beta' });
  p.json(['all']);
  fs.rmSync(p.path('work/a/upper.txt'));
  fs.writeFileSync(p.path('work/b/count.txt'), '999');
  const dry = p.json(['all', '--dry-run']).report;
  const why = Object.fromEntries(dry.run!.map((r) => [r.id, r.why]));
  assert.is(why['upper:a'], 'output missing: work/a/upper.txt');
  assert.is(why['count:b'], 'output modified: work/b/count.txt');
  // Rebuilding upper:a gives the same key, so count:a does not rerun.
  assert.equal(ids(dry.run), ['count:b', 'upper:a']);
  assert.equal(ids(p.json(['all']).report.ran), ['count:b', 'upper:a']);
  assert.is(fs.readFileSync(p.path('work/b/count.txt'), 'utf8'), '5');
  p.remove();
});

test('dry run equals real run across a sequence of changes', () => {
  const p = textProject({ 'a.txt': 'alpha', 'b.txt': 'beta', 'c.txt': 'gamma' });
  const steps: Array<[string, () => void]> = [
    ['first build', () => undefined],
    ['add a file', () => p.write('incoming/d.txt', 'delta')],
    ['remove a file', () => fs.rmSync(p.path('incoming/a.txt'))],
    ['edit two files', () => (p.write('incoming/b.txt', 'b2'), p.write('incoming/c.txt', 'c2'))],
    ['delete an output', () => fs.rmSync(p.path('work/d/count.txt'))],
    ['change a parameter', () => p.write('pipeline.config.ts', TEXT_PIPELINE({ suffix: '.' }))],
    ['no change', () => undefined],
  ];
  for (const [name, change] of steps) {
    change();
    const dry = p.json(['all', '--dry-run']).report;
    const real = p.json(['all']).report;
    assert.equal(ids(real.ran), ids(dry.run), name);
    assert.equal(p.json(['all', '--dry-run']).report.run, [], `${name}: converged`);
  }
  p.remove();
});

test('a failing node: one clear message naming rule, item and input; exit 1; good work is kept', () => {
  const p = textProject({ 'a.txt': 'alpha', 'bad.txt': 'please FAIL', 'c.txt': 'gamma' });
  const run = p.json(['all', '-j', '1']);
  assert.is(run.code, 1);
  assert.equal(ids(run.report.failed), ['upper:bad']);
  assert.match(run.report.failed![0]!.error!, /^upper:bad: this text asks to fail \[input: incoming\/bad\.txt\]$/);
  assert.ok(ids(run.report.blocked).includes('summary'), 'the aggregate waits for a clean build without --keep-going');
  const kept = ids(run.report.ran);
  // Whatever finished before the failure stays recorded: it does not run again.
  const again = p.json(['all', '--keep-going']).report;
  for (const id of kept) assert.not.ok(ids(again.ran).includes(id), `${id} was kept`);
  assert.equal(ids(again.failed), ['upper:bad']);
  assert.ok(ids(again.ran).includes('summary'), 'with --keep-going the aggregate covers everything that succeeded');
  assert.is(fs.readFileSync(p.path('work/summary.txt'), 'utf8'), 'a 6\nc 6\n');
  assert.ok(ids(again.blocked).includes('count:bad'));
  // Fixing the input builds just that chain and the aggregate.
  p.write('incoming/bad.txt', 'fine now');
  const fixed = p.json(['all']);
  assert.is(fixed.code, 0);
  assert.equal(ids(fixed.report.ran), ['count:bad', 'summary', 'upper:bad']);
  p.remove();
});

test('the terminal shows the error on stderr, once', () => {
  const p = textProject({ 'bad.txt': 'FAIL' });
  const result = p.cli(['all']);
  assert.is(result.code, 1);
  assert.is(result.stderr.match(/this text asks to fail/g)?.length, 1, result.stderr);
  assert.match(result.stderr, /error: upper:bad: this text asks to fail \[input: incoming\/bad\.txt\]/);
  p.remove();
});

test('kill -9 mid-node: nothing counts as done, the next run recovers the lock and finishes', async () => {
  const p = textProject({ 'a.txt': 'alpha', 'slow.txt': 'SLOW' }, { sleepMarker: 'ready.marker' });
  const bin = path.join(REPO_ROOT, 'bin', 'imgbuild.js');
  const child = spawn(process.execPath, [bin, 'all', '-j', '1'], { cwd: p.dir, env: { ...process.env, IMGBUILD_TEST_SLEEP: '1' }, stdio: 'ignore' });
  // Bounded wait for the rule to have written its output (to staging) and to be asleep.
  for (let i = 0; i < 200 && !fs.existsSync(p.path('ready.marker')); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(fs.existsSync(p.path('ready.marker')), 'the slow rule started');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.not.ok(fs.existsSync(p.path('work/slow/upper.txt')), 'the half-done output never reached its place');
  assert.ok(fs.existsSync(p.path('cache/lock')), 'the dead process left its lock');
  const dry = p.json(['all', '--dry-run']).report;
  assert.ok(ids(dry.run).includes('upper:slow'), 'the killed node is not done');
  assert.is(dry.run!.find((r) => r.id === 'upper:slow')!.why, 'never built');
  const next = p.json(['all']);
  assert.is(next.code, 0, next.stderr);
  assert.ok(ids(next.report.ran).includes('upper:slow'));
  assert.is(fs.readFileSync(p.path('work/slow/upper.txt'), 'utf8'), 'SLOW!');
  assert.not.ok(fs.existsSync(p.path('work/.staging')), 'staging left by the crash is cleared');
  assert.not.ok(fs.existsSync(p.path('cache/lock')));
  p.remove();
});

test('hostile file names become safe ids; two names for one id are an error naming both', () => {
  const p = textProject({ "ö weird 'name' $(rm -rf x).txt": 'x' });
  const run = p.json(['all']);
  assert.is(run.code, 0, run.stderr);
  assert.equal(ids(run.report.ran).filter((i) => i.startsWith('upper:')), ['upper:o_weird_name_rm_-rf_x']);
  assert.ok(fs.existsSync(p.path('work/o_weird_name_rm_-rf_x/upper.txt')));
  p.write('incoming/o weird name rm -rf x.txt', 'y');
  // Both files are that build's errors (issue 7: every collision at once, each file named); neither is built.
  const clash = p.cli(['all']);
  assert.is(clash.code, 1);
  assert.match(clash.stderr, /error: incoming\/ö weird 'name' \$\(rm -rf x\)\.txt becomes id "o_weird_name_rm_-rf_x" of rule upper, and so does incoming\/o weird name rm -rf x\.txt/);
  assert.match(clash.stderr, /error: incoming\/o weird name rm -rf x\.txt becomes id "o_weird_name_rm_-rf_x" of rule upper/);
  p.remove();
});

test('bad configuration: one line naming the file and the fix, exit 2', () => {
  const p = textProject({ 'a.txt': 'alpha' });
  p.write('pipeline.config.ts', "import { defineConfig } from 'imgbuild';\nexport default defineConfig({ incomming: 'x' } as never);\n");
  let result = p.cli(['all']);
  assert.is(result.code, 2);
  assert.match(result.stderr, /pipeline\.config\.ts: unknown setting "incomming"/);
  p.write('pipeline.config.ts', 'export default {{;\n');
  result = p.cli(['all']);
  assert.is(result.code, 2);
  assert.match(result.stderr, /pipeline\.config\.ts:1:\d+: /);
  p.write('pipeline.config.ts', TEXT_PIPELINE());
  result = p.cli(['nosuchrule']);
  assert.is(result.code, 2);
  assert.match(result.stderr, /unknown target "nosuchrule": use 'all', process, reindex or a rule name \(upper, count, summary\)/);
  result = p.cli(['all', '-j', 'lots']);
  assert.is(result.code, 2);
  assert.match(result.stderr, /-j\/--jobs takes a whole number/);
  p.remove();
});

test('a target builds its rule and what it needs, nothing else', () => {
  const p = textProject({ 'a.txt': 'alpha' });
  assert.equal(ids(p.json(['count']).report.ran), ['count:a', 'upper:a']);
  assert.equal(ids(p.json(['all']).report.ran), ['summary']);
  p.remove();
});

test('a dry run writes nothing', () => {
  const p = textProject({ 'a.txt': 'alpha' });
  p.json(['all', '--dry-run']);
  assert.not.ok(fs.existsSync(p.path('work')));
  assert.not.ok(fs.existsSync(p.path('cache')));
  p.remove();
});

test('command rules: each argument is passed as one argument, whatever it contains', () => {
  const p = new TempProject();
  p.write(
    'pipeline.config.ts',
    `import { defineConfig, defineRule } from 'imgbuild';
export default defineConfig({ rules: [defineRule({
  name: 'copy', version: 1, forEach: { files: '{id}.dat' },
  inputs: (n) => ({ src: n.file! }), outputs: (n) => ({ dst: n.item + '/copy.dat' }),
  command: (ctx) => ['cp', ctx.inputs['src']!, ctx.outputs['dst']!],
})] });
`,
  );
  p.write(`incoming/it's "quoted" $HOME; rm x.dat`, 'payload');
  const run = p.json(['all']);
  assert.is(run.code, 0, JSON.stringify(run.report));
  assert.is(fs.readFileSync(p.path('work/it_s_quoted_HOME_rm_x/copy.dat'), 'utf8'), 'payload');
  p.remove();
});

test.run();
