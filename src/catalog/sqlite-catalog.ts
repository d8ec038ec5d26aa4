// The embedded catalog: one SQLite file under the cache folder, no server. Node's own `node:sqlite` where the
// runtime has it (Node ≥ 22.13), else `better-sqlite3` (an optional dependency, compiled at install). Both are
// loaded only when a catalog is opened, so nothing else in imgbuild pays for them. WAL mode and a busy timeout:
// a `catalog query` reads while a watcher writes.
import fs from 'node:fs';
import path from 'node:path';
import { ImgbuildError } from '../errors.js';
import { type Catalog, type CatalogQuery, whereClause } from './catalog.js';
import { CATALOG_COLUMNS, type CatalogRow } from './catalog-row.js';

type SqlValue = string | number | null;

/** What both drivers offer, used the same way (positional `?` parameters only). */
interface Statement {
  run(...params: SqlValue[]): unknown;
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}
interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

const BOOLEAN_COLUMNS = new Set(['fits_01_exists', 'fits_10_exists', 'jpg_medium_exists', 'jpg_small_exists']);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS images (
  image_id INTEGER PRIMARY KEY AUTOINCREMENT,
  base_filename TEXT NOT NULL UNIQUE,
  site TEXT NOT NULL,
  instrument TEXT NOT NULL,
  capture_date TEXT NOT NULL,
  right_ascension REAL,
  declination REAL,
  altitude REAL,
  azimuth REAL,
  filter_used TEXT,
  airmass REAL,
  exposure_time REAL,
  user_id TEXT,
  username TEXT,
  data_type TEXT NOT NULL,
  header TEXT,
  fits_01_exists INTEGER NOT NULL,
  fits_10_exists INTEGER NOT NULL,
  jpg_medium_exists INTEGER NOT NULL,
  jpg_small_exists INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS images_capture_date ON images (capture_date);
CREATE INDEX IF NOT EXISTS images_site_date ON images (site, capture_date);
CREATE INDEX IF NOT EXISTS images_sky ON images (declination, right_ascension);
`;

/** Node's ExperimentalWarning for node:sqlite would land on the user's terminal; it is not theirs to act on. */
async function importQuietly<T>(specifier: string): Promise<T> {
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('SQLite')) return;
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return (await import(specifier)) as T;
  } finally {
    process.emitWarning = original;
  }
}

/** Which driver this runtime uses: 'node:sqlite' or 'better-sqlite3' (for messages and tests). */
export async function sqliteDriver(): Promise<{ name: string; open(file: string): Database }> {
  try {
    const { DatabaseSync } = await importQuietly<{ DatabaseSync: new (file: string) => Database }>('node:sqlite');
    return { name: 'node:sqlite', open: (file) => new DatabaseSync(file) };
  } catch {
    // Node 20 (and 22 before 22.13 without a flag) has no node:sqlite.
  }
  try {
    const module = await import('better-sqlite3');
    const BetterSqlite = (module as unknown as { default: new (file: string) => Database }).default;
    return { name: 'better-sqlite3', open: (file) => new BetterSqlite(file) };
  } catch (error) {
    throw new ImgbuildError(
      'environment',
      `the SQLite catalog needs Node.js 22.13 or newer (node:sqlite), or the optional package better-sqlite3, which did not install here (${(error as Error).message.split('\n')[0]}): ` +
        'run npm install better-sqlite3@12 (it compiles with python3, make and g++), or use PostgreSQL with --catalog-url-env NAME',
    );
  }
}

function toSql(row: CatalogRow): SqlValue[] {
  return CATALOG_COLUMNS.map((column) => {
    const value = row[column];
    if (typeof value === 'boolean') return value ? 1 : 0;
    return value ?? null;
  });
}

function fromSql(record: Record<string, unknown>): CatalogRow {
  const row: Record<string, unknown> = {};
  for (const column of CATALOG_COLUMNS) {
    const value = record[column];
    row[column] = BOOLEAN_COLUMNS.has(column) ? value === 1 || value === 1n : typeof value === 'bigint' ? Number(value) : (value ?? null);
  }
  return row as unknown as CatalogRow;
}

const COLUMN_LIST = CATALOG_COLUMNS.join(', ');
const SELECT = `SELECT ${COLUMN_LIST} FROM images`;

export async function openSqliteCatalog(file: string): Promise<Catalog> {
  const driver = await sqliteDriver();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database;
  try {
    db = driver.open(file);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA busy_timeout = 10000');
    db.exec(SCHEMA);
  } catch (error) {
    throw new ImgbuildError('environment', `${file}: the catalog cannot be opened (${(error as Error).message}): if it is damaged, delete it and run imgbuild catalog rebuild`);
  }
  const upsert = db.prepare(
    `INSERT INTO images (${COLUMN_LIST}) VALUES (${CATALOG_COLUMNS.map(() => '?').join(', ')}) ` +
      `ON CONFLICT (base_filename) DO UPDATE SET ${CATALOG_COLUMNS.filter((c) => c !== 'base_filename').map((c) => `${c} = excluded.${c}`).join(', ')}`,
  );
  const remove = db.prepare('DELETE FROM images WHERE base_filename = ?');
  const get = db.prepare(`${SELECT} WHERE base_filename = ?`);
  const transaction = (work: () => void): void => {
    db.exec('BEGIN IMMEDIATE');
    try {
      work();
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
  return {
    description: `the SQLite catalog ${file}`,
    upsert: async (rows) => transaction(() => rows.forEach((row) => upsert.run(...toSql(row)))),
    remove: async (bases) => {
      let removed = 0;
      transaction(() => {
        for (const base of bases) {
          const before = get.get(base);
          if (before !== undefined) {
            remove.run(base);
            removed++;
          }
        }
      });
      return removed;
    },
    get: async (base) => {
      const record = get.get(base) as Record<string, unknown> | undefined;
      return record === undefined ? undefined : fromSql(record);
    },
    query: async (query: CatalogQuery) => {
      const { sql, params } = whereClause(query, () => '?');
      const limit = query.limit !== undefined ? ` LIMIT ${Math.floor(query.limit)}` : '';
      return (db.prepare(`${SELECT} ${sql} ORDER BY capture_date, base_filename${limit}`).all(...params) as Array<Record<string, unknown>>).map(fromSql);
    },
    clear: async () => db.exec('DELETE FROM images'),
    replaceAll: async (rows) =>
      transaction(() => {
        db.exec('DELETE FROM images');
        rows.forEach((row) => upsert.run(...toSql(row)));
      }),
    close: async () => db.close(),
  };
}
