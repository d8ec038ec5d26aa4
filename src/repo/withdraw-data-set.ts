// Taking a data set out of the repository (a feed item the feed no longer offers, with --prune-removed; a
// reviewer's unpublish). In an order that never lies to a reader: its root-index entry first (nothing points at
// it any more), then its manifest (so a half-removed data set never counts as published: the next publish of it
// starts over), then its index.wtml (so it is no longer a data set a tool would list), then every other file. A kill at any point leaves a state the next
// withdrawal finishes; a publisher of the same id waits for the data set's lock.
import fs from 'node:fs';
import { firstEntry } from '../wwt/wtml.js';
import { MANIFEST_NAME } from './data-set-manifest.js';
import { DATA_SET_LOCK } from './publish-data-set.js';
import type { Repository } from './repository.js';
import { withRepositoryLock } from './repository-lock.js';
import { withdrawFromRootIndex } from './root-index-withdrawal.js';

/** `fromRootIndex`: its entry was in the root index and was taken out. */
export async function withdrawDataSet(repository: Repository, id: string): Promise<{ removed: number; fromRootIndex: boolean }> {
  const result = await withRepositoryLock(
    repository,
    `${id}/${DATA_SET_LOCK}`,
    `withdrawing ${id}`,
    async () => {
      const wtml = await repository.get(`${id}/index.wtml`);
      const place = wtml === undefined ? undefined : firstEntry(wtml.toString('utf8'));
      const fromRootIndex = place !== undefined && (await withdrawFromRootIndex(repository, place));
      let removed = 0;
      for (const name of [MANIFEST_NAME, 'index.wtml', 'index_rel.wtml']) {
        if ((await repository.get(`${id}/${name}`)) === undefined) continue;
        await repository.delete(`${id}/${name}`);
        removed++;
      }
      const rest: string[] = [];
      for await (const entry of repository.list(`${id}/`)) if (!entry.path.endsWith(`/${DATA_SET_LOCK}`)) rest.push(entry.path);
      for (const path of rest) {
        await repository.delete(path);
        removed++;
      }
      return { removed, fromRootIndex };
    },
    { waitMs: 30_000 },
  );
  // Once the lock (a file in the folder) is gone too: the emptied folders, and the data set's own folder.
  await repository.removeEmptyFolders?.(id);
  const folder = repository.localFile?.(id);
  if (folder !== undefined) await fs.promises.rmdir(folder).catch(() => undefined);
  return result;
}
