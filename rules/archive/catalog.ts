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
  // Its effect is a row in the catalog, not a file: a remote cache cannot restore it.
  cache: false,
  version: 1,
  description: "upsert a regular exposure's row in the metadata catalog",
  forEach: 'archive-publish',
  after: ['exposure'],
  onlyFor: (exposure) => exposure.wildcards['imageClass'] === 'data',
  // Which catalog the rows go to is part of the key: naming another catalog fills it. (The SQLite file's path is
  // not: paths never are; a moved cache keeps its catalog.)
  params: (settings) => ({ catalog: settings.catalog.kind === 'sqlite' ? 'sqlite' : `postgres:$${settings.catalog.urlEnv}` }),
  // Checked when the build is planned: an unset URL variable stops the run before anything is published.
  requires: (settings) =>
    settings.catalog.kind === 'postgres' && (process.env[settings.catalog.urlEnv] ?? '').trim() === ''
      ? `the catalog URL variable ${settings.catalog.urlEnv} is not set (--catalog-url-env or catalog.urlEnv names it): export ${settings.catalog.urlEnv}=postgres://user:password@host:5432/database`
      : undefined,
  run: async (ctx) => {
    const plan = readPlan(ctx);
    if (plan.row === undefined) throw new Error(`${plan.id}: the exposure node made no catalog row`);
    const row: CatalogRow = withFlags(plan.row as CatalogRow, plan.files.map((f) => f.name));
    const catalog = await catalogFor(ctx.settings.catalog);
    await catalog.upsert([row]);
    ctx.log(`catalogued ${row.base_filename}`);
  },
});
