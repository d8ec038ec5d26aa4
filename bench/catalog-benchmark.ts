// The metadata catalog (issue 9): ingesting 10,000 exposures' header rows, and a box query over them, in SQLite
// (this runtime's driver) and, when Debian's PostgreSQL is installed, in a server started for the run.
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../src/catalog/catalog.js';
import type { CatalogRow } from '../src/catalog/catalog-row.js';
import { openCatalog } from '../src/catalog/open-catalog.js';
import { sqliteDriver } from '../src/catalog/sqlite-catalog.js';
import { exposureRow } from '../src/archive/exposure-row.js';
import { headerFromText } from '../src/archive/header-cards.js';
import { parseArchiveName } from '../src/archive/archive-name.js';
import { startPostgres } from '../test/helpers/postgres-server.js';

const COUNT = 10_000;

/** A realistic ~3 KB header per exposure, parsed from card text as ingest does. */
function rows(): CatalogRow[] {
  const out: CatalogRow[] = [];
  for (let i = 0; i < COUNT; i++) {
    const base = `sro-kb001ms-2022${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}-${String(i).padStart(8, '0')}`;
    const parsed = parseArchiveName(`${base}-EX01.txt`);
    if (!parsed.ok) throw new Error(base);
    const ra = (i * 7.3) % 24;
    const dec = ((i * 13.7) % 180) - 90;
    const cards = [
      `DATE-OBS= '${base.slice(12, 16)}-${base.slice(16, 18)}-${base.slice(18, 20)}T03:14:15.123'`,
      `RA      = '${Math.floor(ra)}:${String(Math.floor((ra % 1) * 60)).padStart(2, '0')}:00.00'`,
      `DEC     = ${dec.toFixed(4)}`,
      `FILTER  = '${['PL', 'Ha', 'R', 'G', 'B'][i % 5]}'`,
      'EXPTIME =                 30.0',
      ...Array.from({ length: 34 }, (_, k) => `KEY${String(k).padStart(4, '0')} = 'value ${k} of a realistic header card, padded out'`),
    ];
    out.push(exposureRow(parsed.name, headerFromText(cards.map((c) => c.padEnd(80)).join('')).header));
  }
  return out;
}

async function measure(name: string, catalog: Catalog, all: CatalogRow[]): Promise<void> {
  await catalog.clear();
  const start = performance.now();
  await catalog.upsert(all);
  const ingest = performance.now() - start;
  const queries: number[] = [];
  let found = 0;
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    found = (await catalog.query({ box: { ra1: 150, ra2: 180, dec1: -10, dec2: 30 } })).length;
    queries.push(performance.now() - t);
  }
  queries.sort((a, b) => a - b);
  console.log(`  ${name.padEnd(28)} ingest ${COUNT} rows ${(ingest / 1000).toFixed(2)} s (${Math.round(COUNT / (ingest / 1000))} rows/s)   box query ${queries[5]!.toFixed(1)} ms (${found} rows)`);
  await catalog.close();
}

export async function catalogBenchmark(out: string): Promise<void> {
  const all = rows();
  console.log(`\nCatalog: ${COUNT} exposures (~${Math.round(all.reduce((n, r) => n + (r.header?.length ?? 0), 0) / COUNT)} B of header JSON each), then a box query (median of 11)`);
  const dir = path.join(out, 'catalog');
  fs.rmSync(dir, { recursive: true, force: true });
  await measure(`SQLite (${(await sqliteDriver()).name})`, await openCatalog({ kind: 'sqlite', file: path.join(dir, 'catalog.sqlite') }), all);
  let server;
  try {
    server = await startPostgres();
  } catch (error) {
    console.log(`  PostgreSQL: not measured (${(error as Error).message.split('\n')[0]})`);
    return;
  }
  try {
    await measure('PostgreSQL 127.0.0.1', await openCatalog({ kind: 'postgres', urlEnv: 'BENCH_PG' }, { BENCH_PG: server.url }), all);
  } finally {
    await server.stop();
  }
}
