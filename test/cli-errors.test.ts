// Errors and exit statuses as a user meets them: the real CLI in a child process, one line per expected
// failure, the documented exit status, and under --json one JSON object with "error" and "kind".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ids, REPO_ROOT, TempProject } from './helpers/project.js';
import { TEXT_PIPELINE } from './helpers/text-pipeline.js';

const PREFIX = ['--publish-url-prefix', 'https://data.example.org/wwt/'];

function imageProject(): TempProject {
  const p = new TempProject('imgbuild-cli-errors-');
  p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
  return p;
}

/** One line on stderr, saying `what`; the exit status; and with --json one object with error and kind. */
function assertOneLineError(p: TempProject, args: string[], status: number, kind: string, what: RegExp): void {
  const plain = p.cli(args);
  assert.is(plain.code, status, plain.stderr);
  assert.is(plain.stderr.trim().split('\n').length, 1, plain.stderr);
  assert.match(plain.stderr, what);
  assert.not.match(plain.stderr, /\bat .*\.js:\d+/, 'no stack trace');
  const json = p.cli([...args, '--json']);
  assert.is(json.code, status);
  const object = JSON.parse(json.stdout) as { error: string; kind: string };
  assert.is(object.kind, kind);
  assert.match(object.error, what);
}

test('usage errors: one line each, exit 2, and the --json error object', () => {
  const p = imageProject();
  try {
    assertOneLineError(p, ['all', '-j', '0'], 2, 'usage', /-j\/--jobs takes a whole number ≥ 1 .*"0"/);
    assertOneLineError(p, ['all', '-j', 'abc'], 2, 'usage', /-j\/--jobs .*"abc"/);
    assertOneLineError(p, ['all', '-j', '2x'], 2, 'usage', /-j\/--jobs .*"2x"/);
    assertOneLineError(p, ['nosuch'], 2, 'usage', /unknown target "nosuch": use 'all', process, reindex or a rule name \(place, fits-picture, tiles, thumbnail, wtml, review-index, publish, index\), or rule:item/);
    assertOneLineError(p, ['tiles:andromeda'], 2, 'usage', /unknown target "tiles:andromeda": rule tiles has no such node \(its nodes: tiles:orion\)/);
    assertOneLineError(p, ['all', '--publish-url-prefix', 'not-a-url'], 2, 'usage', /--publish-url-prefix "not-a-url": give an http\(s\) URL/);
    assertOneLineError(p, ['all', '--no-such-flag'], 2, 'usage', /Unknown option '--no-such-flag'/);
    assert.not.ok(fs.existsSync(p.path('work')), 'a usage error builds nothing');
  } finally {
    p.remove();
  }
});

test('--incoming naming a missing folder is an error naming the folder and what set it, not an empty index', () => {
  const p = imageProject();
  try {
    const missing = p.path('no-such-folder');
    assertOneLineError(p, ['all', '--incoming', missing, ...PREFIX], 2, 'usage', new RegExp(`incoming folder ${missing} does not exist \\(set by the --incoming flag\\)`));
    p.write('pipeline.config.ts', "export default { incoming: 'elsewhere', publishUrlPrefix: 'https://x.example/' };\n");
    assertOneLineError(p, ['all'], 2, 'config', /incoming folder .*elsewhere does not exist \(set by incoming in pipeline\.config\.ts\)/);
    assert.not.ok(fs.existsSync(p.path('repo/index.wtml')), 'no empty index was published');
  } finally {
    p.remove();
  }
});

test('a missing publish_url_prefix: the dry run reports it (exit 2), the real run stops before any node starts', () => {
  const p = imageProject();
  try {
    const dry = p.cli(['all', '--dry-run']);
    assert.is(dry.code, 2, dry.stderr);
    assert.match(dry.stdout, 'would run tiles:orion');
    for (const where of ['--publish-url-prefix', 'pipeline.config.ts', 'imgbuild-pipeline-config.yaml']) assert.match(dry.stderr, where);
    const dryJson = p.json(['all', '--dry-run']);
    assert.is(dryJson.code, 2);
    const report = dryJson.report as unknown as { error: string; kind: string; errors: string[] };
    assert.is(report.kind, 'config');
    assert.match(report.error, /rule wtml: publish_url_prefix is not set/);
    assert.ok(ids(dryJson.report.run).includes('wtml:orion'), 'the plan is still reported');

    assertOneLineError(p, ['all'], 2, 'config', /rule wtml: publish_url_prefix is not set .*--publish-url-prefix.*pipeline\.config\.ts.*imgbuild-pipeline-config\.yaml/);
    assert.not.ok(fs.existsSync(p.path('work/orion')), 'nothing was built: the run stopped before tiling');
    // Targets that do not need the rule are not stopped by it.
    const tiles = p.json(['tiles']);
    assert.is(tiles.code, 0, tiles.stderr);
    assert.equal(ids(tiles.report.ran), ['place:orion', 'tiles:orion']);
  } finally {
    p.remove();
  }
});

