// Two graph rules the FITS study pipeline relies on: a `!` pattern keeps files out of a source (a .wcs.fits
// sidecar is no image, and no rule's file is listed as unclaimed for matching it), and `after` a rule that
// makes nodes only for some items (`onlyFor`) joins the items it has and leaves the others alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph } from '../src/graph/build-graph.js';
import { compilePattern, takenBy } from '../src/graph/pattern.js';
import { defineRule } from '../src/graph/rule.js';
import { resolveRepository, resolveSettings } from '../src/config/resolve-settings.js';

function project(files: readonly string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-exclude-'));
  fs.mkdirSync(path.join(dir, 'incoming'));
  for (const name of files) fs.writeFileSync(path.join(dir, 'incoming', name), name);
  return dir;
}

const noop = (): void => undefined;
const images = defineRule({ name: 'images', version: 1, forEach: { files: ['!{id}.wcs.fits', '{id}.{ext:jpg}', '{id}.{ext:fits}'] }, run: noop });
const fitsOnly = defineRule({ name: 'fits-only', version: 1, forEach: 'images', onlyFor: (n) => n.wildcards['ext'] === 'fits', run: noop });
const every = defineRule({ name: 'every', version: 1, forEach: 'images', after: ['fits-only'], run: noop });
const unfiltered = defineRule({ name: 'unfiltered', version: 1, forEach: 'images', run: noop });

test('a `!` pattern: matched files are taken by no pattern of the source', () => {
  const patterns = ['!{id}.wcs.fits', '{id}.{ext:jpg}', '{id}.{ext:fits}'].map(compilePattern);
  assert.equal(patterns.map((p) => p.exclude), [true, false, false]);
  assert.is(takenBy(patterns, 'm31.wcs.fits'), undefined);
  assert.equal(takenBy(patterns, 'm31.fits')?.wildcards, { id: 'm31', ext: 'fits' });
  assert.equal(takenBy(patterns, 'm31.jpg')?.wildcards, { id: 'm31', ext: 'jpg' });
  assert.is(takenBy(patterns, 'm31.png'), undefined);
});

test('sidecars make no node and, with no image beside them, are listed as unclaimed; `after` an onlyFor rule joins where it can', () => {
  const dir = project(['m31.jpg', 'm31.wcs.fits', 'ngc1.fits', 'lonely.wcs.fits']);
  try {
    const settings = resolveSettings({}, dir, {}, dir, resolveRepository({}, dir, {}, dir));
    const graph = buildGraph([images, fitsOnly, every], settings);
    assert.equal(graph.nodes.map((n) => n.id), ['images:m31', 'images:ngc1', 'fits-only:ngc1', 'every:m31', 'every:ngc1']);
    const upstream = (id: string): string[] => graph.nodes.find((n) => n.id === id)!.upstream.map((u) => u.id);
    assert.equal(upstream('every:m31'), ['images:m31']);
    assert.equal(upstream('every:ngc1'), ['images:ngc1', 'fits-only:ngc1']);
    // Nothing reads the sidecars in this graph, so both are files no rule takes.
    assert.equal(graph.unclaimed, ['incoming/lonely.wcs.fits', 'incoming/m31.wcs.fits']);
    // A partner without onlyFor must still have a node for every item.
    const strict = defineRule({ name: 'strict', version: 1, forEach: 'images', after: ['unfiltered'], run: noop });
    const partial = defineRule({ name: 'unfiltered', version: 1, forEach: { files: '{id}.fits' }, run: noop });
    assert.throws(() => buildGraph([images, partial, strict], settings), /rule strict needs unfiltered for item "m31", but unfiltered has no node for it/);
    assert.ok(buildGraph([images, unfiltered, strict], settings));
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test.run();
