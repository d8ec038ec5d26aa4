// The catalog in PostgreSQL (Photon Ranch keeps theirs there): the same table and columns as SQLite, with
// PostgreSQL's types (varchar, double precision, boolean, timestamp). Photon Ranch's base_filename is varchar(29)
// and site varchar(6); ours are unbounded, because names imgbuild accepts (an instrument of any length) would not
// fit, and a row refused by its length would fail a whole catalog rebuild. The URL comes from an environment
// variable the user names; its password is registered as a secret, so no message ever shows it.
import { ImgbuildError } from '../errors.js';
import { redact, registerSecret } from '../repo/redact.js';
import { type Catalog, type CatalogQuery, whereClause } from './catalog.js';
import { CATALOG_COLUMNS, type CatalogRow } from './catalog-row.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS images (
  image_id serial PRIMARY KEY,
  base_filename varchar NOT NULL UNIQUE,
  site varchar NOT NULL,
  instrument varchar NOT NULL,
  capture_date timestamp NOT NULL,
  sort_date timestamp,
  right_ascension double precision,
  declination double precision,
  altitude double precision,
  azimuth double precision,
  filter_used varchar,
  airmass double precision,
  exposure_time double precision,
  user_id varchar,
  username varchar,
  data_type varchar NOT NULL,
  header varchar,
  fits_01_exists boolean NOT NULL,
  fits_10_exists boolean NOT NULL,
  jpg_medium_exists boolean NOT NULL,
  jpg_small_exists boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS images_capture_date ON images (capture_date);
CREATE INDEX IF NOT EXISTS images_site_date ON images (site, capture_date);
CREATE INDEX IF NOT EXISTS images_sky ON images (declination, right_ascension);
`;

/** capture_date back as the ISO text the rows carry (timestamp without time zone holds UTC here). */
const SELECT_COLUMNS = CATALOG_COLUMNS.map((c) => (c === 'capture_date' ? `to_char(capture_date, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS capture_date` : c)).join(', ');

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
  end(): Promise<void>;
}

function fromPg(record: Record<string, unknown>): CatalogRow {
  const row: Record<string, unknown> = {};
  for (const column of CATALOG_COLUMNS) row[column] = record[column] ?? null;
  return row as unknown as CatalogRow;
}

/** Register the URL's password (and the URL) as secrets before anything can print them. */
function guardUrl(url: string): void {
  registerSecret(url);
  try {
    const parsed = new URL(url);
    if (parsed.password) registerSecret(decodeURIComponent(parsed.password));
  } catch {
    // not a URL: the connection attempt says so, redacted
  }
}

export async function openPostgresCatalog(url: string, shownAs: string): Promise<Catalog> {
  guardUrl(url);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 }) as unknown as PgClient & { connect(): Promise<void> };
  try {
    await client.connect();
    await client.query(SCHEMA);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new ImgbuildError('environment', `the PostgreSQL catalog (${shownAs}) cannot be used: ${redact((error as Error).message)}: check that the server runs and the URL in ${shownAs} (host, port, database, user, password)`);
  }
  const columns = CATALOG_COLUMNS.join(', ');
  const dateIndex = CATALOG_COLUMNS.indexOf('capture_date');
  // Many rows per statement: one round trip per 200 rows, not per row (19 parameters each, far below the limit).
  const ROWS_PER_STATEMENT = 200;
  const upsertSql = (count: number): string => {
    const tuples = Array.from({ length: count }, (_, r) => {
      const base = r * CATALOG_COLUMNS.length;
      return `(${CATALOG_COLUMNS.map((_, i) => `$${base + i + 1}`).join(', ')}, $${base + dateIndex + 1})`;
    });
    return (
      `INSERT INTO images (${columns}, sort_date) VALUES ${tuples.join(', ')} ` +
      `ON CONFLICT (base_filename) DO UPDATE SET ${CATALOG_COLUMNS.filter((c) => c !== 'base_filename').map((c) => `${c} = excluded.${c}`).join(', ')}, sort_date = excluded.sort_date`
    );
  };
  const failed = (what: string, error: unknown): ImgbuildError =>
    new ImgbuildError('environment', `the PostgreSQL catalog (${shownAs}) failed to ${what}: ${redact((error as Error).message)}`);
  const transaction = async (work: () => Promise<void>, what: string): Promise<void> => {
    try {
      await client.query('BEGIN');
      await work();
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw failed(what, error);
    }
  };
  const store = async (rows: readonly CatalogRow[]): Promise<void> => {
    // The same base filename twice in one statement is an error in PostgreSQL: the last one wins, as in SQLite.
    const unique = [...new Map(rows.map((row) => [row.base_filename, row])).values()];
    for (let at = 0; at < unique.length; at += ROWS_PER_STATEMENT) {
      const chunk = unique.slice(at, at + ROWS_PER_STATEMENT);
      await client.query(upsertSql(chunk.length), chunk.flatMap((row) => CATALOG_COLUMNS.map((c) => row[c] ?? null)));
    }
  };
  return {
    description: `the PostgreSQL catalog (${shownAs})`,
    upsert: (rows) => transaction(() => store(rows), 'store rows'),
    replaceAll: (rows) =>
      transaction(async () => {
        await client.query('DELETE FROM images');
        await store(rows);
      }, 'replace rows'),
    remove: async (bases) => {
      if (bases.length === 0) return 0;
      const result = await client.query('DELETE FROM images WHERE base_filename = ANY($1)', [bases]).catch((error) => {
        throw failed('remove rows', error);
      });
      return result.rowCount ?? 0;
    },
    get: async (base) => {
      const result = await client.query(`SELECT ${SELECT_COLUMNS} FROM images WHERE base_filename = $1`, [base]).catch((error) => {
        throw failed('read', error);
      });
      return result.rows[0] === undefined ? undefined : fromPg(result.rows[0]);
    },
    query: async (query: CatalogQuery) => {
      const { sql, params } = whereClause(query, (i) => `$${i}`);
      const limit = query.limit !== undefined ? ` LIMIT ${Math.floor(query.limit)}` : '';
      const result = await client.query(`SELECT ${SELECT_COLUMNS} FROM images ${sql} ORDER BY images.capture_date, base_filename${limit}`, params).catch((error) => {
        throw failed('query', error);
      });
      return result.rows.map(fromPg);
    },
    clear: async () => {
      await client.query('DELETE FROM images').catch((error) => {
        throw failed('clear', error);
      });
    },
    close: () => client.end(),
  };
}
