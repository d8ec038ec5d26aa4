// Rule `feed-index`: after publishing, record in the repository's feed index (src/feeds/feed-index.ts) which
// feed entry each data set was made from, and what the feed step learnt of data sets that are not ours to make,
// so the next refresh knows from one GET. An entry is recorded only for a data set whose manifest carries its
// publish node's key: a skipped, rejected or failed publish is not recorded, and is listed again next time.
import path from 'node:path';
import { defineRule, optionalInput } from '../../src/graph/rule.js';
import { readItemList } from '../../src/graph/item-list.js';
import { readManifest } from '../../src/repo/data-set-manifest.js';
import { updateFeedIndex } from '../../src/feeds/feed-index.js';
import { withdrawDataSet } from '../../src/repo/withdraw-data-set.js';
import { FEED_LIST, type FeedItemData } from './feed.js';

export default defineRule({
  name: 'feed-index',
  version: 1,
  description: "record what each published data set was made from in the repository's feed index",
  aggregate: 'publish',
  publishes: true,
  // It acts on the repository: nothing of it can come from a remote cache.
  cache: false,
  // Optional: a dry run reads the feed into a scratch folder, so the list is not in the work folder yet.
  // --prune-removed: data sets of items the feed no longer offers are withdrawn (src/repo/withdraw-data-set.ts).
  params: (settings) => ({ pruneRemoved: settings.pruneRemoved ?? false }),
  inputs: (node) => ({ list: optionalInput(path.join(node.settings.work, FEED_LIST)) }),
  run: async (ctx) => {
    const list = ctx.inputs['list'] === undefined ? undefined : readItemList(ctx.inputs['list']);
    if (list === undefined) return;
    const digests = new Map(list.items.map((i) => [i.id, (i.data as unknown as FeedItemData).digest]));
    const published: Array<[string, string]> = [];
    for (const view of ctx.upstream('publish')) {
      const digest = digests.get(view.item);
      if (digest === undefined) continue;
      const manifest = await readManifest(ctx.repository, view.item);
      if (manifest?.key === view.key) published.push([view.item, digest]);
    }
    const extra = (list.extra ?? {}) as { learnt?: Record<string, 'other' | 'skip'>; removed?: string[] };
    const learnt = extra.learnt ?? {};
    const withdrawn: string[] = [];
    if (ctx.params['pruneRemoved'] === true) {
      for (const id of extra.removed ?? []) {
        ctx.status(`withdrawing ${id}`);
        const { removed } = await withdrawDataSet(ctx.repository, id);
        ctx.log(`withdrew ${id} (${removed} files): the feed no longer offers it`);
        withdrawn.push(id);
      }
    }
    if (published.length === 0 && Object.keys(learnt).length === 0 && withdrawn.length === 0) return;
    await updateFeedIndex(ctx.repository, (items) => {
      for (const [id, by] of Object.entries(learnt)) items[id] = { by };
      for (const [id, digest] of published) items[id] = { digest };
      for (const id of withdrawn) delete items[id];
    });
    ctx.log(`feed index: ${published.length} published, ${Object.keys(learnt).length} learnt, ${withdrawn.length} withdrawn`);
  },
});
