// `catalog rebuild` replaces the whole catalog in one transaction: a failure midway keeps the old rows, never an
// empty catalog (before, rebuild cleared, then a refused row left the catalog empty).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Catalog } from '../src/catalog/catalog.js';
import type { CatalogRow } from '../src/catalog/catalog-row.js';
import { openCatalog } from '../src/catalog/open-catalog.js';
import { startPostgres } from './helpers/postgres-server.js';

function row(base: string): CatalogRow {
  const [site, instrument] = base.split('-') as [string, string];
  return {
    base_filename: base, site, instrument, capture_date: '2022-06-29T12:00:00.000Z',
    right_ascension: null, declination: null, altitude: null, azimuth: null, filter_used: null, airmass: null,
    exposure_time: null, user_id: null, username: null, data_type: 'EX', header: null,
    fits_01_exists: false, fits_10_exists: false, jpg_medium_exists: false, jpg_small_exists: false,
  };
}

const OLD = [row('sro-kb001ms-20220629-00000001'), row('sro-kb001ms-20220629-00000002')];
const NEW = 'mrc123-kb01-20220629-00000003';

async function replaceCases(catalog: Catalog): Promise<void> {
  await catalog.clear();
  await catalog.upsert(OLD);
  // A row the store refuses (site NOT NULL) in the middle of the new set: nothing of the replacement stays.
  const broken = { ...row('sro-kb001ms-20220629-00000009'), site: null } as unknown as CatalogRow;
  let failed = false;
  try {
    await catalog.replaceAll([row('sro-kb001ms-20220629-00000005'), broken]);
  } catch {
    failed = true;
  }
  assert.ok(failed, 'a refused row fails the replacement');
  assert.equal((await catalog.query({})).map((r) => r.base_filename), OLD.map((r) => r.base_filename), 'the old catalog is kept whole');
  await catalog.replaceAll([row(NEW)]);
  assert.equal((await catalog.query({})).map((r) => r.base_filename), [NEW], 'a replacement that succeeds replaces every row');
}

test('sqlite: replaceAll is one transaction', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-catalog-replace-'));
  try {
    const catalog = await openCatalog({ kind: 'sqlite', file: path.join(dir, 'catalog.sqlite') });
    try {
      await replaceCases(catalog);
    } finally {
      await catalog.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('postgresql: replaceAll is one transaction', async () => {
  // CI installs PostgreSQL (.ci/run): a server that does not start fails this test.
  const server = await startPostgres();
  try {
    const catalog = await openCatalog({ kind: 'postgres', urlEnv: 'IMGBUILD_TEST_CATALOG' }, { IMGBUILD_TEST_CATALOG: server.url });
    try {
      await replaceCases(catalog);
    } finally {
      await catalog.close();
    }
  } finally {
    await server.stop();
  }
});

test.run();
