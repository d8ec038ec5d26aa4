// Where a FITS file goes on the sky, as the `place` rule records it for every image (PlacementRecord): from the
// header of its first HDU holding a 2-D image, through fitsPlacement (TAN WCS turned top-down, FITS row 1 being
// the BOTTOM row). Only the header is read here; the pixels are scaled later, by the fits-picture rule.
import path from 'node:path';
import { assertUsableInput } from '../graph/input-file.js';
import { quoteName } from '../quote-name.js';
import type { PlacementRecord } from '../wwt/image-placement.js';
import { fitsPlacement } from './fits-placement.js';
import { openFitsImage } from './fits-reader.js';

export async function placeFitsImage(file: string): Promise<PlacementRecord> {
  const shown = quoteName(path.basename(file));
  // Stat before anything opens it: a FIFO or a device must never be opened, a loop never followed.
  assertUsableInput(file, path.basename(file));
  const image = await openFitsImage(file);
  image.close();
  const { hdu } = image;
  // No celestial axes at all: tiled without a placement and said so, as an image without AVM or sidecar is.
  // A WCS that is there but cannot be tiled (SIN, ZEA, AZP…, non-square pixels, a broken card) is an error.
  if (!hdu.header.has('CTYPE1') && !hdu.header.has('CTYPE2')) {
    const warning = `${shown} (HDU ${hdu.index}) has no WCS in its header (no CTYPE1/CTYPE2): tiled, but WWT will not know where it is on the sky`;
    return { width: image.width, height: image.height, source: 'none', hdu: hdu.index, flipRows: false, metadata: {}, warnings: [warning] };
  }
  const placement = fitsPlacement(shown, hdu);
  return {
    width: placement.width,
    height: placement.height,
    source: 'fits-header',
    hdu: hdu.index,
    wcs: placement.wcs,
    flipRows: placement.flipRows,
    study: placement.study,
    metadata: {},
    warnings: [],
  };
}
