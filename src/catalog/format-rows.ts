// `catalog query` output: a table of the columns people scan on a terminal, or `{ "rows": [ … ] }` with exactly
// the catalog's column names (header included) for programs.
import { CATALOG_COLUMNS, type CatalogRow } from './catalog-row.js';

export function formatRowsJson(rows: readonly CatalogRow[]): string {
  const ordered = rows.map((row) => Object.fromEntries(CATALOG_COLUMNS.map((c) => [c, row[c] ?? null])));
  return JSON.stringify({ rows: ordered }, null, 2) + '\n';
}

const TABLE: ReadonlyArray<readonly [keyof CatalogRow, string, (row: CatalogRow) => string]> = [
  ['base_filename', 'base filename', (r) => r.base_filename],
  ['capture_date', 'captured (UTC)', (r) => r.capture_date.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')],
  ['right_ascension', 'RA (h)', (r) => (r.right_ascension === null ? '' : r.right_ascension.toFixed(4))],
  ['declination', 'Dec (°)', (r) => (r.declination === null ? '' : r.declination.toFixed(4))],
  ['filter_used', 'filter', (r) => r.filter_used ?? ''],
  ['exposure_time', 'exp (s)', (r) => (r.exposure_time === null ? '' : String(r.exposure_time))],
  ['jpg_medium_exists', 'files', (r) => [r.fits_01_exists ? 'F01' : '', r.fits_10_exists ? 'F10' : '', r.jpg_medium_exists ? 'JPG' : '', r.jpg_small_exists ? 'thumb' : ''].filter(Boolean).join(' ')],
];

export function formatRowsTable(rows: readonly CatalogRow[]): string {
  if (rows.length === 0) return 'no exposures match\n';
  const cells = rows.map((row) => TABLE.map(([, , cell]) => cell(row)));
  const widths = TABLE.map(([, title], i) => Math.max(title.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: readonly string[]): string => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(TABLE.map(([, title]) => title)), ...cells.map(line), `${rows.length} exposure${rows.length === 1 ? '' : 's'}`].join('\n') + '\n';
}
