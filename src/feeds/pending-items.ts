// Which of a feed's items need work, from one GET of the feed index and one listing of the repository's
// folders: an item published from this very entry is done; one published by another tool (toasty's index.wtml
// without our manifest) or with a skip.flag is not ours to make; everything else is listed with why. Only data
// sets the index does not know yet are looked at one by one (a toasty-made repository, once).
import { canonicalJson } from '../cache/node-key.js';
import { sha256 } from '../cache/file-hasher.js';
import type { ListedItem } from '../graph/item-list.js';
import type { Json } from '../graph/rule.js';
import { MANIFEST_NAME } from '../repo/data-set-manifest.js';
import type { Repository } from '../repo/repository.js';
import type { FeedCandidate } from './feed-reading.js';
import { type FeedIndexEntry, readFeedIndex } from './feed-index.js';

export interface PendingItems {
  readonly items: ListedItem[];
  /** What was learnt about data sets the index did not know (written into it after the build). */
  readonly learnt: Record<string, 'other' | 'skip'>;
  readonly done: number;
  readonly skipped: number;
  /** Items in the index the feed no longer offers (left published). */
  readonly removed: string[];
}

export function entryDigest(data: Json): string {
  return sha256(canonicalJson(data));
}

const LOOKUPS_AT_ONCE = 16;

export async function pendingItems(candidates: readonly FeedCandidate[], repository: Repository): Promise<PendingItems> {
  const [index, folders] = await Promise.all([readFeedIndex(repository), repository.folders('').then((names) => new Set(names))]);
  const items: ListedItem[] = [];
  const learnt: Record<string, 'other' | 'skip'> = {};
  let done = 0;
  let skipped = 0;
  const lookups: Array<{ candidate: FeedCandidate; digest: string; entry: FeedIndexEntry | undefined }> = [];
  for (const candidate of candidates) {
    const digest = entryDigest(candidate.data);
    const entry = index.items[candidate.id];
    if (entry !== undefined && 'digest' in entry && entry.digest === digest && folders.has(candidate.id)) done++;
    else if (entry !== undefined && 'by' in entry && entry.by === 'other' && folders.has(candidate.id)) skipped++;
    else if (!folders.has(candidate.id)) {
      items.push({ id: candidate.id, data: candidate.data, why: entry !== undefined && 'digest' in entry ? 'published before, but gone from the repository' : 'new in the feed' });
    } else lookups.push({ candidate, digest, entry });
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lookups.length) {
      const { candidate, entry } = lookups[next++]!;
      const id = candidate.id;
      if ((await repository.get(`${id}/skip.flag`)) !== undefined) {
        learnt[id] = 'skip';
        skipped++;
        continue;
      }
      const ours = (await repository.get(`${id}/${MANIFEST_NAME}`)) !== undefined;
      if (!ours && (await repository.get(`${id}/index.wtml`)) !== undefined) {
        learnt[id] = 'other';
        skipped++;
        continue;
      }
      const why = entry !== undefined && 'digest' in entry ? 'changed in the feed' : ours ? 'published, but not yet in the feed index' : 'new in the feed';
      items.push({ id, data: candidate.data, why });
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, lookups.length) }, worker));
  const offered = new Set(candidates.map((c) => c.id));
  const removed = Object.keys(index.items).filter((id) => !offered.has(id) && 'digest' in index.items[id]!);
  return { items, learnt, done, skipped, removed };
}
