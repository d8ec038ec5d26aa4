// The `place` record of an all-sky map (an image with a `name.allsky.yaml` sidecar): no WCS to fit, only its
// size, its projection and the TOAST depth to tile it to. A FITS map is stored bottom row first; the picture the
// fits-picture rule scales from it is already right side up (north at the top, as a plate-carrée JPEG is).
import path from 'node:path';
import { assertUsableInput } from '../graph/input-file.js';
import { openFitsImage } from '../fits/fits-reader.js';
import type { PlacementRecord } from '../wwt/image-placement.js';
import { loadSharp, readableImageError } from '../wwt/sharp-loader.js';
import { type AllSky, defaultToastDepth, readAllSkySidecar } from './all-sky-sidecar.js';
import type { AllSkyProjection } from './plate-carree-sampler.js';

/** `from`: the sidecar's path, or what the config declared for the file (depth absent: from the map's width). */
export async function placeAllSkyImage(image: string, from: string | { readonly projection: AllSkyProjection; readonly depth?: number }, fits: boolean): Promise<PlacementRecord> {
  assertUsableInput(image, path.basename(image));
  if (typeof from === 'string') assertUsableInput(from, path.basename(from));
  let width: number;
  let height: number;
  let hdu: number | undefined;
  if (fits) {
    const opened = await openFitsImage(image);
    opened.close();
    ({ width, height } = opened);
    hdu = opened.hdu.index;
  } else {
    const sharp = await loadSharp();
    try {
      const info = await sharp(image, { limitInputPixels: false }).metadata();
      width = info.width ?? 0;
      height = info.height ?? 0;
    } catch (error) {
      throw readableImageError(image, error);
    }
  }
  const allSky: AllSky = typeof from === 'string' ? await readAllSkySidecar(from, width) : { projection: from.projection, depth: from.depth ?? defaultToastDepth(width) };
  const warnings: string[] = [];
  if (Math.abs(width / height - 2) > 0.01) {
    warnings.push(`${path.basename(image)} is ${width}×${height}, not 2:1: a plate-carrée map covers 360° by 180°, so its pixels are stretched to fit`);
  }
  return { width, height, source: 'all-sky', ...(hdu !== undefined ? { hdu } : {}), flipRows: false, allSky, metadata: {}, warnings };
}
