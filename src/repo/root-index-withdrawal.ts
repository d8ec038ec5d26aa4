// Taking one data set's entry out of the repository's root index.wtml before that data set is replaced, so the
// root index never points at a data set that is half old, half new. A cheap filter of the existing document
// (read–modify–write under the root-index lock), not a full reindex: the `index` node re-adds the entry later.
import { firstEntry } from '../wwt/wtml.js';
import type { Repository } from './repository.js';
import { withRepositoryLock } from './repository-lock.js';

/** The lock every writer of the root index.wtml takes (the `index` rule and this withdrawal). */
export const ROOT_INDEX_LOCK = '.imgbuild-index-lock';
export const ROOT_INDEX = 'index.wtml';

/** Remove every Place equal to `place` (the data set's own first Place) from the root index. True if one was removed. */
export async function withdrawFromRootIndex(repository: Repository, place: string): Promise<boolean> {
  return withRepositoryLock(
    repository,
    ROOT_INDEX_LOCK,
    'rewriting the root index',
    async () => {
      const bytes = await repository.get(ROOT_INDEX);
      if (bytes === undefined) return false;
      const xml = bytes.toString('utf8');
      let removed = false;
      // Each entry sits on its own indented line(s) as rootIndexWtml writes it: `\n  <Place …>…</Place>`.
      const filtered = xml.replace(/\n[ \t]*(?:<Place\b[\s\S]*?<\/Place>|<ImageSet\b[\s\S]*?<\/ImageSet>)/g, (entry) => {
        if (firstEntry(entry) !== place) return entry;
        removed = true;
        return '';
      });
      if (removed) await repository.put(ROOT_INDEX, Buffer.from(filtered), { contentType: 'text/xml', cacheControl: 'public, max-age=300' });
      return removed;
    },
    { waitMs: 60_000 },
  );
}
