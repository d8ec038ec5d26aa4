// What upstream rules declare they publish, gathered into a data set's file list (docs/seams.md §5).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunContext, UpstreamView } from '../src/graph/rule.js';
import { defineRule } from '../src/graph/rule.js';
import { publishedFiles } from '../src/repo/published-files.js';

function context(views: Record<string, UpstreamView[]>): RunContext {
  return { upstream: (rule: string) => views[rule] ?? [] } as unknown as RunContext;
}

function view(rule: string, published: UpstreamView['published'], files: UpstreamView['files']): UpstreamView {
  return { id: `${rule}:m31`, rule, item: 'm31', key: 'k', outputs: {}, files, published };
}

const file = (path: string, relative = '') => ({ path, relative, size: 1, hash: 'h' });

test('a folder output goes under its folder (with or without the slash), a file output is named or keeps its name', () => {
  const files = publishedFiles(
    context({
      tiles: [view('tiles', [{ output: 'tiles', as: '' }], { tiles: [file('/w/m31/tiles/0/0/0_0.png', '0/0/0_0.png')] })],
      logs: [view('logs', [{ output: 'dir', as: 'logs' }], { dir: [file('/w/m31/logs/a.log', 'a.log')] })],
      thumb: [view('thumb', [{ output: 't', as: 'thumb.jpg' }, { output: 'p', as: 'previews/' }], { t: [file('/w/m31/t.jpg')], p: [file('/w/m31/p.jpg')] })],
    }),
    ['tiles', 'logs', 'thumb'],
  );
  assert.equal(
    files.map((f) => f.path),
    ['0/0/0_0.png', 'logs/a.log', 'thumb.jpg', 'previews/p.jpg'],
  );
});

test('two outputs published as one path, or a declared output the rule lacks, is an error naming them', () => {
  const clash = context({
    a: [view('a', [{ output: 'x', as: 'same.jpg' }], { x: [file('/w/a.jpg')] })],
    b: [view('b', [{ output: 'y', as: 'same.jpg' }], { y: [file('/w/b.jpg')] })],
  });
  assert.throws(() => publishedFiles(clash, ['a', 'b']), /two outputs would be published as same\.jpg: \/w\/a\.jpg and \/w\/b\.jpg/);
  const missing = context({ a: [view('a', [{ output: 'nope', as: '' }], { x: [file('/w/a.jpg')] })] });
  assert.throws(() => publishedFiles(missing, ['a']), /rule a says it publishes its output nope, but it has no output of that name/);
});

test("a publish path outside the data set ('..', absolute, backslashes, empty parts) is refused where the rule is defined", () => {
  for (const as of ['../x', '/abs', 'a\\b', 'a//b', './x', 'a/..']) {
    assert.throws(
      () => defineRule({ name: 'r', version: 1, publish: [{ output: 'o', as }], run: () => undefined }),
      /each publish entry is \{ output: 'name', as: 'path in the data set' \} with a relative path/,
      as,
    );
  }
  defineRule({ name: 'r', version: 1, publish: [{ output: 'o', as: 'previews/' }, { output: 'p', as: '' }], run: () => undefined });
});

test.run();
