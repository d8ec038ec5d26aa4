// What the exposure node makes from an exposure's files: the thumbnail derived from its medium JPG (longest side
// 128 px, aspect kept, never enlarged; unless a thumbnail was uploaded), and the catalog row from its header —
// the `.txt` when one came (it may come before the FITS), else the FITS file's own header, else the name alone.
import fs from 'node:fs';
import path from 'node:path';
import type { CatalogRow } from '../catalog/catalog-row.js';
import { listHdus } from '../fits/fits-reader.js';
import { describeError } from '../run/describe-error.js';
import { ImgbuildError } from '../errors.js';
import { loadSharp } from '../wwt/sharp-loader.js';
import { type ArchiveName, thumbnailNameOf } from './archive-name.js';
import { exposureRow } from './exposure-row.js';
import { type HeaderObject, type HeaderValue, headerFromText } from './header-cards.js';

export interface ExposureFileName {
  /** Absolute path. */
  readonly file: string;
  /** Relative to the incoming folder. */
  readonly relative: string;
  readonly name: ArchiveName;
}

export interface DescribedExposure {
  /** Files made in the output folder (the derived thumbnail), by name. */
  readonly derived: readonly string[];
  readonly row?: CatalogRow;
  readonly warnings: readonly string[];
}

export const THUMBNAIL_SIDE = 128;

/** Make the thumbnail: longest side 128 px (a smaller image keeps its size), EXIF orientation applied. */
export async function makeThumbnail(source: string, target: string): Promise<void> {
  const sharp = await loadSharp();
  await sharp(source, { failOn: 'error' })
    .rotate()
    .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 85, mozjpeg: false })
    .toFile(target);
}

/** A FITS file's primary header (with the first extension's for tile-compressed `.fz`, whose image is there). */
async function fitsHeader(file: string): Promise<HeaderObject> {
  const hdus = await listHdus(file);
  const header: Record<string, HeaderValue> = {};
  for (const hdu of hdus.slice(0, 2)) {
    if (hdu.index === 1 && hdu.kind !== 'compressed-image') break;
    for (const [key, value] of hdu.header) if (!(key in header)) header[key] = value;
  }
  return header;
}

const FITS_ORDER = ['large-fits', 'small-fits'] as const;

export async function describeExposure(members: readonly ExposureFileName[], outFolder: string, options: { readonly catalogued: boolean }): Promise<DescribedExposure> {
  const warnings: string[] = [];
  const derived: string[] = [];
  const medium = members.filter((m) => m.name.kind === 'medium-jpg').sort((a, b) => a.relative.localeCompare(b.relative))[0];
  const uploadedThumbnail = members.some((m) => m.name.kind === 'thumbnail-jpg');
  if (medium !== undefined && !uploadedThumbnail) {
    const name = thumbnailNameOf(medium.name);
    fs.mkdirSync(outFolder, { recursive: true });
    try {
      await makeThumbnail(medium.file, path.join(outFolder, name));
    } catch (error) {
      throw new ImgbuildError('config', `${medium.relative} is not a readable JPEG (${describeError(error)}): replace it`, { cause: error });
    }
    derived.push(name);
  }
  if (!options.catalogued) return { derived, warnings };
  const any = members[0]!;
  let header: HeaderObject | undefined;
  const txt = members.find((m) => m.name.kind === 'header-txt');
  if (txt !== undefined) {
    const parsed = headerFromText(fs.readFileSync(txt.file, 'latin1'));
    header = parsed.header;
    for (const warning of parsed.warnings) warnings.push(`${txt.relative}: ${warning.message}`);
  } else {
    for (const kind of FITS_ORDER) {
      const fits = members.find((m) => m.name.kind === kind);
      if (fits === undefined) continue;
      try {
        header = await fitsHeader(fits.file);
        break;
      } catch (error) {
        warnings.push(`${fits.relative}: its header could not be read (${describeError(error)}); the catalog row has only what the name says`);
      }
    }
  }
  return { derived, row: exposureRow(any.name, header), warnings };
}
