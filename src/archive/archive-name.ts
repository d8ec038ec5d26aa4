// Photon Ranch's file names: `{site}-{instrument}-{YYYYMMDD}-{8-digit counter}-{type}{reduction}.{ext}`, e.g.
// `sro-kb001ms-20220629-00010442-EX10.jpg`. Everything before `-{type}{reduction}` is the base filename, shared by
// every file of one exposure. A name that breaks the convention gets a typed reason and a one-line message
// saying which part is wrong and how a right name looks.

export type ArchiveFileKind = 'large-fits' | 'small-fits' | 'medium-jpg' | 'thumbnail-jpg' | 'header-txt' | 'other';

export const ARCHIVE_EXTENSIONS = ['.fits', '.fits.fz', '.fits.bz2', '.fits.gz', '.jpg', '.txt'] as const;
export type ArchiveExtension = (typeof ARCHIVE_EXTENSIONS)[number];

export interface ArchiveName {
  readonly baseFilename: string;
  readonly site: string;
  readonly instrument: string;
  /** `YYYYMMDD`. */
  readonly date: string;
  readonly counter: string;
  /** The two letters before the reduction level (`EX`). */
  readonly dataType: string;
  /** Two digits (`10`). */
  readonly reduction: string;
  readonly ext: ArchiveExtension;
  readonly kind: ArchiveFileKind;
}

export type ArchiveNameProblem = 'extension' | 'shape' | 'site' | 'instrument' | 'date' | 'counter' | 'type' | 'reduction';

export type ArchiveNameResult =
  | { readonly ok: true; readonly name: ArchiveName }
  | { readonly ok: false; readonly reason: { readonly code: ArchiveNameProblem; readonly message: string } };

const EXAMPLE = 'sro-kb001ms-20220629-00010442-EX10.jpg';

function fail(code: ArchiveNameProblem, why: string): ArchiveNameResult {
  return { ok: false, reason: { code, message: `is not named as archive files are (${why}): name it {site}-{instrument}-{YYYYMMDD}-{8-digit counter}-{type}{reduction}.{ext}, such as ${EXAMPLE}` } };
}

function isCalendarDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function kindOf(ext: ArchiveExtension, reduction: string): ArchiveFileKind {
  if (ext === '.txt') return 'header-txt';
  if (ext === '.jpg') return reduction === '10' || reduction === '13' ? 'medium-jpg' : reduction === '11' ? 'thumbnail-jpg' : 'other';
  return reduction === '00' || reduction === '01' ? 'large-fits' : reduction === '10' || reduction === '13' ? 'small-fits' : 'other';
}

/** Parse a file name (no folders). */
export function parseArchiveName(fileName: string): ArchiveNameResult {
  const ext = [...ARCHIVE_EXTENSIONS].sort((a, b) => b.length - a.length).find((e) => fileName.toLowerCase().endsWith(e));
  if (ext === undefined) return fail('extension', `its extension is not one of ${ARCHIVE_EXTENSIONS.join(' ')}`);
  const stem = fileName.slice(0, -ext.length);
  const parts = stem.split('-');
  if (parts.length !== 5) return fail('shape', `it has ${parts.length} dash-separated parts before the extension, not 5`);
  const [site, instrument, date, counter, suffix] = parts as [string, string, string, string, string];
  if (!/^[a-z0-9]{3,6}$/.test(site)) return fail('site', `the site ${JSON.stringify(site)} is not 3–6 lower-case letters or digits`);
  if (!/^[a-z0-9]+$/.test(instrument)) return fail('instrument', `the instrument ${JSON.stringify(instrument)} is not lower-case letters and digits`);
  if (!/^\d{8}$/.test(date)) return fail('date', `the date ${JSON.stringify(date)} is not YYYYMMDD`);
  if (!isCalendarDate(date)) return fail('date', `the date ${date} is not a calendar date`);
  if (!/^\d{8}$/.test(counter)) return fail('counter', `the counter ${JSON.stringify(counter)} is not exactly 8 digits`);
  if (!/^[A-Za-z]{2}/.test(suffix)) return fail('type', `the type in ${JSON.stringify(suffix)} is not two letters`);
  if (!/^[A-Za-z]{2}\d{2}$/.test(suffix)) return fail('reduction', `the reduction in ${JSON.stringify(suffix)} is not two digits after the type`);
  const reduction = suffix.slice(2);
  return {
    ok: true,
    name: {
      baseFilename: `${site}-${instrument}-${date}-${counter}`,
      site,
      instrument,
      date,
      counter,
      dataType: suffix.slice(0, 2),
      reduction,
      ext: ext as ArchiveExtension,
      kind: kindOf(ext as ArchiveExtension, reduction),
    },
  };
}

/** The thumbnail's name for a medium JPG of this exposure: `…-{type}11.jpg`. */
export function thumbnailNameOf(name: ArchiveName): string {
  return `${name.baseFilename}-${name.dataType}11.jpg`;
}
