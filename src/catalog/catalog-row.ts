// One regular exposure in the metadata catalog, with Photon Ranch's column names and meanings
// (../shared/seeds/photonranch-archive-README.md). The names are the contract: `catalog query --json` prints
// exactly these keys, and the SQLite and PostgreSQL tables have exactly these columns.

export interface CatalogRow {
  /** `{site}-{instrument}-{YYYYMMDD}-{8-digit counter}`: the key rows are upserted by. */
  readonly base_filename: string;
  readonly site: string;
  readonly instrument: string;
  /** ISO 8601 UTC (`2022-06-29T03:14:15.000Z`): from DATE-OBS, else the file name's date at 00:00 UTC. */
  readonly capture_date: string;
  /** Decimal hours, 0 ≤ ra < 24. */
  readonly right_ascension: number | null;
  /** Decimal degrees, −90 … 90. */
  readonly declination: number | null;
  readonly altitude: number | null;
  readonly azimuth: number | null;
  readonly filter_used: string | null;
  readonly airmass: number | null;
  /** Seconds. */
  readonly exposure_time: number | null;
  readonly user_id: string | null;
  readonly username: string | null;
  /** The two letters before the reduction level in the file name (`EX`). */
  readonly data_type: string;
  /** The whole FITS header as a JSON object string (keyword → value; see src/archive for the shape). */
  readonly header: string | null;
  /** A large FITS (reduction 00 or 01) exists. */
  readonly fits_01_exists: boolean;
  /** A small FITS (reduction 10 or 13) exists. */
  readonly fits_10_exists: boolean;
  /** A medium JPG (reduction 10 or 13) exists. */
  readonly jpg_medium_exists: boolean;
  /** A thumbnail JPG (reduction 11) exists, uploaded or derived. */
  readonly jpg_small_exists: boolean;
}

/** The column names in table order. */
export const CATALOG_COLUMNS = [
  'base_filename',
  'site',
  'instrument',
  'capture_date',
  'right_ascension',
  'declination',
  'altitude',
  'azimuth',
  'filter_used',
  'airmass',
  'exposure_time',
  'user_id',
  'username',
  'data_type',
  'header',
  'fits_01_exists',
  'fits_10_exists',
  'jpg_medium_exists',
  'jpg_small_exists',
] as const satisfies ReadonlyArray<keyof CatalogRow>;
