// Rule `feed-index`: after publishing, record in the repository's feed index (src/feeds/feed-index.ts) which
// feed entry each data set was made from, and what the feed step learnt of data sets that are not ours to make,
// so the next refresh knows from one GET. An entry is recorded only for a data set whose manifest carries its
// publish node's key: a skipped, rejected or failed publish is not recorded, and is listed again next time.
import path from 'node:path';
import { defineRule } from '../../src/graph/rule.js';
import { readItemList } from '../../src/graph/item-list.js';
import { readManifest } from '../../src/repo/data-set-manifest.js';
import { updateFeedIndex } from '../../src/feeds/feed-index.js';
import { FEED_LIST, type FeedItemData } from './feed.js';

export default defineRule({
  name: 'feed-index',
  version: 1,
  description: "record what each published data set was made from in the repository's feed index",
  aggregate: 'publish',
  publishes: true,
  inputs: (node) => ({ list: path.join(node.settings.work, FEED_LIST) }),
  run: async (ctx) => {
    const list = readItemList(ctx.inputs['list']!);
    if (list === undefined) return;
    const digests = new Map(list.items.map((i) => [i.id, (i.data as unknown as FeedItemData).digest]));
    const published: Array<[string, string]> = [];
    for (const view of ctx.upstream('publish')) {
      const digest = digests.get(view.item);
      if (digest === undefined) continue;
      const manifest = await readManifest(ctx.repository, view.item);
      if (manifest?.key === view.key) published.push([view.item, digest]);
    }
    const learnt = ((list.extra as { learnt?: Record<string, 'other' | 'skip'> } | undefined)?.learnt ?? {}) as Record<string, 'other' | 'skip'>;
    if (published.length === 0 && Object.keys(learnt).length === 0) return;
    await updateFeedIndex(ctx.repository, (items) => {
      for (const [id, by] of Object.entries(learnt)) items[id] = { by };
      for (const [id, digest] of published) items[id] = { digest };
    });
    ctx.log(`feed index: ${published.length} published, ${Object.keys(learnt).length} learnt`);
  },
});
