// The metadata catalog's contract, the same for every store (SQLite, PostgreSQL): rows upserted whole by base
// filename, removed, and queried by site, instrument, capture date, filter and a box on the sky. The contract
// tests (test/catalog-contract.test.ts) run every case against every store.
import type { CatalogRow } from './catalog-row.js';

export interface SkyBox {
  /** Right ascension bounds in DEGREES (the rows hold hours); ra1 > ra2 means the box wraps through 0. */
  readonly ra1: number;
  readonly ra2: number;
  /** Declination bounds in degrees, dec1 ≤ dec2. */
  readonly dec1: number;
  readonly dec2: number;
}

export interface CatalogQuery {
  readonly site?: string;
  readonly instrument?: string;
  /** Inclusive: a date (`2022-06-29`, from its start) or an ISO time. */
  readonly from?: string;
  /** Inclusive: a date (`2022-06-29`, to its end) or an ISO time. */
  readonly to?: string;
  readonly filter?: string;
  readonly box?: SkyBox;
  readonly limit?: number;
}

export interface Catalog {
  /** Where it is, for messages (never a password). */
  readonly description: string;
  /** Insert or replace whole rows by base_filename, all in one transaction. */
  upsert(rows: readonly CatalogRow[]): Promise<void>;
  /** Remove rows; how many there were. */
  remove(baseFilenames: readonly string[]): Promise<number>;
  get(baseFilename: string): Promise<CatalogRow | undefined>;
  /** Matching rows, ordered by capture_date, then base_filename. */
  query(query: CatalogQuery): Promise<CatalogRow[]>;
  /** Remove every row. */
  clear(): Promise<void>;
  /** Remove every row and store these, in ONE transaction (`catalog rebuild`): a failure or a kill midway leaves
   *  the old catalog, never an empty or half-filled one. */
  replaceAll(rows: readonly CatalogRow[]): Promise<void>;
  close(): Promise<void>;
}

/** A query's capture-date bounds as ISO times: `from` inclusive, `to` inclusive or (for a date) exclusive next day. */
export function dateBounds(query: CatalogQuery): { readonly from?: string; readonly toInclusive?: string; readonly toExclusive?: string } {
  const isDate = (text: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(text);
  const iso = (text: string): string => new Date(isDate(text) ? `${text}T00:00:00.000Z` : /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`).toISOString();
  const bounds: { from?: string; toInclusive?: string; toExclusive?: string } = {};
  if (query.from !== undefined) bounds.from = iso(query.from);
  if (query.to !== undefined) {
    if (isDate(query.to)) bounds.toExclusive = new Date(Date.parse(iso(query.to)) + 86_400_000).toISOString();
    else bounds.toInclusive = iso(query.to);
  }
  return bounds;
}

/** A WHERE clause (with `?` or `$n` placeholders) for a query: the same conditions for every store. */
export function whereClause(query: CatalogQuery, placeholder: (index: number) => string, dateColumn = 'capture_date'): { sql: string; params: Array<string | number> } {
  const conditions: string[] = [];
  const params: Array<string | number> = [];
  const add = (sql: string, ...values: Array<string | number>): void => {
    let text = sql;
    for (const value of values) {
      params.push(value);
      text = text.replace('?', placeholder(params.length));
    }
    conditions.push(text);
  };
  if (query.site !== undefined) add('site = ?', query.site);
  if (query.instrument !== undefined) add('instrument = ?', query.instrument);
  if (query.filter !== undefined) add('filter_used = ?', query.filter);
  const bounds = dateBounds(query);
  if (bounds.from !== undefined) add(`${dateColumn} >= ?`, bounds.from);
  if (bounds.toInclusive !== undefined) add(`${dateColumn} <= ?`, bounds.toInclusive);
  if (bounds.toExclusive !== undefined) add(`${dateColumn} < ?`, bounds.toExclusive);
  if (query.box !== undefined) {
    const { ra1, ra2, dec1, dec2 } = query.box;
    add('declination BETWEEN ? AND ?', dec1, dec2);
    // Right ascension is stored in hours (Photon Ranch's meaning); the box is in degrees.
    if (ra1 <= ra2) add('right_ascension BETWEEN ? AND ?', ra1 / 15, ra2 / 15);
    else add('(right_ascension >= ? OR right_ascension <= ?)', ra1 / 15, ra2 / 15);
  }
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
