// The catalog contract, the same cases against every store: SQLite (a file, always) and PostgreSQL (a real server
// the test starts on 127.0.0.1). Expected rows are worked out by hand from the rows written here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Catalog } from '../src/catalog/catalog.js';
import type { CatalogRow } from '../src/catalog/catalog-row.js';
import { openCatalog } from '../src/catalog/open-catalog.js';
import { sqliteDriver } from '../src/catalog/sqlite-catalog.js';
import { ImgbuildError } from '../src/errors.js';
import { startPostgres, type PostgresServer } from './helpers/postgres-server.js';

function row(base: string, over: Partial<CatalogRow> = {}): CatalogRow {
  const [site, instrument, date] = base.split('-') as [string, string, string];
  return {
    base_filename: base,
    site,
    instrument,
    capture_date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T12:00:00.000Z`,
    right_ascension: null,
    declination: null,
    altitude: null,
    azimuth: null,
    filter_used: null,
    airmass: null,
    exposure_time: null,
    user_id: null,
    username: null,
    data_type: 'EX',
    header: null,
    fits_01_exists: false,
    fits_10_exists: false,
    jpg_medium_exists: false,
    jpg_small_exists: false,
    ...over,
  };
}

// Positions in hours/degrees: a at RA 12.5 h (187.5°) Dec +45; b at RA 0.2 h (3°) Dec −10; c at RA 23.9 h (358.5°) Dec −10.
const A = row('sro-kb001ms-20220629-00000001', { right_ascension: 12.5, declination: 45, filter_used: 'PL', capture_date: '2022-06-29T03:14:15.500Z', airmass: 1.2, header: '{"OBJECT":"M 51 \'quoted\' — ü"}' });
const B = row('sro-kb001ms-20220630-00000002', { right_ascension: 0.2, declination: -10, filter_used: 'Ha', jpg_medium_exists: true });
const C = row('mrc-sq003ms-20220701-00000003', { right_ascension: 23.9, declination: -10, filter_used: 'PL', fits_10_exists: true });
// A base filename longer than Photon Ranch's varchar(29) (an instrument name of 9 letters): every store keeps it.
const D = row('mrc123-sq003ms01-20220702-00000004');

const names = (rows: readonly CatalogRow[]): string[] => rows.map((r) => r.base_filename);

type Store = { name: string; open(): Promise<Catalog>; reopen(): Promise<Catalog>; done(): Promise<void> };

async function sqliteStore(): Promise<Store> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-catalog-'));
  const location = { kind: 'sqlite' as const, file: path.join(dir, 'cache', 'catalog.sqlite') };
  return { name: `sqlite (${(await sqliteDriver()).name})`, open: () => openCatalog(location), reopen: () => openCatalog(location), done: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function postgresStore(server: PostgresServer): Promise<Store> {
  const env = { IMGBUILD_TEST_CATALOG: server.url };
  const location = { kind: 'postgres' as const, urlEnv: 'IMGBUILD_TEST_CATALOG' };
  const open = async (): Promise<Catalog> => {
    const catalog = await openCatalog(location, env);
    await catalog.clear();
    return catalog;
  };
  return { name: 'postgresql', open, reopen: () => openCatalog(location, env), done: async () => undefined };
}

function contract(store: Store): void {
  const test = suite(`catalog contract: ${store.name}`);
  let catalog: Catalog;
  test.before.each(async () => {
    catalog = await store.open();
    await catalog.upsert([A, B, C, D]);
  });
  test.after.each(async () => {
    await catalog.close();
  });

  test('upsert inserts, then replaces the whole row by base filename', async () => {
    assert.equal(await catalog.get(A.base_filename), A);
    const replaced = { ...A, filter_used: 'R', right_ascension: null, jpg_small_exists: true };
    await catalog.upsert([replaced]);
    assert.equal(await catalog.get(A.base_filename), replaced);
    assert.is((await catalog.query({})).length, 4, 'replaced, not added');
  });

  test('query filters by site, instrument, filter, and returns rows by capture date', async () => {
    assert.equal(names(await catalog.query({})), names([A, B, C, D]));
    assert.equal(names(await catalog.query({ site: 'sro' })), names([A, B]));
    assert.equal(names(await catalog.query({ instrument: 'sq003ms' })), names([C]));
    assert.equal(names(await catalog.query({ site: 'mrc123' })), names([D]));
    assert.equal(names(await catalog.query({ filter: 'PL' })), names([A, C]));
    assert.equal(names(await catalog.query({ site: 'mrc', filter: 'PL' })), names([C]));
    assert.equal(names(await catalog.query({ limit: 2 })), names([A, B]));
  });

  test('date bounds are inclusive: a date covers its whole day, a time is exact', async () => {
    assert.equal(names(await catalog.query({ from: '2022-06-30', to: '2022-07-01' })), names([B, C]));
    assert.equal(names(await catalog.query({ to: '2022-06-29' })), names([A]));
    assert.equal(names(await catalog.query({ from: '2022-06-29T03:14:15.500Z', to: '2022-06-29T03:14:15.500Z' })), names([A]));
    assert.equal(names(await catalog.query({ from: '2022-06-29T03:14:16Z', to: '2022-06-30T11:59:59Z' })), []);
  });

  test('the box is in degrees while RA is kept in hours, and wraps through RA 0', async () => {
    // 187.5° = 12.5 h: inside 180…190, Dec 40…50.
    assert.equal(names(await catalog.query({ box: { ra1: 180, ra2: 190, dec1: 40, dec2: 50 } })), names([A]));
    // Hours taken as degrees would put A (12.5) inside 10…15: it must not be.
    assert.equal(names(await catalog.query({ box: { ra1: 10, ra2: 15, dec1: -90, dec2: 90 } })), []);
    // 350° → 10° wraps through 0: b at 3° and c at 358.5°.
    assert.equal(names(await catalog.query({ box: { ra1: 350, ra2: 10, dec1: -20, dec2: 0 } })), names([B, C]));
    assert.equal(names(await catalog.query({ box: { ra1: 350, ra2: 10, dec1: 0, dec2: 20 } })), []);
  });

  test('remove, clear, nulls and a header with quotes and non-ASCII survive, and rows persist across reopening', async () => {
    assert.is(await catalog.remove([B.base_filename, 'no-such-exposure']), 1);
    assert.is(await catalog.get(B.base_filename), undefined);
    assert.equal((await catalog.get(D.base_filename))!.right_ascension, null);
    assert.is((await catalog.get(A.base_filename))!.header, A.header);
    await catalog.close();
    catalog = await store.reopen();
    assert.equal(names(await catalog.query({})), names([A, C, D]));
    await catalog.clear();
    assert.equal(await catalog.query({}), []);
  });

  test('10,000 rows in one upsert are one transaction', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => row(`tst-cam01-20230101-${String(i).padStart(8, '0')}`, { right_ascension: (i % 240) / 10, declination: (i % 180) - 90 }));
    await catalog.upsert(many);
    assert.is((await catalog.query({ site: 'tst' })).length, 10_000);
    // A bad row fails the whole batch: nothing of it is kept.
    const broken = [row('tst-cam01-20230102-00000001'), { ...row('tst-cam01-20230102-00000002'), site: null as unknown as string }];
    let failed = false;
    try {
      await catalog.upsert(broken);
    } catch {
      failed = true;
    }
    assert.ok(failed, 'a row breaking NOT NULL is refused');
    assert.is(await catalog.get('tst-cam01-20230102-00000001'), undefined, 'rolled back');
  });

  test.run();
}

const sqlite = await sqliteStore();
contract(sqlite);

let postgres: PostgresServer | undefined;
try {
  postgres = await startPostgres();
  contract(await postgresStore(postgres));
} catch (error) {
  // CI installs PostgreSQL (.ci/run): there, a server that does not start is a failure, not a skip.
  const test = suite('catalog contract: postgresql');
  test('a PostgreSQL server starts for the contract tests', () => {
    throw error;
  });
  test.run();
}

const errors = suite('catalog errors');
errors('a missing or non-postgres URL variable is a one-line error naming the variable; a password never shows', async () => {
  for (const [env, pattern] of [
    [{}, /IMGBUILD_CATALOG_URL is not set/],
    [{ IMGBUILD_CATALOG_URL: 'mysql://u:p@h/db' }, /does not hold a postgres:\/\/ URL/],
  ] as const) {
    let caught: unknown;
    try {
      await openCatalog({ kind: 'postgres', urlEnv: 'IMGBUILD_CATALOG_URL' }, env);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ImgbuildError);
    assert.match((caught as Error).message, pattern);
  }
  let refused: unknown;
  try {
    await openCatalog({ kind: 'postgres', urlEnv: 'U' }, { U: 'postgres://me:hunter2-secret@127.0.0.1:1/db' });
  } catch (error) {
    refused = error;
  }
  assert.ok(refused instanceof ImgbuildError && refused.kind === 'environment');
  assert.not.match((refused as Error).message, 'hunter2');
  assert.match((refused as Error).message, /\$U/);
});
errors.after(async () => {
  await postgres?.stop();
  await sqlite.done();
});
errors.run();
