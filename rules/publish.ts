// Rule `publish`: copy each built data set into the data repository in toasty's layout
// (<id>/{level}/{y}/{y}_{x}.png, <id>/thumb.jpg, <id>/index_rel.wtml, <id>/index.wtml), then its manifest.
// Up to date when the repository's manifest carries this node's key.
import { defineRule } from '../src/graph/rule.js';
import { readManifest } from '../src/repo/data-set-manifest.js';
import { PROGRESS_NAME, publishDataSet } from '../src/repo/publish-data-set.js';
import { publishedFiles } from '../src/repo/published-files.js';
import { reviewVerdict } from '../src/review/review-verdict.js';
import { repositorySkip } from './repository-skips.js';
import { readPlacement } from './read-placement.js';

/** The rules whose declared outputs (`publish`) make a study's data set. */
const PUBLISHED_RULES = ['tiles', 'thumbnail', 'wtml'];

export default defineRule({
  name: 'publish',
  version: 1,
  description: 'upload each data set to the data repository, manifest last',
  forEach: 'place',
  after: PUBLISHED_RULES,
  publishes: true,
  // It acts on the repository: nothing of it can come from a remote cache.
  cache: false,
  // A reviewer's decision (cache/review.json) and the repository's require_approval; then toasty's markers.
  skip: async (ctx) => reviewVerdict(ctx) ?? (await repositorySkip(ctx)),
  checkReadsOnlyRepository: true,
  check: async (ctx) => {
    const manifest = await readManifest(ctx.repository, ctx.item);
    if (manifest === undefined) return `not in the repository (${ctx.repository.description})`;
    if (manifest.key !== ctx.key) return 'the repository holds another version';
    // An interrupted publish that got as far as the manifest still has stale files and its record to remove.
    if ((await ctx.repository.get(`${ctx.item}/${PROGRESS_NAME}`)) !== undefined) return `an interrupted publish left ${ctx.item}/${PROGRESS_NAME}`;
    return undefined;
  },
  run: async (ctx) => {
    // What each of them declares it publishes (tiles at the top, thumb.jpg, the two WTMLs).
    const files = publishedFiles(ctx, PUBLISHED_RULES);
    ctx.status(`publishing ${files.length} files`);
    // A feed's publication date orders the root index (placement metadata `published`).
    const published = readPlacement(ctx).metadata.published;
    const result = await publishDataSet(ctx.repository, ctx.item, ctx.key, files, { signal: ctx.signal, ...(published !== undefined ? { sourcePublishedAt: published } : {}) });
    ctx.log(`${result.uploaded} files uploaded (${result.uploadedBytes} bytes), ${result.unchanged} unchanged, ${result.removed} removed`);
  },
});
