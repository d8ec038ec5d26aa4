// Dynamic expansion (docs/seams.md §3): a rule that lists items, and rules over its items expanded in the same
// build, in the dry run's plan and in the no-op path; one changed item reruns alone; a refused item is its own
// failure. A user's producer, written with the public API, not the feed rules.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ageFiles, ids, TempProject } from './helpers/project.js';

const CONFIG = `import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, defineRule, writeItemList } from 'imgbuild';
const list = defineRule({
  name: 'list', version: 1, produces: 'items', alwaysRun: 'the catalogue is read on every build',
  outputs: () => ({ items: 'items.json' }),
  run: (ctx) => {
    const lines = fs.readFileSync(path.join(ctx.settings.projectDir, 'catalogue.txt'), 'utf8').split('\\n').filter(Boolean);
    writeItemList(ctx.outputs['items']!, {
      items: lines.filter((l) => !l.startsWith('!')).map((l) => ({ id: l.split('=')[0]!, data: { text: l.split('=')[1]! }, why: 'in the catalogue' })),
      refused: lines.filter((l) => l.startsWith('!')).map((l) => ({ id: l.slice(1), problem: 'is marked broken in catalogue.txt' })),
    });
  },
});
const write = defineRule({
  name: 'write', version: 1, forEach: 'list', outputs: (n) => ({ out: n.item + '.txt' }),
  run: (ctx) => fs.writeFileSync(ctx.outputs['out']!, String((ctx.data as { text: string }).text)),
});
const upper = defineRule({
  name: 'upper', version: 1, forEach: 'write', outputs: (n) => ({ out: n.item + '.upper.txt' }),
  run: (ctx) => fs.writeFileSync(ctx.outputs['out']!, fs.readFileSync(ctx.upstream('write')[0]!.outputs['out']!, 'utf8').toUpperCase()),
});
export default defineConfig({ rules: [list, write, upper] });
`;

test('items a rule lists are expanded in the same build, in the dry run, and in the no-op path; one changed item reruns alone', () => {
  const p = new TempProject('imgbuild-dynamic-');
  try {
    p.write('pipeline.config.ts', CONFIG);
    p.write('catalogue.txt', 'a=alpha\nb=beta\n');
    const dry = p.json(['all', '--dry-run']);
    assert.is(dry.code, 0, dry.stderr);
    assert.equal(ids(dry.report.run), ['list', 'upper:a', 'upper:b', 'write:a', 'write:b']);
    assert.equal((dry.report.run ?? []).find((r) => r.id === 'write:a')?.why, 'in the catalogue');
    assert.not.ok(fs.existsSync(p.path('work')), 'a dry run writes nothing');

    const first = p.json(['all']);
    assert.is(first.code, 0, first.stderr);
    assert.equal(ids(first.report.ran), ['list', 'upper:a', 'upper:b', 'write:a', 'write:b']);
    assert.is(fs.readFileSync(p.path('work/b.upper.txt'), 'utf8'), 'BETA');

    // The list is read again and is the same: nothing else runs, and the no-op is remembered.
    ageFiles(p.path('work'));
    ageFiles(p.path('cache'));
    const again = p.json(['all']);
    assert.equal(ids(again.report.ran), ['list']);
    assert.is(again.report.fresh, 4);
    ageFiles(p.path('work'));
    const settled = p.cli(['all', '-v']);
    const remembered = p.cli(['all', '-v']);
    assert.match(remembered.stdout, /1 ran, 0 failed, 4 up to date \(.*\) \(no file changed since the last no-op\)/, settled.stdout + remembered.stdout);

    // One item changes, one is added, one is refused: only what changed runs; the refusal is its own error.
    p.write('catalogue.txt', 'a=alpha\nb=BETA!\nc=gamma\n!d\n');
    const changed = p.json(['all']);
    assert.is(changed.code, 1, changed.stderr);
    assert.equal(ids(changed.report.ran), ['list', 'upper:b', 'upper:c', 'write:b', 'write:c']);
    assert.equal((changed.report.ran ?? []).find((r) => r.id === 'write:b')?.why, 'in the catalogue');
    assert.equal((changed.report.failed ?? []).map((f) => f.error), ['list: item "d" is marked broken in catalogue.txt']);
    assert.is(fs.readFileSync(p.path('work/b.upper.txt'), 'utf8'), 'BETA!');
  } finally {
    p.remove();
  }
});

test('a rule over a producer takes it with forEach, not after or aggregate; a producer makes one node', () => {
  const p = new TempProject('imgbuild-dynamic-');
  try {
    p.write('pipeline.config.ts', CONFIG.replace("forEach: 'write', outputs", "forEach: 'write', after: ['list'], outputs"));
    p.write('catalogue.txt', 'a=alpha\n');
    const run = p.cli(['all']);
    assert.is(run.code, 2, run.stderr);
    assert.match(run.stderr, /rule upper: list lists items; take them with forEach: 'list', not after/);
    p.write('pipeline.config.ts', CONFIG.replace("produces: 'items',", "produces: 'items', forEach: { files: '*.txt' },"));
    const twice = p.cli(['all']);
    assert.is(twice.code, 2);
    assert.match(twice.stderr, /produces: 'items' makes one node that lists items; it takes no forEach or aggregate/);
  } finally {
    p.remove();
  }
});

test.run();
