// The README's examples are code a user will paste: run them.
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

test('"Writing a rule": the config works as printed', () => {
  const p = new TempProject('imgbuild-readme-');
  p.write('pipeline.config.ts', codeBlockAfter('## Writing a rule'));
  p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
  const run = p.json(['sizes', '--publish-url-prefix', 'https://x.example/']);
  assert.is(run.code, 0, run.stderr);
  assert.equal(run.report.ran!.map((r) => r.id).sort(), ['place:orion', 'sizes:orion']);
  assert.is(fs.readFileSync(p.path('work/orion/size.txt'), 'utf8'), '320×248 px\n');
  p.remove();
});

test('"Configuration": the config loads and names the rules it says', () => {
  const p = new TempProject('imgbuild-readme-');
  p.write('pipeline.config.ts', codeBlockAfter('## Configuration'));
  const run = p.json(['all', '--dry-run', '--local', 'repo']);
  assert.is(run.code, 0, run.stderr);
  // No images yet: only the (empty) root index is to be written.
  assert.equal(run.report.run!.map((r) => r.id), ['index']);
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
