// Stale reasons the other tests never assert: an optional input that appears, a tool whose version changed,
// and a built output edited in place without changing its size.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ageFiles, ids } from './helpers/project.js';
import { withProject } from './helpers/rig.js';
import { TEXT_PIPELINE } from './helpers/text-pipeline.js';

// One rule with an optional input (`<id>.note` beside the text) and a tool whose version comes from the
// environment, so a test can "upgrade" it.
const CONFIG = `
import fs from 'node:fs';
import { defineConfig, defineRule, optionalInput } from 'imgbuild';
const upper = defineRule({
  name: 'upper',
  version: 1,
  forEach: { files: '{id}.txt' },
  inputs: (node) => ({ text: node.file!, note: optionalInput(node.file!.replace(/\\.txt$/, '.note')) }),
  outputs: (node) => ({ out: \`\${node.item}/upper.txt\` }),
  tools: () => ({ shouter: process.env.SHOUTER_VERSION ?? '1.0' }),
  run: (ctx) => {
    const note = ctx.inputs['note'] ? fs.readFileSync(ctx.inputs['note'], 'utf8') : '';
    fs.writeFileSync(ctx.outputs['out']!, fs.readFileSync(ctx.inputs['text']!, 'utf8').toUpperCase() + note);
  },
});
export default defineConfig({ rules: [upper] });
`;

test('an optional input that appears is named: "input appeared"', () =>
  withProject('imgbuild-reasons-', (p) => {
    p.write('pipeline.config.ts', CONFIG);
    p.write('incoming/a.txt', 'alpha');
    assert.is(p.json(['all']).code, 0);
    p.write('incoming/a.note', ' noted');
    const dry = p.json(['all', '--dry-run']).report;
    assert.equal(ids(dry.run), ['upper:a']);
    assert.is(dry.run![0]!.reason, 'input-added');
    assert.is(dry.run![0]!.why, 'input appeared: note (incoming/a.note)');
    assert.equal(ids(p.json(['all']).report.ran), ['upper:a']);
    assert.is(fs.readFileSync(p.path('work/a/upper.txt'), 'utf8'), 'ALPHA noted');
  }));

test('a changed tool version is named: "tool version changed"', () =>
  withProject('imgbuild-reasons-', (p) => {
    p.write('pipeline.config.ts', CONFIG);
    p.write('incoming/a.txt', 'alpha');
    assert.is(p.json(['all']).code, 0);
    const upgraded = p.cli(['all', '--dry-run', '--json'], { SHOUTER_VERSION: '2.0' });
    const run = JSON.parse(upgraded.stdout).run as Array<{ id: string; why: string; reason: string }>;
    assert.equal(run.map((r) => [r.id, r.reason, r.why]), [['upper:a', 'tools-changed', 'tool version changed: shouter']]);
  }));

test('a same-size edit of a built output is not accepted as fresh, with or without a no-op snapshot', () =>
  withProject('imgbuild-reasons-', (p) => {
    p.write('pipeline.config.ts', TEXT_PIPELINE());
    p.write('incoming/a.txt', 'alpha');
    assert.is(p.json(['all']).code, 0);
    ageFiles(p.path('incoming'));
    ageFiles(p.path('work'));
    assert.equal(p.json(['all']).report.ran, []); // settles the no-op snapshot over aged files
    const out = p.path('work/a/upper.txt');
    const before = fs.readFileSync(out, 'utf8');
    fs.writeFileSync(out, before.toLowerCase());
    assert.is(fs.statSync(out).size, Buffer.byteLength(before), 'same size');
    const dry = p.json(['all', '--dry-run']).report;
    assert.equal(dry.run!.map((r) => [r.id, r.why]), [['upper:a', 'output modified: work/a/upper.txt']]);
    assert.equal(ids(p.json(['all']).report.ran), ['upper:a']);
    assert.is(fs.readFileSync(out, 'utf8'), before);
  }));

test.run();
