// Several files make one node (an exposure's header, FITS and JPEGs), from several patterns; a file the group
// function refuses is its own error; a new member reruns its group's node in a running session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph } from '../src/graph/build-graph.js';
import { defineRule } from '../src/graph/rule.js';
import { resolveRepository, resolveSettings } from '../src/config/resolve-settings.js';
import { BuildSession } from '../src/run/build-session.js';

const members = defineRule({
  name: 'members',
  version: 1,
  forEach: {
    files: ['{name}', 'sub/{name}'],
    group: ({ relative }) => {
      const base = path.posix.basename(relative);
      const m = /^([a-z]+)-\d+\.[a-z]+$/.exec(base);
      return m ? { id: m[1]!, wildcards: { base: m[1]! } } : { problem: `${relative} is not NAME-N.EXT: rename it` };
    },
  },
  inputs: (n) => Object.fromEntries(n.files!.map((f, i) => [`m${i}`, f])),
  outputs: (n) => ({ list: `${n.item}.list` }),
  run: (ctx) => fs.writeFileSync(ctx.outputs['list']!, Object.values(ctx.inputs).map((f) => path.basename(f!)).join(',')),
});

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-groups-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'incoming', name)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'incoming', name), text);
  }
  return dir;
}

test('files of one group are one node, from every pattern, members sorted; a refused file is its own error', () => {
  const dir = project({ 'a-1.txt': '1', 'a-2.jpg': '2', 'sub/a-3.fits': '3', 'b-1.txt': 'b', 'bad name.txt': 'x' });
  try {
    const settings = resolveSettings({}, dir, {}, dir, resolveRepository({}, dir, {}, dir));
    const graph = buildGraph([members], settings);
    assert.equal(graph.nodes.map((n) => n.id), ['members:a', 'members:b']);
    const a = graph.nodes[0]!;
    assert.equal(a.files!.map((f) => path.relative(path.join(dir, 'incoming'), f)), ['a-1.txt', 'a-2.jpg', 'sub/a-3.fits']);
    assert.equal(a.wildcards, { base: 'a' });
    assert.equal(graph.rejected.map((r) => r.message), ['incoming/bad name.txt bad name.txt is not NAME-N.EXT: rename it']);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('a member arriving later reruns its group node alone', async () => {
  const dir = project({ 'a-1.txt': '1', 'b-1.txt': 'b' });
  const session = await BuildSession.open({ config: { rules: [members] }, projectDir: dir, cwd: dir, defaultRules: [], targets: ['all'] });
  try {
    await session.runOnce();
    const late = path.join(dir, 'incoming', 'sub', 'a-9.jpg');
    fs.mkdirSync(path.dirname(late));
    fs.writeFileSync(late, 'late');
    const { summary } = await session.runOnce({ changed: [late] });
    assert.equal(summary.ran.map((r) => r.id), ['members:a']);
    assert.is(fs.readFileSync(path.join(dir, 'work', 'a.list'), 'utf8'), 'a-1.txt,a-9.jpg');
  } finally {
    session.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test.run();