test('an OS error from the environment is one line naming the path, exit 1 (here: a cache under read-only /sys)', () => {
  let code: string | undefined;
  try {
    fs.mkdirSync('/sys/imgbuild-probe');
    fs.rmdirSync('/sys/imgbuild-probe');
  } catch (error) {
    code = (error as NodeJS.ErrnoException).code;
  }
  if (code !== 'EPERM' && code !== 'EROFS' && code !== 'EACCES') {
    console.log('  (skipped: /sys is writable here)');
    return;
  }
  const p = imageProject();
  try {
    assertOneLineError(p, ['all', '--cache', '/sys/imgbuild-probe/cache', ...PREFIX], 1, 'environment', new RegExp(`/sys/imgbuild-probe/cache: .*\\(${code}\\)`));
  } finally {
    p.remove();
  }
});

/** Call main's error reporter in this process, capturing what it writes. */
async function reportInProcess(error: unknown, json: boolean): Promise<{ status: number; stdout: string; stderr: string }> {
  const { reportError } = (await import(path.join(REPO_ROOT, 'dist/src/cli/main.js'))) as { reportError: (e: unknown, json: boolean) => number };
  const written: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].write = ((chunk: string) => {
      written[name] += chunk;
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    const status = reportError(error, json);
    return { status, ...written };
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
}

test('a real bug keeps its stack and asks to be reported (exit 70); --json still gets one object', async () => {
  const bug = await reportInProcess(new TypeError('undefined is not a function'), true);
  assert.is(bug.status, 70);
  assert.match(bug.stderr, /TypeError: undefined is not a function\n\s+at /);
  assert.match(bug.stderr, /This is a bug in imgbuild: please report it/);
  assert.equal(JSON.parse(bug.stdout), { error: 'undefined is not a function', kind: 'bug' });
});

test('an environment error (what the repository adapters throw) is one line, exit 1, no password from a URL', async () => {
  const { ImgbuildError } = (await import(path.join(REPO_ROOT, 'dist/src/errors.js'))) as typeof import('../src/errors.js');
  const error = new ImgbuildError('environment', 'S3 endpoint https://admin:hunter2hunter2@s3.example.org:9000 is unreachable: check --s3-endpoint');
  for (const json of [false, true]) {
    const out = await reportInProcess(error, json);
    assert.is(out.status, 1);
    assert.is(out.stderr, 'imgbuild: S3 endpoint https://admin:[secret]@s3.example.org:9000 is unreachable: check --s3-endpoint\n');
    if (json) assert.equal(JSON.parse(out.stdout), { error: 'S3 endpoint https://admin:[secret]@s3.example.org:9000 is unreachable: check --s3-endpoint', kind: 'environment' });
    else assert.is(out.stdout, '');
  }
});

test('`imgbuild all --dry-run | true`: the closed pipe ends the output quietly, no EPIPE stack', () => {
  const p = imageProject();
  try {
    const bin = path.join(REPO_ROOT, 'bin', 'imgbuild.js');
    // `true` exits at once, so every write the CLI makes meets a closed pipe.
    const result = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" all --dry-run ${PREFIX.join(' ')} | true; "${process.execPath}" "${bin}" all --dry-run ${PREFIX.join(' ')} | head -1`], {
      cwd: p.dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.is(result.status, 0);
    assert.is(result.stderr, '', 'nothing on stderr');
    assert.is(result.stdout, 'would run place:orion: never built\n');
  } finally {
    p.remove();
  }
});

test('rule:item builds one node and what it needs; counts agree with their nouns ("1 node")', () => {
  const p = imageProject();
  p.copyFixture('eso_eso1723a_320.png', 'incoming/other.png');
  try {
    const one = p.json(['tiles:orion', ...PREFIX]);
    assert.is(one.code, 0, one.stderr);
    assert.equal(ids(one.report.ran), ['place:orion', 'tiles:orion']);
    assert.ok(fs.existsSync(p.path('work/orion/tiles/0/0/0_0.png')));
    assert.not.ok(fs.existsSync(p.path('work/other')), 'the other image was left alone');
    const again = p.cli(['place:orion', ...PREFIX]);
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, 'imgbuild: nothing to do, 1 node up to date');
  } finally {
    p.remove();
  }
});

