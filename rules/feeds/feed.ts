// Rule `feed`: toasty's fetch stage, step one — read the feed (AstroPix or Djangoplicity) and list the items
// that need building: new ones, changed ones, and ones that failed before. What is already published from the
// same entry, published by another tool, or has a skip.flag is left out, decided from one GET of the repository's
// feed index and one listing (src/feeds/pending-items.ts). Its list is expanded into fetch → place → tiles →
// … nodes in the same build (docs/seams.md §3).
import fs from 'node:fs';
import path from 'node:path';
import { defineRule, type Json, type Params } from '../../src/graph/rule.js';
import { writeItemList, type ListedItem, type RefusedItem } from '../../src/graph/item-list.js';
import { feedSourceOf } from '../../src/feeds/feed-source.js';
import { type FeedCache, getText, readFeed } from '../../src/feeds/read-feed.js';
import { entryDigest, pendingItems } from '../../src/feeds/pending-items.js';
import { djangoplicityMetadata, metadataUrl } from '../../src/feeds/djangoplicity.js';
import { FeedFieldError, type FeedMetadata } from '../../src/feeds/feed-item.js';
import { FeedError } from '../../src/feeds/feed-error.js';
import { shortUrl } from '../../src/feeds/download.js';
import { plural } from '../../src/cli/plural.js';

export const FEED_LIST = 'imgbuild-feed.json';
const FEED_SOURCE = 'imgbuild-feed-source.json';

/** The data of a listed feed item: what its fetch node is keyed on. */
export interface FeedItemData {
  /** Digest of the feed's entry as offered (what the feed index records once it is published). */
  readonly digest: string;
  readonly item: FeedMetadata;
}

export default defineRule({
  name: 'feed',
  version: 1,
  description: "read the feed and list its new and changed images (toasty's fetch stage)",
  produces: 'items',
  alwaysRun: 'the feed is read on every build',
  outputs: () => ({ items: FEED_LIST, source: FEED_SOURCE }),
  params: (settings): Params => ({ source: settings.source ? ({ type: settings.source.type, ...settings.source.settings } as Json) : null }),
  requires: (settings) => {
    if (settings.source === undefined) return 'no feed is set: set source_type (and its section) in toasty-pipeline-config.yaml, source in pipeline.config.ts, or pass --source-type and --source-url';
    try {
      feedSourceOf(settings.source);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  },
  run: async (ctx) => {
    const source = feedSourceOf(ctx.settings.source!);
    const previous = readPrevious(path.join(ctx.settings.work, FEED_SOURCE));
    const read = await readFeed(source, previous, ctx.signal, (step) => ctx.status(step));
    fs.writeFileSync(ctx.outputs['source']!, JSON.stringify(read.cache ?? {}));
    for (const line of read.reading.ignored) ctx.warn(line);
    ctx.status('comparing with the repository');
    const pending = await pendingItems(read.reading.candidates, ctx.repository);
    const refused: RefusedItem[] = [...read.reading.refused];
    const items: ListedItem[] = [];
    // Djangoplicity lists ids; each pending one's metadata comes from its api/json page (only for those).
    let next = 0;
    const describe = async (): Promise<void> => {
      while (next < pending.items.length) {
        const listed = pending.items[next++]!;
        const digest = entryDigest(listed.data);
        const entry = listed.data as { source?: string; baseUrl?: string };
        try {
          let item: FeedMetadata;
          if (entry.source === 'djangoplicity') {
            const url = metadataUrl({ baseUrl: entry.baseUrl! }, listed.id);
            ctx.status(`reading ${listed.id}'s metadata`);
            const answer = await getText(url, { accept: 'application/json' }, ctx.signal);
            if (answer.status !== 200) throw new FeedFieldError(`its metadata ${shortUrl(url)} answered ${answer.status}`);
            let parsed: unknown;
            try {
              parsed = JSON.parse(answer.body);
            } catch {
              throw new FeedFieldError(`its metadata ${shortUrl(url)} is not JSON`);
            }
            const described = djangoplicityMetadata(parsed, entry.baseUrl!);
            if ('ignored' in described) {
              ctx.warn(`${listed.id}: ${described.ignored}`);
              continue;
            }
            item = described;
          } else {
            const { source: _source, ...rest } = listed.data as unknown as FeedMetadata & { source: string };
            item = rest;
          }
          items.push({ id: listed.id, data: { digest, item } as unknown as Json, ...(listed.why !== undefined ? { why: listed.why } : {}) });
        } catch (error) {
          if (!(error instanceof FeedFieldError) && !(error instanceof FeedError)) throw error;
          refused.push({ id: listed.id, problem: `${error.message}; it is left out` });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, pending.items.length) }, describe));
    writeItemList(ctx.outputs['items']!, { items, refused, problems: read.reading.problems, extra: { learnt: pending.learnt, removed: pending.removed } });
    const offered = read.reading.candidates.length;
    ctx.log(
      `${plural(offered, 'item')} in the feed${read.notModified ? ' (unchanged since the last read)' : ''}: ${items.length} to build, ${pending.done} published, ` +
        `${pending.skipped} skipped (published by another tool or skip.flag), ${refused.length} refused; ${plural(read.requests, 'request')} to the feed`,
    );
    if (pending.removed.length > 0 && !ctx.settings.pruneRemoved) {
      ctx.log(`${plural(pending.removed.length, 'published item')} the feed no longer offers stay published (--prune-removed withdraws them)`);
    }
  },
});

function readPrevious(file: string): FeedCache | undefined {
  try {
    const cache = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<FeedCache>;
    return typeof cache.url === 'string' && typeof cache.body === 'string' ? (cache as FeedCache) : undefined;
  } catch {
    return undefined;
  }
}
