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

test('every CLI flag in --help is in the README', () => {
  const p = new TempProject('imgbuild-readme-');
  const help = p.cli(['--help']).stdout;
  for (const flag of help.match(/--[a-z-]+/g) ?? []) assert.ok(readme.includes(flag), `README does not mention ${flag}`);
  p.remove();
});

test.run();