test('--help per command and rule, with defaults; --version names imgbuild, Node, sharp and libvips', () => {
  const p = new TempProject('imgbuild-cli-errors-');
  try {
    for (const command of ['process', 'publish', 'reindex', 'all', 'tiles', 'wtml']) {
      const help = p.cli([command, '--help']);
      assert.is(help.code, 0, help.stderr);
      assert.match(help.stdout, `Usage: imgbuild ${command} [options]`);
      assert.match(help.stdout, '--incoming DIR  images to process [incoming]');
      assert.match(help.stdout, '--cache DIR     build state [cache]');
    }
    assert.match(p.cli(['tiles', '--help']).stdout, 'pngCompression 2');
    assert.match(p.cli(['process', '--help']).stdout, 'upload nothing');
    assert.match(p.cli(['--help']).stdout, '--incoming DIR|URI          folder of images to process (default: incoming)');
    assertOneLineError(p, ['nosuch', '--help'], 2, 'usage', /no help for "nosuch"/);
    const version = p.cli(['--version']);
    assert.is(version.code, 0);
    assert.match(version.stdout, /^imgbuild \d+\.\d+\.\d+\nnode \d+\.\d+\.\d+\nsharp \d+\.\d+\.\d+\nlibvips \d+\.\d+\.\d+( \(.*\))?\n$/);
    assert.match(version.stdout, `node ${process.versions.node}`);
  } finally {
    p.remove();
  }
});

test("a command rule's stderr is kept: shown with -v, and in cache/logs/<node>.log after success and failure", () => {
  const p = new TempProject('imgbuild-cli-errors-');
  try {
    p.write('incoming/a.txt', 'alpha');
    p.write('incoming/b.txt', 'FAIL');
    p.write(
      'pipeline.config.ts',
      `import { defineConfig, defineRule } from 'imgbuild';
const script = "const fs = require('fs'); const [input, output] = process.argv.slice(1); const t = fs.readFileSync(input, 'utf8'); console.error('reading ' + t.length + ' bytes'); if (t === 'FAIL') { console.error('cannot shout this'); process.exit(3); } fs.writeFileSync(output, t.toUpperCase());";
export default defineConfig({
  rules: [defineRule({
    name: 'shout',
    version: 1,
    forEach: { files: '{id}.txt' },
    inputs: (node) => ({ text: node.file! }),
    outputs: (node) => ({ out: \`\${node.item}/shout.txt\` }),
    command: (ctx) => [process.execPath, '-e', script, ctx.inputs['text']!, ctx.outputs['out']!],
  })],
});
`,
    );
    const quiet = p.cli(['shout:a']);
    assert.is(quiet.code, 0, quiet.stderr);
    assert.not.match(quiet.stdout + quiet.stderr, 'reading 5 bytes', 'without -v the log stays in its file');
    const log = fs.readFileSync(p.path('cache/logs/shout_a.log'), 'utf8');
    assert.match(log, /log {4}stderr: reading 5 bytes\n/);
    assert.match(log, /done after \d+\.\d s\n$/);

    fs.rmSync(p.path('work'), { recursive: true });
    const verbose = p.cli(['all', '-v', '--keep-going']);
    assert.is(verbose.code, 1);
    assert.match(verbose.stdout, 'shout:a: stderr: reading 5 bytes');
    assert.match(verbose.stdout, 'shout:b: stderr: cannot shout this');
    const failed = fs.readFileSync(p.path('cache/logs/shout_b.log'), 'utf8');
    assert.match(failed, 'stderr: cannot shout this');
    assert.match(failed, /error {2}shout:b: .* exited with code 3/);
    assert.match(failed, /failed after \d+\.\d s\n$/);
  } finally {
    p.remove();
  }
});

test('a text pipeline still builds with the new seams (sanity: requires is optional)', () => {
  const p = new TempProject('imgbuild-cli-errors-');
  try {
    p.write('incoming/a.txt', 'alpha');
    p.write('pipeline.config.ts', TEXT_PIPELINE());
    const run = p.json(['all']);
    assert.is(run.code, 0, run.stderr);
    assert.equal(ids(run.report.ran), ['count:a', 'summary', 'upper:a']);
  } finally {
    p.remove();
  }
});

test.run();
