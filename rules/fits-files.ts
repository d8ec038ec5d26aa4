// Which incoming files are FITS images, for the rules that take them (`place` for the study pipeline, `preview`).
// The extension is part of the pattern so that `m31.fits.gz` and `m31.fits.fz` are the item `m31`.

/** Extensions of FITS files: plain, tile-compressed (.fz, what fpack writes) or wrapped in gzip or bzip2. */
const FITS_EXTENSIONS = ['fits', 'fit', 'fts', 'fz', 'fits.fz', 'fits.gz', 'fit.gz', 'fts.gz', 'fits.bz2'] as const;

export const FITS_FILES = `{id}.{ext:${FITS_EXTENSIONS.join('|')}}`;

/** Three FITS images of one target, NAME_r, NAME_g and NAME_b (colour-preview.ts). */
export const FITS_BAND_FILES = `{id}_{band:r|g|b}.{ext:${FITS_EXTENSIONS.join('|')}}`;

/**
 * An astrometry.net FITS-WCS sidecar `NAME.wcs.fits` (header only) is its image's placement, read by `place` as an
 * optional input — never an image of its own. In a source's pattern list this `!` pattern keeps it out.
 */
export const NOT_WCS_SIDECARS = '!{id}.wcs.fits';

const FITS_EXTENSION_SET: ReadonlySet<string> = new Set(FITS_EXTENSIONS);

/** Whether a node's `{ext}` (as FITS_FILES or an image pattern matched it) is a FITS file's. */
export function isFitsExtension(ext: string | undefined): boolean {
  return ext !== undefined && FITS_EXTENSION_SET.has(ext.toLowerCase());
}
