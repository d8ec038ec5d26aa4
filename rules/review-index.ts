// Rule `review-index`: the work folder laid out for review exactly as it will be published, and
// work/index_rel.wtml listing every data set built in the work folder (toasty's `wwtdatatool wtml merge`, done for
// you). Serve the work folder (`imgbuild serve`, or any static server) and load work/index_rel.wtml in WWT: every
// data set shows.
//
// A data set's tiles are one folder output (`<id>/tiles/`, moved into place whole when built); its published
// layout puts their levels at the data set's top (`<id>/{level}/{y}/{y}_{x}.png`). So each `work/<id>/<level>`
// is a relative link to `tiles/<level>`: made once, it follows every rebuild of the tiles, and copies nothing.
import fs from 'node:fs';
import path from 'node:path';
import { defineRule } from '../src/graph/rule.js';
import { firstEntry, workIndexWtml } from '../src/wwt/wtml.js';

export default defineRule({
  name: 'review-index',
  // It makes links in every data set's work folder, outside its own outputs: it always runs here.
  cache: false,
  version: 1,
  description: 'work/index_rel.wtml (every built data set) and each work/<id>/ laid out as it will be published',
  aggregate: 'wtml',
  // What the WTML entries point at is there when it is written.
  after: ['tiles', 'thumbnail'],
  // It lists the work folder, where a data set stays when its input goes (or a feed no longer lists it).
  unaffectedByRemovedUpstream: true,
  outputs: () => ({ index: 'index_rel.wtml' }),
  params: (settings) => ({ folderName: settings.folderName }),
  paramTypes: { folderName: { type: 'string' } },
  run: (ctx) => {
    // Every data set built in the work folder (this build's and earlier ones'), not only this graph's.
    const entries: Array<{ id: string; entry: string }> = [];
    for (const dirent of fs.readdirSync(ctx.settings.work, { withFileTypes: true })) {
      if (!dirent.isDirectory() || dirent.name.startsWith('.')) continue;
      const dir = path.join(ctx.settings.work, dirent.name);
      const wtml = path.join(dir, 'index_rel.wtml');
      if (!fs.existsSync(wtml)) continue;
      const entry = firstEntry(fs.readFileSync(wtml, 'utf8'));
      if (entry === undefined) continue;
      entries.push({ id: dirent.name, entry });
      // Made before the tiles may be there (they are built beside this): a link waits for its level.
      linkLevels(dir, Number(/\bTileLevels="(\d+)"/.exec(entry)?.[1] ?? 0));
    }
    fs.writeFileSync(ctx.outputs['index']!, workIndexWtml(`${String(ctx.params['folderName'])} (for review)`, entries));
    ctx.log(`${entries.length} data sets in work/index_rel.wtml`);
  },
});

/** `dir/<level>` → `tiles/<level>` for levels 0…deepest; links to levels no longer there are removed. */
function linkLevels(dir: string, deepest: number): void {
  for (const name of fs.readdirSync(dir)) {
    if (/^\d+$/.test(name) && Number(name) > deepest && fs.lstatSync(path.join(dir, name)).isSymbolicLink()) fs.rmSync(path.join(dir, name));
  }
  for (let level = 0; level <= deepest; level++) {
    const link = path.join(dir, String(level));
    const target = path.join('tiles', String(level));
    const existing = fs.lstatSync(link, { throwIfNoEntry: false });
    if (existing?.isSymbolicLink() && fs.readlinkSync(link) === target) continue;
    if (existing !== undefined) fs.rmSync(link, { recursive: true, force: true });
    // Windows makes directory links as junctions, which need an absolute target.
    if (process.platform === 'win32') fs.symlinkSync(path.join(dir, target), link, 'junction');
    else fs.symlinkSync(target, link, 'dir');
  }
}
