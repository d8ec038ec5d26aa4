// Where a FITS image goes on the sky, from its own header's TAN WCS (CD, PC + CDELT, or CDELT + CROTA2), in the
// engine's terms (a top-down Wcs with positive parity, plus whether the tiler must flip rows, plus the WWT
// study placement). FITS row 1 is the BOTTOM row of the picture (GUIDE §2), so the header's WCS is turned
// top-down first; SIN/ZEA/AZP… cannot be tiled as a study and are a clear error.
import { wcsFromFitsHeader } from '../wwt/fits-header.js';
import { studyPlacement, type StudyPlacement } from '../wwt/study-placement.js';
import { assertTileable, determinant, flipRows, type Wcs } from '../wwt/wcs.js';
import { FitsError } from './fits-error.js';
import type { FitsHdu } from './fits-reader.js';

export interface FitsPlacement {
  readonly width: number;
  readonly height: number;
  /** Top-down WCS of the picture as tiled (rows in reverse file order, after any further flip), positive parity. */
  readonly wcs: Wcs;
  /** The tiler must flip the top-down picture's rows, i.e. tile the rows in FITS file order (mirrored sky). */
  readonly flipRows: boolean;
  readonly study: StudyPlacement;
}

export function fitsPlacement(file: string, hdu: FitsHdu): FitsPlacement {
  const [width, height] = [hdu.axes[0] ?? 0, hdu.axes[1] ?? 0];
  try {
    // The header describes pixel (1, 1) at the bottom left; the engine's Wcs is top-down.
    let wcs = flipRows(wcsFromFitsHeader(hdu.header), height);
    assertTileable(wcs);
    const mirrored = determinant(wcs) < 0;
    if (mirrored) wcs = flipRows(wcs, height);
    return { width, height, wcs, flipRows: mirrored, study: studyPlacement(wcs, width, height) };
  } catch (error) {
    if (error instanceof FitsError) throw error;
    throw new FitsError(file, hdu.index, `cannot place the image on the sky: ${(error as Error).message}`, { cause: error });
  }
}
