// Why a data set must not be (re)built or published, from the repository and the reviewer, as toasty
// decides it: `<id>/skip.flag` means never process it; `<id>/index.wtml` without imgbuild's manifest is a data
// set toasty published, which counts as done; `work/<id>/rejected` is a reviewer's "do not publish".
import fs from 'node:fs';
import path from 'node:path';
import type { CheckContext } from '../src/graph/rule.js';
import { MANIFEST_NAME } from '../src/repo/data-set-manifest.js';

export async function repositorySkip(ctx: CheckContext): Promise<string | undefined> {
  if ((await ctx.repository.get(`${ctx.item}/skip.flag`)) !== undefined) return `${ctx.item}/skip.flag is in the repository`;
  if ((await ctx.repository.get(`${ctx.item}/${MANIFEST_NAME}`)) === undefined && (await ctx.repository.get(`${ctx.item}/index.wtml`)) !== undefined) {
    return `already published by another tool (${ctx.item}/index.wtml without ${MANIFEST_NAME})`;
  }
  return undefined;
}

export function reviewerRejection(ctx: CheckContext): string | undefined {
  const marker = path.join(ctx.settings.work, ctx.item, 'rejected');
  if (!fs.existsSync(marker)) return undefined;
  const why = fs.readFileSync(marker, 'utf8').trim();
  return `rejected by a reviewer (${path.relative(ctx.settings.projectDir, marker)}${why ? `: ${why}` : ''})`;
}
