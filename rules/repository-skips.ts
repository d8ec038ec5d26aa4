// Why a data set must not be (re)built or published, from the repository, as toasty
// decides it: `<id>/skip.flag` means never process it; `<id>/index.wtml` with none of imgbuild's traces (its
// manifest, its progress record, its lock, its temporary files) is a data set toasty published, which counts as
// done. A data set imgbuild was killed while publishing keeps its traces, so it is resumed, never mistaken for
// toasty's. (A reviewer's decisions are kept with the build state: src/review/review-verdict.ts.)
import fs from 'node:fs';
import type { CheckContext } from '../src/graph/rule.js';
import { MANIFEST_NAME } from '../src/repo/data-set-manifest.js';
import { DATA_SET_LOCK, PROGRESS_NAME } from '../src/repo/publish-data-set.js';
import type { Repository } from '../src/repo/repository.js';

export async function repositorySkip(ctx: CheckContext): Promise<string | undefined> {
  if ((await ctx.repository.get(`${ctx.item}/skip.flag`)) !== undefined) return `${ctx.item}/skip.flag is in the repository`;
  if ((await ctx.repository.get(`${ctx.item}/index.wtml`)) !== undefined && !(await hasOurTraces(ctx.repository, ctx.item))) {
    return `already published by another tool (${ctx.item}/index.wtml without ${MANIFEST_NAME})`;
  }
  return undefined;
}

/** Whether imgbuild has ever written into data set `id`: its manifest, progress record, lock or a temporary file. */
async function hasOurTraces(repository: Repository, id: string): Promise<boolean> {
  for (const name of [MANIFEST_NAME, PROGRESS_NAME, DATA_SET_LOCK]) {
    if ((await repository.get(`${id}/${name}`)) !== undefined) return true;
  }
  // A local folder's temporary files (`<name>.imgbuild-PID-N.tmp`, never listed) sit beside their targets.
  if (repository.localFile) {
    const dir = repository.localFile(id);
    const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
    if (names.some((n) => /\.imgbuild-\d+-\d+\.tmp$/.test(n))) return true;
  }
  return false;
}
