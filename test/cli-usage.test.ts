// Everyday mistakes and command pairs a new user met: each gets its own clear answer.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TempProject } from './helpers/project.js';

const PREFIX = ['--publish-url-prefix', 'https://data.example.org/wwt/'];

test('-j -1 gets the jobs message, not a parser riddle; a malformed --s3-endpoint is a usage error (exit 2)', () => {
  const p = new TempProject('imgbuild-usage-');
  try {
    const jobs = p.cli(['all', '-j', '-1']);
    assert.is(jobs.code, 2);
    assert.match(jobs.stderr, /-j\/--jobs takes a whole number ≥ 1 .*not "-1"/);
    const endpoint = p.cli(['all', '--s3-bucket', 'b', '--s3-endpoint', 'user:hunter2@notaurl']);
    assert.is(endpoint.code, 2, endpoint.stderr);
    assert.match(endpoint.stderr, /--s3-endpoint must be an http:\/\/ or https:\/\/ URL/);
    assert.not.match(endpoint.stderr, /hunter2/);
  } finally {
    p.remove();
  }
});

test('imgbuild init --help prints on stdout', () => {
  const p = new TempProject('imgbuild-usage-');
  try {
    const help = p.cli(['init', '--help']);
    assert.is(help.code, 0);
    assert.match(help.stdout, /^imgbuild init \[DIR\]/);
    assert.is(fs.existsSync(p.path('pipeline.config.ts')), false, 'help creates nothing');
  } finally {
    p.remove();
  }
});

test('reindex and all do not undo each other: all after reindex is a no-op', () => {
  const p = new TempProject('imgbuild-usage-');
  try {
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    assert.is(p.cli(['all', ...PREFIX]).code, 0);
    const reindex = p.cli(['reindex', ...PREFIX]);
    assert.is(reindex.code, 0, reindex.stderr);
    assert.match(reindex.stdout, /run {2}index: asked for on the command line/);
    const all = p.cli(['all', ...PREFIX]);
    assert.match(all.stdout, /nothing to do/, all.stdout);
  } finally {
    p.remove();
  }
});

test('a misspelt parameter in pipeline.config.ts names the file, the rule and the parameter', () => {
  const p = new TempProject('imgbuild-usage-');
  try {
    p.write('pipeline.config.ts', "import { defineConfig } from 'imgbuild';\nexport default defineConfig({ publishUrlPrefix: 'https://a.example.org/', params: { tiles: { pngCompresion: 9 } } });\n");
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    const run = p.cli(['all']);
    assert.is(run.code, 2, run.stderr);
    assert.match(run.stderr, /pipeline\.config\.ts: params\.tiles\.pngCompresion is set, but rule tiles has no parameter pngCompresion/);
  } finally {
    p.remove();
  }
});

test('a newline in an unplaced image\'s name cannot forge a line: the no-placement warning quotes it too', async () => {
  const p = new TempProject('imgbuild-usage-');
  try {
    const sharp = (await import('sharp')).default;
    const name = 'x\nerror: publish:m31: repository wiped.png';
    p.write(`incoming/${name}`, await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toBuffer());
    const run = p.cli(['process', ...PREFIX]);
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stderr, /has no placement/);
    for (const line of run.stderr.split('\n')) assert.not.match(line, /^error: publish:m31/, `forged line: ${line}`);
  } finally {
    p.remove();
  }
});

test.run();
