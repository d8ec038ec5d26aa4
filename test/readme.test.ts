// The README's examples are code a user will paste: run them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT, TempProject } from './helpers/project.js';

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

function codeBlockAfter(heading: string): string {
  const section = readme.slice(readme.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`no ts block after ${heading}`);
  return match[1]!;
}

test('"Writing a rule": the config works as printed (its FITS rule ignores WCS sidecars; tools are part of the key)', () => {
  const p = new TempProject('imgbuild-readme-');
  try {
    const config = codeBlockAfter('## Writing a rule');
    assert.match(config, 'publishUrlPrefix:', 'the example config sets what the wtml rule requires');
    assert.match(config, 'tools:', 'the example shows the tools field');
    p.write('pipeline.config.ts', config);
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    // A WCS sidecar beside the image, and a raw frame where the archive rule looks.
    p.copyFixture('1904-66_AZP.header.fits', 'incoming/orion.wcs.fits');
    p.copyFixture('1904-66_AZP.header.fits', 'raw/frame.fits');
    const run = p.json(['all']);
    assert.is(run.code, 0, run.stderr);
    assert.ok(run.report.ran!.some((r) => r.id === 'sizes:orion'));
    assert.equal(run.report.ran!.filter((r) => r.rule === 'archive').map((r) => r.id), ['archive:frame'], 'the sidecar is not an archive node');
    assert.is(fs.readFileSync(p.path('work/orion/size.txt'), 'utf8'), '320×248 px\n');
    const listing = spawnSync('tar', ['-tzf', p.path('work/frame/raw.tar.gz')], { encoding: 'utf8' });
    assert.is(listing.stdout, 'frame.fits\n');
    assert.match(fs.readFileSync(p.path('repo/orion/index.wtml'), 'utf8'), 'https://data.example.org/wwt/orion/');
  } finally {
    p.remove();
  }
});

test('"Configuration": the config loads and names the rules it says', () => {
  const p = new TempProject('imgbuild-readme-');
  p.write('pipeline.config.ts', codeBlockAfter('## Configuration'));
  // The config names its incoming folder: a named folder that does not exist is an error (exit 2).
  assert.is(p.cli(['all', '--dry-run', '--local', 'repo']).code, 2);
  fs.mkdirSync(p.path('incoming'));
  const run = p.json(['all', '--dry-run', '--local', 'repo']);
  assert.is(run.code, 0, run.stderr);
  // No images yet: only the (empty) root index and the (empty) review index are to be written.
  assert.equal(run.report.run!.map((r) => r.id).sort(), ['index', 'review-index']);
  p.remove();
});

test('"imgbuild-pipeline-config.yaml": the example is accepted (its params checked against the rules) and its URL and folder name reach the data sets', () => {
  const section = readme.slice(readme.indexOf('`imgbuild-pipeline-config.yaml`:'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const p = new TempProject('imgbuild-readme-');
  p.write('repo/imgbuild-pipeline-config.yaml', yaml);
  p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
  const run = p.json(['all', '--local', 'repo']);
  assert.is(run.code, 0, run.stderr);
  assert.match(fs.readFileSync(p.path('repo/orion/index.wtml'), 'utf8'), 'https://data.example.org/wwt/orion/');
  assert.match(fs.readFileSync(p.path('repo/index.wtml'), 'utf8'), /<Folder [^>]*Name="Our observatory"/);
  p.remove();
});

test('every CLI flag in --help is in the README', () => {
  const p = new TempProject('imgbuild-readme-');
  const help = p.cli(['--help']).stdout;
  for (const flag of help.match(/--[a-z-]+/g) ?? []) assert.ok(readme.includes(flag), `README does not mention ${flag}`);
  p.remove();
});

test.run();
