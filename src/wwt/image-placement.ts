// Where an image goes on the sky, from the first source that has it (toasty's order): an AVM packet in the
// image's XMP, then a FITS-WCS sidecar `<name>.wcs.fits` (astrometry.net style, pixel (1, 1) at the top
// left). No source: the image is still tiled and its WTML says it has no placement.
import fs from 'node:fs';
import path from 'node:path';
import { avmToWcs, ASPECT_TOLERANCE, type ImageMetadata, parseAvm } from './avm.js';
import { num, parseFitsHeader, wcsFromFitsHeader } from './fits-header.js';
import { assertUsableInput } from '../graph/input-file.js';
import type { AllSky } from '../toast/all-sky-sidecar.js';
import { quoteName } from '../quote-name.js';
import { loadSharp, readableImageError } from './sharp-loader.js';
import { studyPlacement, type StudyPlacement } from './study-placement.js';
import { assertTileable, determinant, flipRows, rescale, type Wcs, WcsError } from './wcs.js';

export interface PlacementRecord {
  readonly width: number;
  readonly height: number;
  /** Where the placement came from; a FITS file's own header is `fits-header` (see fits/place-fits-image.ts). */
  readonly source: 'avm' | 'wcs-sidecar' | 'fits-header' | 'feed' | 'all-sky' | 'none';
  /** An all-sky map (a `name.allsky.yaml` sidecar): tiled as TOAST, with no study placement. */
  readonly allSky?: AllSky;
  /** For a FITS file: the HDU whose image is placed and tiled (0 = primary). */
  readonly hdu?: number;
  /** Top-down WCS of the image as tiled (after any flip), positive parity. */
  readonly wcs?: Wcs;
  /** The tiler must flip the rows (the file is stored mirrored relative to the sky). */
  readonly flipRows: boolean;
  readonly study?: StudyPlacement;
  readonly metadata: ImageMetadata;
  readonly warnings: readonly string[];
}

/** A file's name as messages show it (escaped: names come from users' folders). */
function shown(file: string): string {
  return quoteName(path.basename(file));
}

export class PlacementError extends Error {
  override readonly name = 'PlacementError';
}

/** Read a `.wcs.fits` sidecar and fit it to a `width`×`height` image. */
export function sidecarWcs(file: string, width: number, height: number): Wcs {
  const header = parseFitsHeader(fs.readFileSync(file));
  let wcs = wcsFromFitsHeader(header);
  const solvedWidth = num(header, 'IMAGEW');
  const solvedHeight = num(header, 'IMAGEH');
  for (const [key, value] of [['IMAGEW', solvedWidth], ['IMAGEH', solvedHeight]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new WcsError(`card ${key} (the size it was solved at) is ${value}, not a positive whole number of pixels`);
    }
  }
  if ((solvedWidth === undefined) !== (solvedHeight === undefined)) {
    throw new WcsError('it has only one of IMAGEW and IMAGEH (the size it was solved at); give both or neither');
  }
  if (solvedWidth !== undefined && solvedHeight !== undefined && (solvedWidth !== width || solvedHeight !== height)) {
    if (Math.abs(width / height / (solvedWidth / solvedHeight) - 1) > ASPECT_TOLERANCE) {
      throw new WcsError(
        `it was solved on a ${solvedWidth}×${solvedHeight} image but this one is ${width}×${height}, a different aspect ratio: re-solve this image`,
      );
    }
    wcs = rescale(wcs, width / solvedWidth);
  }
  return wcs;
}

export async function placeImage(image: string, sidecar: string | undefined): Promise<PlacementRecord> {
  // Stat before anything opens them: a FIFO or a device must never be opened, a loop never followed.
  assertUsableInput(image, path.basename(image));
  if (sidecar !== undefined) assertUsableInput(sidecar, path.basename(sidecar));
  const sharp = await loadSharp();
  let info: { width?: number | undefined; height?: number | undefined; xmp?: Buffer | undefined };
  try {
    // Only the header is read here, so sharp's default pixel limit (16383², against decompression bombs)
    // would refuse survey images for nothing; the tiles and thumbnail rules apply their own maxPixels.
    info = await sharp(image, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw readableImageError(image, error);
  }
  const { width, height } = info;
  if (!width || !height) throw new PlacementError(`${shown(image)} has no pixel size; is it an image?`);
  const warnings: string[] = [];
  let avm;
  if (info.xmp) {
    try {
      avm = parseAvm(info.xmp.toString('utf8'));
    } catch (error) {
      throw new PlacementError(`${shown(image)}: broken AVM packet: ${(error as Error).message}; fix or strip the XMP`);
    }
  }
  warnings.push(...(avm?.warnings ?? []));
  const metadata = avm?.metadata ?? {};

  let wcs: Wcs | undefined;
  let source: PlacementRecord['source'] = 'none';
  try {
    if (avm?.spatial) {
      wcs = avmToWcs(avm.spatial, width, height);
      source = 'avm';
      if (sidecar) warnings.push(`${shown(sidecar)} is ignored: the image's own AVM placement comes first`);
    } else if (sidecar) {
      wcs = sidecarWcs(sidecar, width, height);
      source = 'wcs-sidecar';
    }
    if (wcs) assertTileable(wcs);
  } catch (error) {
    const from = source === 'wcs-sidecar' || (!avm?.spatial && sidecar) ? shown(sidecar ?? '') : `${shown(image)} (AVM)`;
    throw new PlacementError(`cannot place ${shown(image)} on the sky from ${from}: ${(error as Error).message}`);
  }
  if (!wcs) {
    warnings.push(`${shown(image)} has no placement (no AVM packet, no ${quoteName(`${path.parse(image).name}.wcs.fits`)}): tiled, but WWT will not know where it is on the sky`);
    return { width, height, source, flipRows: false, metadata, warnings };
  }
  // Tiles are always stored top-down with positive parity; a mirrored image is flipped before tiling.
  const mirrored = determinant(wcs) < 0;
  if (mirrored) wcs = flipRows(wcs, height);
  return { width, height, source, wcs, flipRows: mirrored, study: studyPlacement(wcs, width, height), metadata, warnings };
}
