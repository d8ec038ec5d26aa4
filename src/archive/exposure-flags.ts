// The catalog's file flags from the names of the files an exposure has in the repository (Photon Ranch's
// meanings: fits_01 = reduction 00/01 FITS, fits_10 = 10/13 FITS, jpg_medium = 10/13 JPG, jpg_small = 11 JPG).
import type { CatalogRow } from '../catalog/catalog-row.js';
import { parseArchiveName } from './archive-name.js';

export type ExposureFlags = Pick<CatalogRow, 'fits_01_exists' | 'fits_10_exists' | 'jpg_medium_exists' | 'jpg_small_exists'>;

export function flagsOf(fileNames: readonly string[]): ExposureFlags {
  const flags = { fits_01_exists: false, fits_10_exists: false, jpg_medium_exists: false, jpg_small_exists: false };
  for (const fileName of fileNames) {
    const parsed = parseArchiveName(fileName);
    if (!parsed.ok) continue;
    switch (parsed.name.kind) {
      case 'large-fits':
        flags.fits_01_exists = true;
        break;
      case 'small-fits':
        flags.fits_10_exists = true;
        break;
      case 'medium-jpg':
        flags.jpg_medium_exists = true;
        break;
      case 'thumbnail-jpg':
        flags.jpg_small_exists = true;
        break;
    }
  }
  return flags;
}

export function withFlags(row: CatalogRow, fileNames: readonly string[]): CatalogRow {
  return { ...row, ...flagsOf(fileNames) };
}
