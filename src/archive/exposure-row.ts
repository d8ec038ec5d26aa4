// An exposure's catalog row from its name and header (Photon Ranch's columns and meanings): capture_date from
// DATE-OBS (else the name's date), right_ascension in decimal HOURS, declination in degrees. RA and DEC may be
// numbers (degrees) or sexagesimal strings ('12:30:00.00' is hours for RA, '+45:00:00.0' degrees for Dec), with
// OBJCTRA/OBJCTDEC as fallbacks. The file flags are filled in from the files the repository holds (exposure-flags.ts).
import type { CatalogRow } from '../catalog/catalog-row.js';
import type { ArchiveName } from './archive-name.js';
import type { HeaderObject, HeaderValue } from './header-cards.js';

/** `dd:mm:ss.s`, `dd mm ss`, `-00:30:00` → the signed decimal value (the sign of the whole, even for −0°). */
export function sexagesimal(text: string): number | undefined {
  const match = /^\s*([+-])?\s*(\d+(?:\.\d*)?)(?:[:\s]+(\d+(?:\.\d*)?))?(?:[:\s]+(\d+(?:\.\d*)?))?\s*$/.exec(text);
  if (!match) return undefined;
  const [, sign, a, b, c] = match;
  const minutes = b === undefined ? 0 : Number(b);
  const seconds = c === undefined ? 0 : Number(c);
  if (minutes >= 60 || seconds >= 60) return undefined;
  const value = Number(a) + minutes / 60 + seconds / 3600;
  return sign === '-' ? -value : value;
}

function numberOf(value: HeaderValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function stringOf(value: HeaderValue | undefined): string | null {
  if (value === undefined || Array.isArray(value)) return null;
  const text = String(value).trim();
  return text === '' ? null : text;
}

/** Right ascension in hours, 0 ≤ ra < 24: a number is degrees, a string is hours (sexagesimal or decimal). */
export function rightAscensionHours(value: HeaderValue | undefined): number | null {
  let hours: number | undefined;
  if (typeof value === 'number') hours = value / 15;
  else if (typeof value === 'string') hours = value.includes(':') || /\d\s+\d/.test(value.trim()) ? sexagesimal(value) : numberOf(value) !== undefined ? numberOf(value)! / 15 : undefined;
  if (hours === undefined || !Number.isFinite(hours)) return null;
  const wrapped = ((hours % 24) + 24) % 24;
  return wrapped;
}

/** Declination in degrees, −90 … 90: a number, or a sexagesimal string of degrees. */
export function declinationDegrees(value: HeaderValue | undefined): number | null {
  const degrees = typeof value === 'number' ? value : typeof value === 'string' ? (value.includes(':') || /\d\s+\d/.test(value.trim()) ? sexagesimal(value) : numberOf(value)) : undefined;
  return degrees === undefined || !Number.isFinite(degrees) || Math.abs(degrees) > 90 ? null : degrees;
}

/** An angle in degrees (altitude, azimuth): a number or a sexagesimal string. */
function degreesOf(value: HeaderValue | undefined): number | null {
  if (typeof value === 'string' && (value.includes(':') || /\d\s+\d/.test(value.trim()))) return sexagesimal(value) ?? null;
  return numberOf(value) ?? null;
}

/** DATE-OBS as an ISO UTC time ('2022-06-29T03:14:15.123' has no zone: it is UTC by FITS rule), or undefined. */
export function captureDate(value: HeaderValue | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?(Z)?$/.exec(value.trim());
  if (!match) return undefined;
  const time = Date.parse(`${match[1]}T${match[2] ?? '00:00:00'}Z`);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

const first = (header: HeaderObject | undefined, ...keys: string[]): HeaderValue | undefined => {
  for (const key of keys) if (header?.[key] !== undefined) return header[key];
  return undefined;
};

/** The row (file flags all false; see exposure-flags.ts) from the name and, when there is one, the header. */
export function exposureRow(name: ArchiveName, header: HeaderObject | undefined): CatalogRow {
  const fromName = `${name.date.slice(0, 4)}-${name.date.slice(4, 6)}-${name.date.slice(6, 8)}T00:00:00.000Z`;
  const ra = rightAscensionHours(first(header, 'RA')) ?? rightAscensionHours(first(header, 'OBJCTRA'));
  const dec = declinationDegrees(first(header, 'DEC')) ?? declinationDegrees(first(header, 'OBJCTDEC'));
  return {
    base_filename: name.baseFilename,
    site: name.site,
    instrument: name.instrument,
    capture_date: captureDate(first(header, 'DATE-OBS')) ?? fromName,
    right_ascension: ra,
    declination: dec,
    altitude: degreesOf(first(header, 'ALTITUDE', 'OBJCTALT')),
    azimuth: degreesOf(first(header, 'AZIMUTH', 'OBJCTAZ')),
    filter_used: stringOf(first(header, 'FILTER')),
    airmass: numberOf(first(header, 'AIRMASS')) ?? null,
    exposure_time: numberOf(first(header, 'EXPTIME')) ?? null,
    user_id: stringOf(first(header, 'USERID')),
    username: stringOf(first(header, 'USERNAME')),
    data_type: name.dataType,
    header: header === undefined ? null : JSON.stringify(header),
    fits_01_exists: false,
    fits_10_exists: false,
    jpg_medium_exists: false,
    jpg_small_exists: false,
  };
}
