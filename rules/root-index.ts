// Rule `index`: the repository's root index.wtml, the first Place of every published data set, newest first.
// It reads the repository, not the work folder, so it lists data sets published by earlier runs too.
import { defineRule, type RunContext } from '../src/graph/rule.js';
import { withRepositoryLock } from '../src/repo/repository-lock.js';
import { readManifest } from '../src/repo/data-set-manifest.js';
import { PROGRESS_NAME } from '../src/repo/publish-data-set.js';
import { ROOT_INDEX_LOCK } from '../src/repo/root-index-withdrawal.js';
import { firstEntry, rootIndexWtml, type RootIndexEntry } from '../src/wwt/wtml.js';

export default defineRule({
  name: 'index',
  version: 1,
  description: "rebuild the repository's root index.wtml",
  aggregate: 'publish',
  publishes: true,
  // It acts on the repository: nothing of it can come from a remote cache.
  cache: false,
  // It lists the repository: an input removed from incoming leaves its data set published, and the index as it is.
  unaffectedByRemovedUpstream: true,
  params: (settings) => ({ folderName: settings.folderName, folderThumbnailUrl: settings.folderThumbnailUrl }),
  paramTypes: { folderName: { type: 'string' }, folderThumbnailUrl: { type: 'string' } },
  checkReadsOnlyRepository: true,
  check: async (ctx) => ((await ctx.repository.get('index.wtml')) === undefined ? 'the repository has no root index.wtml' : undefined),
  // Serialised with other publishers' reindexes, and listing only once the lock is held, so the last index
  // written includes every data set published before it started.
  run: (ctx) => withRepositoryLock(ctx.repository, ROOT_INDEX_LOCK, 'rebuilding the root index', () => reindex(ctx), { waitMs: 60_000 }),
});

async function reindex(ctx: RunContext): Promise<void> {
  if (ctx.settings.folderNameDefaulted) {
    ctx.warn(
      `no folder_name is set, so the root index is named after the repository (${JSON.stringify(ctx.settings.folderName)}); ` +
        'set folder_name (and folder_thumbnail_url) in the repository\'s imgbuild-pipeline-config.yaml, or folderName in pipeline.config.ts',
    );
  }
  const entries: RootIndexEntry[] = [];
  for (const id of await ctx.repository.folders('')) {
    const wtml = await ctx.repository.get(`${id}/index.wtml`);
    const place = wtml && firstEntry(wtml.toString('utf8'));
    if (!place) continue;
    // A data set being (re)published by imgbuild is left out until its manifest is written and its progress
    // record gone: a root-index entry always points at a complete data set.
    if ((await ctx.repository.get(`${id}/${PROGRESS_NAME}`)) !== undefined) continue;
    const manifest = await readManifest(ctx.repository, id);
    // A data set published by toasty has no manifest: it sorts as oldest. A feed's date, when it gave one, orders.
    entries.push({ placeXml: place, lastUpdated: manifest?.sourcePublishedAt ?? manifest?.publishedAt ?? '' });
  }
  const xml = rootIndexWtml(String(ctx.params['folderName']), String(ctx.params['folderThumbnailUrl']), entries);
  await ctx.repository.put('index.wtml', Buffer.from(xml), { contentType: 'text/xml', cacheControl: 'public, max-age=300' });
  ctx.log(`indexed ${entries.length} data sets`);
}
