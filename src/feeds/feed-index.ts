// The repository's record of what each feed item was published from: `imgbuild-feed-index.json` at its top,
// id → the digest of the feed entry its data set was made from (or why it is not ours to make: published by
// another tool, or a skip.flag). One GET tells a feed refresh which of thousands of items are new or changed,
// instead of one request per data set. Updated with conditional writes (ETag), so two builds that publish at
// once both land their entries; a data set's own manifest stays the truth, this only saves round trips.
import type { Repository } from '../repo/repository.js';

export const FEED_INDEX = 'imgbuild-feed-index.json';

export type FeedIndexEntry = { readonly digest: string } | { readonly by: 'other' | 'skip' };

export interface FeedIndex {
  readonly items: Readonly<Record<string, FeedIndexEntry>>;
}

const FORMAT = 'imgbuild-feed-index-1';

function parse(body: Buffer | undefined): Record<string, FeedIndexEntry> {
  if (body === undefined) return {};
  try {
    const document = JSON.parse(body.toString('utf8')) as { format?: string; items?: Record<string, FeedIndexEntry> };
    return document.format === FORMAT && document.items && typeof document.items === 'object' ? { ...document.items } : {};
  } catch {
    // A broken index only costs round trips: every data set is looked at again and the index rewritten.
    return {};
  }
}

export async function readFeedIndex(repository: Repository): Promise<FeedIndex> {
  return { items: parse(await repository.get(FEED_INDEX)) };
}

/** Apply `change` to the index, retrying when another writer got there first. */
export async function updateFeedIndex(repository: Repository, change: (items: Record<string, FeedIndexEntry>) => void, attempts = 20): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await repository.getVersioned(FEED_INDEX);
    const items = parse(current?.body);
    change(items);
    const body = Buffer.from(JSON.stringify({ format: FORMAT, items }) + '\n');
    const written = current === undefined ? await repository.createExclusive(FEED_INDEX, body) : (await repository.putIfMatch(FEED_INDEX, body, current.etag)) !== undefined;
    if (written) return;
    if (attempt >= attempts) throw new Error(`could not update ${FEED_INDEX} in ${repository.description}: other writers kept changing it`);
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 50 * attempt));
  }
}
