// Rule `catalog`: upsert a regular exposure's row in the metadata catalog (SQLite under the cache folder, or
// PostgreSQL), once its files are in the repository. The flags say which files the repository now holds.
// Info and all-sky images are not catalogued (as at Photon Ranch). A lost catalog is rebuilt from the
// repository's records with `imgbuild catalog rebuild`.
import { catalogFor } from '../../src/catalog/catalog-for.js';
import { withFlags } from '../../src/archive/exposure-flags.js';
import type { CatalogRow } from '../../src/catalog/catalog-row.js';
import { defineRule } from '../../src/graph/rule.js';
import { readPlan } from './archive-publish.js';

export default defineRule({
  name: 'catalog',
  version: 1,
  description: "upsert a regular exposure's row in the metadata catalog",
  forEach: 'archive-publish',
  after: ['exposure'],
  onlyFor: (exposure) => exposure.wildcards['imageClass'] === 'data',
  run: async (ctx) => {
    const plan = readPlan(ctx);
    if (plan.row === undefined) throw new Error(`${plan.id}: the exposure node made no catalog row`);
    const row: CatalogRow = withFlags(plan.row as CatalogRow, plan.files.map((f) => f.name));
    const catalog = await catalogFor(ctx.settings.catalog);
    await catalog.upsert([row]);
    ctx.log(`catalogued ${row.base_filename}`);
  },
});
