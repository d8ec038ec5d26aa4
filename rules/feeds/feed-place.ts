// Rule `place` of a feed pipeline: the placement of each fetched image from its feed entry, as JSON that the
// tiles, thumbnail and WTML rules read (the same record the incoming pipeline's place rule writes).
import fs from 'node:fs';
import { defineRule } from '../../src/graph/rule.js';
import { placeFeedImage } from '../../src/feeds/place-feed-image.js';
import type { FeedMetadata } from '../../src/feeds/feed-item.js';
import { sharpVersions } from '../../src/wwt/sharp-loader.js';

export default defineRule({
  name: 'place',
  version: 1,
  description: "place each fetched feed image on the sky from the feed's own placement",
  forEach: 'fetch',
  outputs: (node) => ({ placement: `${node.item}/placement.json` }),
  tools: sharpVersions,
  run: async (ctx) => {
    const fetched = ctx.upstream('fetch')[0];
    if (!fetched) throw new Error('the feed place rule must follow fetch');
    const item = JSON.parse(fs.readFileSync(fetched.outputs['meta']!, 'utf8')) as FeedMetadata;
    const placement = await placeFeedImage(fetched.outputs['image']!, item, ctx.item);
    fs.writeFileSync(ctx.outputs['placement']!, JSON.stringify(placement, null, 1));
  },
});
